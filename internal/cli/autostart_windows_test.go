package cli

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

const (
	runKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// keepRunValue puts the "Flamenco Tray" value of root\path back as it was when the test ends (a
// string or binary value, or none).
func keepRunValue(t *testing.T, root registry.Key, path string) {
	t.Helper()
	key, existed, err := registry.CreateKey(root, path, registry.QUERY_VALUE)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	restore := func(registry.Key) error { return nil }
	if s, _, err := key.GetStringValue(autostart.RunValueName); err == nil {
		restore = func(k registry.Key) error { return k.SetStringValue(autostart.RunValueName, s) }
	} else if b, _, err := key.GetBinaryValue(autostart.RunValueName); err == nil {
		restore = func(k registry.Key) error { return k.SetBinaryValue(autostart.RunValueName, b) }
	} else if !errors.Is(err, registry.ErrNotExist) {
		t.Fatalf("%s: %v", path, err)
	}
	key.Close()
	t.Cleanup(func() {
		k, err := registry.OpenKey(root, path, registry.SET_VALUE)
		if err != nil {
			t.Errorf("restore %s: %v", path, err)
			return
		}
		if err := k.DeleteValue(autostart.RunValueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
			t.Errorf("restore %s: %v", path, err)
		}
		if err := restore(k); err != nil {
			t.Errorf("restore %s: %v", path, err)
		}
		k.Close()
		if !existed {
			if err := registry.DeleteKey(root, path); err != nil {
				t.Errorf("remove %s: %v", path, err)
			}
		}
	})
}

// The MSI's AUTOSTART=1 value for everyone: status says it applies, on adds the user's own beside
// it, and off does not claim "off" while it still starts the tray: exit 1 with what an administrator
// runs. Writes the Run keys, so only under Wine (make wine-smoke) or on a CI machine.
func TestAutostartBesideTheMachineWideRunValue(t *testing.T) {
	if !ostest.UnderWine() && os.Getenv("CI") != "true" {
		t.Skip("writes the machine's and the user's Run keys: runs under Wine (make wine-smoke) or with CI=true")
	}
	for _, root := range []registry.Key{registry.LOCAL_MACHINE, registry.CURRENT_USER} {
		keepRunValue(t, root, runKey)
		keepRunValue(t, root, approvedKey)
	}
	if err := autostart.Disable(); err != nil {
		t.Fatal(err)
	}
	const installed = `C:\Program Files\Flamenco Tray\flamenco-tray.exe`
	key, _, err := registry.CreateKey(registry.LOCAL_MACHINE, runKey, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	err = key.SetStringValue(autostart.RunValueName, `"`+installed+`"`)
	key.Close()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := autostart.Executable()
	if err != nil {
		t.Fatal(err)
	}
	forAll := `on for everyone (set by your IT): HKEY_LOCAL_MACHINE\` + runKey + ` value "Flamenco Tray" starts ` + installed +
		", not this program (" + exe + ")"
	alone := forAll + "; for this user alone: off\n"
	steps := []struct {
		args         []string
		code         int
		want, stderr string
	}{
		{[]string{"autostart", "status"}, 0, alone, ""},
		{[]string{"autostart", "on"}, 0, forAll + `; for this user too: HKEY_CURRENT_USER\` + runKey + ` value "Flamenco Tray" starts ` + exe + "\n", ""},
		{[]string{"autostart", "off"}, 1, alone, `still on for everyone on this computer (set by your IT); an administrator turns it off: reg delete`},
		{[]string{"autostart", "off"}, 1, alone, `still on for everyone`},
	}
	for _, step := range steps {
		var out, errOut strings.Builder
		code := Run(context.Background(), step.args, &out, &errOut, "0.0.0-test")
		if code != step.code || out.String() != step.want || !strings.Contains(errOut.String(), step.stderr) || (step.stderr == "") != (errOut.Len() == 0) {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q; want %d, %q, stderr with %q", step.args, code, out.String(), errOut.String(),
				step.code, step.want, step.stderr)
		}
	}
}
