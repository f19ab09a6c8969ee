// Package machineconfig reads what a studio's IT set for every user of this computer, as the
// installers write it: the Flamenco Managers each user's tray checks directly, for networks that
// multicast does not reach (routed subnets, VLANs, VPNs).
//
// Where it is kept, per system (each in a small file with build tags, its place in a variable only
// so that tests can point it elsewhere):
//   - Windows: HKEY_LOCAL_MACHINE\Software\Flamenco Tray, value "Managers" (REG_SZ, or
//     REG_MULTI_SZ), written by the MSI from MANAGERS="URL URL…";
//   - Linux and the BSDs: /etc/flamenco-tray/managers (shipped as a commented template by the .deb
//     and .rpm);
//   - macOS: /Library/Application Support/Flamenco Tray/managers.
//
// Reading never fails and never panics: nothing there is no Manager; an entry that is no Manager
// address, a source that cannot be read, or too many Managers are Problems, and the rest still
// counts.
package machineconfig

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// Managers are the Managers IT set for every user of this computer.
type Managers struct {
	// Where names the file or registry value read, for messages.
	Where string
	// URLs are base URLs ending in "/" (settings.ManagerURL's form), in the order written, each once,
	// at most settings.MaxManualManagers, as the user's own are.
	URLs []string
	// Problems are what was skipped, and why.
	Problems []Problem
}

// Problem is something in IT's Managers that was skipped.
type Problem struct {
	Where string
	// Line counts from 1; 0 when the problem is not about one line (the source cannot be read).
	Line int
	// Entry is what was written, cut short; "" when the problem is not about one entry.
	Entry  string
	Reason string
}

// String is the problem in words for IT: where, which line, what, why.
func (p Problem) String() string {
	s := p.Where
	if p.Line > 0 {
		s += fmt.Sprintf(" line %d", p.Line)
	}
	s += ": "
	if p.Entry != "" {
		s += fmt.Sprintf("%q: ", p.Entry)
	}
	return s + p.Reason
}

// ParseFile reads Managers from a file's text, found at where: one per line; blank lines, and
// lines starting with "#", are ignored. See parse for each entry.
func ParseFile(where, text string) Managers {
	return parse(where, text, func(line string) []string {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			return nil
		}
		return []string{line}
	})
}

// ParseValue reads Managers from a registry value's text, found at where: separated by spaces,
// semicolons or newlines (the MSI's MANAGERS="URL URL…"; a REG_MULTI_SZ's strings are lines). See
// parse for each entry.
func ParseValue(where, text string) Managers {
	return parse(where, text, func(line string) []string {
		return strings.FieldsFunc(line, func(r rune) bool { return r == ';' || unicode.IsSpace(r) })
	})
}

// parse cleans each entry that entriesOf finds in a line as a URL typed by hand is
// (settings.ManagerURL): one that is no Manager address, or is several words, is a Problem and
// skipped, one seen before is skipped quietly, and those over settings.MaxManualManagers are one
// Problem.
func parse(where, text string, entriesOf func(line string) []string) Managers {
	m := Managers{Where: where}
	text = strings.TrimPrefix(text, "\uFEFF") // Notepad's byte order mark
	overCap := false
	for i, line := range strings.Split(text, "\n") {
		for _, entry := range entriesOf(line) {
			url, err := settings.ManagerURL(entry)
			switch {
			case strings.ContainsFunc(entry, unicode.IsSpace): // a URL's path may hold spaces: the Manager's cannot
				m.Problems = append(m.Problems, Problem{Where: where, Line: i + 1, Entry: cut(entry), Reason: "one URL per line; skipped"})
			case err != nil:
				m.Problems = append(m.Problems, Problem{Where: where, Line: i + 1, Entry: cut(entry), Reason: err.Error() + "; skipped"})
			case slices.Contains(m.URLs, url):
			case len(m.URLs) == settings.MaxManualManagers:
				if !overCap {
					overCap = true
					m.Problems = append(m.Problems, Problem{Where: where, Line: i + 1, Entry: cut(entry),
						Reason: fmt.Sprintf("more than %d Managers: this one and those after it are skipped", settings.MaxManualManagers)})
				}
			default:
				m.URLs = append(m.URLs, url)
			}
		}
	}
	return m
}

// maxEntryRunes bounds an entry quoted in a Problem.
const maxEntryRunes = 80

func cut(entry string) string {
	if utf8.RuneCountInString(entry) <= maxEntryRunes {
		return entry
	}
	return string([]rune(entry)[:maxEntryRunes-1]) + "…"
}

// unreadable is what a source that cannot be read gives: no Manager, and why.
func unreadable(where string, err error) Managers {
	return Managers{Where: where, Problems: []Problem{{Where: where, Reason: fmt.Sprintf("cannot be read: %v", err)}}}
}

// Has reports whether url (a base URL ending in "/", or an address as discovery lists it, without
// it) is one of the Managers IT set.
func (m Managers) Has(url string) bool {
	return slices.Contains(m.URLs, strings.TrimSuffix(url, "/")+"/")
}

// Includes reports whether m answers at one of the Managers IT set: the address IT gave may not be
// the one m is opened at.
func (m Managers) Includes(manager discovery.Manager) bool {
	return slices.ContainsFunc(manager.Addresses, m.Has) || m.Has(manager.URL)
}

// With is IT's Managers, then those of urls (the user's own, in settings.ManagerURL's form) that
// are not among them: the list a Browser checks directly (discovery.BrowserConfig.ManualURLs).
func (m Managers) With(urls []string) []string {
	all := slices.Clone(m.URLs)
	for _, u := range urls {
		if !slices.Contains(all, u) {
			all = append(all, u)
		}
	}
	return all
}

// LogProblems writes each Problem as a warning.
func (m Managers) LogProblems(log zerolog.Logger) {
	for _, p := range m.Problems {
		event := log.Warn().Str("where", p.Where)
		if p.Line > 0 {
			event = event.Int("line", p.Line)
		}
		if p.Entry != "" {
			event = event.Str("entry", p.Entry)
		}
		event.Str("problem", p.Reason).Msg("skipped in the Managers IT set for every user")
	}
}
