// Package localeenv keeps Fyne from printing an error at start under a "C.UTF-8" locale.
//
// Fyne's lang package reads the locale in its package initialisation (through
// github.com/jeandeaual/go-locale), and "C.UTF-8", the default of containers and minimal systems,
// reaches it as the language tag "C", which it cannot parse: every run, even "flamenco-tray version",
// then prints "Fyne error: Error parsing user locale C" with a source path (fyne-io/fyne#5271). Go
// initialises packages in import-path order once their imports are, and this package imports only
// os, so its init runs before Fyne's: it sets LANGUAGE=en for that moment, which go-locale reads
// instead, and Restore takes it away again before main does anything else, so programs the tray
// starts get the user's environment as it was.
package localeenv

import (
	"os"
	"strings"
)

// setByUs is true when init set LANGUAGE.
var setByUs bool

func init() {
	if needsLanguage(os.Getenv) {
		setByUs = os.Setenv("LANGUAGE", "en") == nil
	}
}

// needsLanguage is true when the locale that go-locale reads is "C" or "POSIX" with a codeset
// ("C.UTF-8"), which it turns into the tag "C", and LANGUAGE, which it would read instead, is unset.
func needsLanguage(getenv func(string) string) bool {
	if getenv("LANGUAGE") != "" {
		return false
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if value := getenv(name); value != "" {
			lang, _, _ := strings.Cut(value, ".")
			lang, _, _ = strings.Cut(lang, "@")
			return value != lang && (lang == "C" || lang == "POSIX")
		}
	}
	return false
}

// Restore undoes what init set. Call it first in main: it has to run after Fyne's initialisation,
// and before the program starts other programs.
func Restore() {
	if setByUs {
		os.Unsetenv("LANGUAGE")
		setByUs = false
	}
}
