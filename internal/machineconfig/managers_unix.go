//go:build linux || freebsd || netbsd || openbsd || dragonfly

package machineconfig

// ManagersFile is where IT lists the Managers for every user (the .deb and .rpm ship it as a
// commented template). A variable only so that tests can point it elsewhere.
var ManagersFile = "/etc/flamenco-tray/managers"

// ReadManagers reads the Managers IT set for every user of this computer (see Managers).
func ReadManagers() Managers { return readFile(ManagersFile) }
