package managerapi

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Display limits of text from a Manager, in characters.
const (
	MaxManagerNameRunes = 60
	MaxVersionRunes     = 24
	// MaxJobNameRunes bounds a job's or a Worker's name: long enough for "sq010_sh0420_lighting_v012"
	// and its kin, short enough that a menu row still shows the status after it.
	MaxJobNameRunes = 120
)

// CleanText makes text from the network fit to show: control characters and Unicode format
// characters (bidi overrides and isolates, zero-width spaces and joiners, BOM) are removed, line and
// paragraph separators and runs of spaces become one space, and the result is cut to maxRunes
// characters, ending in "…" when cut.
func CleanText(s string, maxRunes int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Cf, r), unicode.IsControl(r) && !unicode.IsSpace(r):
			continue
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	cleaned := b.String()
	if utf8.RuneCountInString(cleaned) <= maxRunes {
		return cleaned
	}
	runes := []rune(cleaned)
	return strings.TrimRight(string(runes[:maxRunes-1]), " ") + "…"
}
