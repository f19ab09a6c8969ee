package idle

import "strings"

// unavailableOn says why no source answered, and what the user can do about it.
func unavailableOn(s session, problems []error) error {
	words := make([]string, len(problems))
	for i, p := range problems {
		words[i] = p.Error()
	}
	why := strings.Join(words, "; ")
	if s.wayland == "" {
		return unavailable("%s", why)
	}
	if len(problems) > 0 && notSupported(problems[len(problems)-1]) && strings.Contains(strings.ToUpper(s.desktop), "KDE") {
		return unavailable("KDE Plasma on Wayland does not tell other programs how long you have been away (%s); "+
			"to lend this computer, log in to a Plasma (X11) session", why)
	}
	return unavailable("on Wayland idle time comes from the desktop over the session bus, and this one (%s) does not give it (%s); "+
		"to lend this computer, use GNOME, or an X11 session", desktopName(s.desktop), why)
}

func desktopName(desktop string) string {
	if desktop == "" {
		return "XDG_CURRENT_DESKTOP is not set"
	}
	return desktop
}
