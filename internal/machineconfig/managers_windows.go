package machineconfig

import (
	"errors"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// ManagersKey (under HKEY_LOCAL_MACHINE) and ManagersValue are where the MSI writes MANAGERS.
// Variables only so that tests can point them elsewhere.
var (
	ManagersKey   = `Software\Flamenco Tray`
	ManagersValue = "Managers"
)

// ReadManagers reads the Managers IT set for every user of this computer (see Managers), in the
// registry's 64-bit view, where the 64-bit MSI writes them.
func ReadManagers() Managers {
	where := `HKEY_LOCAL_MACHINE\` + ManagersKey + ` value "` + ManagersValue + `"`
	key, err := registry.OpenKey(registry.LOCAL_MACHINE, ManagersKey, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return Managers{Where: where}
	}
	if err != nil {
		return unreadable(where, err)
	}
	defer key.Close()
	text, err := readText(key, ManagersValue)
	if errors.Is(err, registry.ErrNotExist) {
		return Managers{Where: where}
	}
	if err != nil {
		return unreadable(where, err)
	}
	return ParseValue(where, text)
}

// readText reads a REG_SZ or REG_EXPAND_SZ value as it is, or a REG_MULTI_SZ one a line a string.
func readText(key registry.Key, name string) (string, error) {
	text, _, err := key.GetStringValue(name)
	if !errors.Is(err, registry.ErrUnexpectedType) {
		return text, err
	}
	list, _, err := key.GetStringsValue(name)
	return strings.Join(list, "\n"), err
}
