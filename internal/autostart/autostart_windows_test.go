package autostart

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// A user can read the machine-wide Run key; whatever it holds, QueryLogin names it and reads it.
func TestQueryLoginReadsTheMachineWideRunKey(t *testing.T) {
	login, err := QueryLogin()
	if err != nil {
		t.Fatal(err)
	}
	if want := `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run value "Flamenco Tray"`; login.Everyone.Where != want || login.UserReplaces {
		t.Errorf("QueryLogin() = %+v; want the entry for everyone at %s, which the user's does not replace", login, want)
	}
	if login.EveryoneErr != nil {
		t.Errorf("the machine-wide Run key cannot be read: %v", login.EveryoneErr)
	}
}

// throwAwayRegistry skips a test that writes the Run keys, unless it runs under Wine (make
// wine-smoke, a fresh prefix) or in CI (a machine thrown away after): on a developer's Windows it
// would change what starts at their login, for a moment.
func throwAwayRegistry(t *testing.T) {
	t.Helper()
	if !ostest.UnderWine() && os.Getenv("CI") != "true" {
		t.Skip("writes the machine's and the user's Run keys: runs under Wine (make wine-smoke) or with CI=true")
	}
}

// keepValue puts value name of root\path back as it was when the test ends (a string or binary
// value, or none).
func keepValue(t *testing.T, root registry.Key, path, name string) {
	t.Helper()
	key, existed, err := registry.CreateKey(root, path, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	key.Close()
	restore := func(registry.Key) error { return nil }
	if k, err := registry.OpenKey(root, path, registry.QUERY_VALUE); err == nil {
		if s, _, err := k.GetStringValue(name); err == nil {
			restore = func(k registry.Key) error { return k.SetStringValue(name, s) }
		} else if b, _, err := k.GetBinaryValue(name); err == nil {
			restore = func(k registry.Key) error { return k.SetBinaryValue(name, b) }
		} else if !errors.Is(err, registry.ErrNotExist) {
			t.Fatalf("%s\\%s: %v", path, name, err)
		}
		k.Close()
	}
	t.Cleanup(func() {
		k, err := registry.OpenKey(root, path, registry.SET_VALUE)
		if err != nil {
			t.Errorf("restore %s\\%s: %v", path, name, err)
			return
		}
		if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
			t.Errorf("restore %s\\%s: %v", path, name, err)
		}
		if err := restore(k); err != nil {
			t.Errorf("restore %s\\%s: %v", path, name, err)
		}
		k.Close()
		if !existed {
			if err := registry.DeleteKey(root, path); err != nil {
				t.Errorf("remove %s: %v", path, err)
			}
		}
	})
}

// setValue sets a string or binary value, creating the key.
func setValue(t *testing.T, root registry.Key, path, name string, value any) {
	t.Helper()
	key, _, err := registry.CreateKey(root, path, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	switch v := value.(type) {
	case string:
		err = key.SetStringValue(name, v)
	case []byte:
		err = key.SetBinaryValue(name, v)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// The MSI's AUTOSTART=1 writes the machine-wide Run value: it applies beside the user's own, which
// on and off still set; Task Manager's mark under HKEY_LOCAL_MACHINE turns it off.
func TestTheMachineWideRunValueAppliesBesideTheUsers(t *testing.T) {
	throwAwayRegistry(t)
	for _, root := range []registry.Key{registry.LOCAL_MACHINE, registry.CURRENT_USER} {
		keepValue(t, root, runKeyPath, RunValueName)
		keepValue(t, root, startupApprovedPath, RunValueName)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	const installed = `C:\Program Files\Flamenco Tray\flamenco-tray.exe`
	setValue(t, registry.LOCAL_MACHINE, runKeyPath, RunValueName, `"`+installed+`"`)
	forAll := Status{On: true, Where: `HKEY_LOCAL_MACHINE\` + runKeyPath + ` value "Flamenco Tray"`, Exe: installed}
	login, err := QueryLogin()
	if err != nil || login.Everyone != forAll || !login.EveryoneApplies() || login.User.On || !login.Starts(installed) {
		t.Fatalf("QueryLogin() = %+v, %v; want %+v to apply", login, err, forAll)
	}

	const own = `C:\Users\Zoë\AppData\Local\Programs\Flamenco Tray\flamenco-tray.exe`
	if err := Enable(own); err != nil {
		t.Fatal(err)
	}
	if login, err := QueryLogin(); err != nil || !login.User.On || !login.EveryoneApplies() || !login.Starts(own) || !login.Starts(installed) {
		t.Errorf("after on: %+v, %v; want both to apply", login, err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if login, err := QueryLogin(); err != nil || login.User.On || login.User.Exe != "" || login.Everyone != forAll || !login.On() {
		t.Errorf("after off: %+v, %v; want the machine-wide value alone, still on", login, err)
	}

	setValue(t, registry.LOCAL_MACHINE, startupApprovedPath, RunValueName, []byte{3, 0, 0, 0, 0x10, 0x2f, 0x4a, 0x1b, 0x5c, 0x3d, 0xd9, 0x01})
	if login, err := QueryLogin(); err != nil || login.On() || login.Everyone.Disabled == "" || login.Everyone.Exe != installed {
		t.Errorf("turned off in Task Manager: %+v, %v", login, err)
	}
}
