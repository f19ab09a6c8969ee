package machineconfig

// ManagersFile is where IT lists the Managers for every user. A variable only so that tests can
// point it elsewhere.
var ManagersFile = "/Library/Application Support/Flamenco Tray/managers"

// ReadManagers reads the Managers IT set for every user of this computer (see Managers).
func ReadManagers() Managers { return readFile(ManagersFile) }
