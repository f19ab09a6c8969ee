package autostart

// Login is whether Flamenco Tray starts when this user logs in, from the two entries that can start
// it: this user's own (the Settings switch, "flamenco-tray autostart on") and the one for everyone
// on this computer, which studio IT sets with the packages (the MSI's AUTOSTART=1, a link in
// /etc/xdg/autostart, a file in /Library/LaunchAgents).
type Login struct {
	// User is this user's own entry.
	User Status
	// Everyone is the entry for everyone; its Exe is empty when there is none, and its Where then
	// names where it would be.
	Everyone Status
	// EveryoneErr says why the entry for everyone could not be read; it then counts as off.
	EveryoneErr error
	// UserReplaces is true where this user's entry takes the place of the one for everyone (XDG
	// autostart: the file of the same name in the user's folder wins, so Hidden=true there turns
	// it off for this user). Where it is false both start (Windows' two Run keys, macOS's two
	// LaunchAgents folders), and only an administrator can turn the one for everyone off.
	UserReplaces bool
}

// EveryoneApplies reports whether the entry for everyone starts the tray at login for this user:
// it is there and on, and no entry of this user's takes its place.
func (l Login) EveryoneApplies() bool {
	return l.Everyone.On && l.EveryoneErr == nil && !l.Replaced()
}

// Replaced reports whether this user's entry takes the place of the entry for everyone, which is
// there (XDG autostart only).
func (l Login) Replaced() bool {
	return l.UserReplaces && l.User.Exe != "" && l.Everyone.Exe != "" && l.EveryoneErr == nil
}

// On reports whether the tray starts at login for this user, whichever entry starts it.
func (l Login) On() bool { return l.User.On || l.EveryoneApplies() }

// Starts reports whether an entry that applies starts the program at exe.
func (l Login) Starts(exe string) bool {
	return (l.User.On && l.User.Starts(exe)) || (l.EveryoneApplies() && l.Everyone.Starts(exe))
}

// QueryLogin reads both entries. This user's entry that cannot be read is an error (Enable and
// Disable replace or remove it); the entry for everyone is IT's, and this user may not be allowed to
// read it: EveryoneErr says why.
func QueryLogin() (Login, error) {
	user, err := read()
	login := Login{User: user, UserReplaces: userReplacesEveryone}
	login.Everyone, login.EveryoneErr = readEveryone()
	return login, err
}
