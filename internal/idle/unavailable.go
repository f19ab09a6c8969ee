package idle

import (
	"cmp"
	"errors"
	"slices"
	"strings"
)

// unavailableOn says why no source answered, and what the user can do about it.
func unavailableOn(s session, problems []error) error {
	var words []string
	for _, p := range problems {
		if !slices.Contains(words, p.Error()) {
			words = append(words, p.Error())
		}
	}
	why := strings.Join(words, "; ")
	if s.wayland == "" {
		return unavailable("%s", why)
	}
	if len(problems) > 0 && errors.Is(problems[0], errNoSessionBus) {
		return unavailable("on Wayland idle time comes from the desktop over the session bus, and %s; "+
			"start Flamenco Tray from your desktop session", why)
	}
	if len(problems) > 0 && notSupported(problems[len(problems)-1]) && strings.Contains(strings.ToUpper(s.desktop), "KDE") {
		return unavailable("KDE Plasma on Wayland does not tell other programs how long you have been away (%s); "+
			"to lend this computer, log in to a Plasma (X11) session", why)
	}
	return unavailable("on Wayland idle time comes from the desktop over the session bus, and this one (%s) does not give it (%s); "+
		"to lend this computer, use GNOME, or an X11 session", cmp.Or(s.desktop, "XDG_CURRENT_DESKTOP is not set"), why)
}
