package machineconfig

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// Whatever this machine holds, the value is named and read without a problem.
func TestReadManagersNamesTheMachineWideValue(t *testing.T) {
	got := ReadManagers()
	if want := `HKEY_LOCAL_MACHINE\Software\Flamenco Tray value "Managers"`; got.Where != want {
		t.Errorf("Where = %s, want %s", got.Where, want)
	}
	if len(got.Problems) != 0 {
		t.Logf("this machine's Managers for everyone: %q", got.Problems)
	}
}

// throwAwayRegistry skips a test that writes HKEY_LOCAL_MACHINE, unless it runs under Wine (make
// wine-smoke, a fresh prefix) or in CI (a machine thrown away after): on a developer's Windows it
// would change the Managers of every user, for a moment.
func throwAwayRegistry(t *testing.T) {
	t.Helper()
	if !ostest.UnderWine() && os.Getenv("CI") != "true" {
		t.Skip("writes HKEY_LOCAL_MACHINE\\Software\\Flamenco Tray: runs under Wine (make wine-smoke) or with CI=true")
	}
}

// keepManagersValue puts a string value back as it was when the test ends, and removes the key
// when the test made it.
func keepManagersValue(t *testing.T) registry.Key {
	t.Helper()
	key, existed, err := registry.CreateKey(registry.LOCAL_MACHINE, ManagersKey, registry.ALL_ACCESS|registry.WOW64_64KEY)
	if err != nil {
		t.Fatalf("open HKEY_LOCAL_MACHINE\\%s: %v", ManagersKey, err)
	}
	restore := func() error { return nil }
	if s, _, err := key.GetStringValue(ManagersValue); err == nil {
		restore = func() error { return key.SetStringValue(ManagersValue, s) }
	} else if list, _, err := key.GetStringsValue(ManagersValue); err == nil {
		restore = func() error { return key.SetStringsValue(ManagersValue, list) }
	} else if !errors.Is(err, registry.ErrNotExist) {
		t.Fatalf("read %s: %v", ManagersValue, err)
	}
	t.Cleanup(func() {
		defer key.Close()
		if err := key.DeleteValue(ManagersValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
			t.Errorf("restore %s: %v", ManagersValue, err)
		}
		if err := restore(); err != nil {
			t.Errorf("restore %s: %v", ManagersValue, err)
		}
		if !existed {
			if err := registry.DeleteKey(registry.LOCAL_MACHINE, ManagersKey); err != nil {
				t.Errorf("remove %s: %v", ManagersKey, err)
			}
		}
	})
	return key
}

// The MSI's MANAGERS="…" (REG_SZ), and a list IT writes as REG_MULTI_SZ by group policy: read in the
// 64-bit view, a bad entry reported with where it is, the others kept.
func TestReadManagersReadsWhatTheMSIWrites(t *testing.T) {
	throwAwayRegistry(t)
	key := keepManagersValue(t)
	if err := key.DeleteValue(ManagersValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
		t.Fatal(err)
	}
	if got := ReadManagers(); len(got.URLs) != 0 || len(got.Problems) != 0 {
		t.Errorf("without the value: %+v", got)
	}

	if err := key.SetStringValue(ManagersValue, "http://flamenco:8080/ ftp://nas/;farm.studio.lan:8080"); err != nil {
		t.Fatal(err)
	}
	got := ReadManagers()
	if want := []string{"http://flamenco:8080/", "http://farm.studio.lan:8080/"}; !slices.Equal(got.URLs, want) {
		t.Errorf("REG_SZ: %q, want %q", got.URLs, want)
	}
	if len(got.Problems) != 1 || !strings.HasPrefix(got.Problems[0].String(),
		`HKEY_LOCAL_MACHINE\Software\Flamenco Tray value "Managers" line 1: "ftp://nas/": not a Manager address`) {
		t.Errorf("REG_SZ problems: %q", got.Problems)
	}

	if err := key.SetStringsValue(ManagersValue, []string{"http://a:8080/", "http://b:8080/ http://c:8080/"}); err != nil {
		t.Fatal(err)
	}
	got = ReadManagers()
	if want := []string{"http://a:8080/", "http://b:8080/", "http://c:8080/"}; !slices.Equal(got.URLs, want) || len(got.Problems) != 0 {
		t.Errorf("REG_MULTI_SZ: %+v, want %q", got, want)
	}

	if err := key.SetDWordValue(ManagersValue, 1); err != nil {
		t.Fatal(err)
	}
	got = ReadManagers()
	if len(got.URLs) != 0 || len(got.Problems) != 1 || !strings.Contains(got.Problems[0].String(), "cannot be read") {
		t.Errorf("a DWORD: %+v, want it reported as unreadable", got)
	}
}

// A key that is not there is no Manager and no problem.
func TestReadManagersWithoutTheKey(t *testing.T) {
	old := ManagersKey
	ManagersKey = `Software\Flamenco Tray test: no such key`
	t.Cleanup(func() { ManagersKey = old })
	if got := ReadManagers(); len(got.URLs) != 0 || len(got.Problems) != 0 {
		t.Errorf("without the key: %+v", got)
	}
}
