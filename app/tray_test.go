//go:build linux

package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/itconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// The Browser checks IT's Managers with the user's, each once, besides those remembered.
func TestBrowserChecksTheManagersSetByITWithTheUsers(t *testing.T) {
	prefs := test.NewTempApp(t).Preferences()
	settings.AddManualManager(prefs, "http://10.8.0.5:8080/")
	settings.AddManualManager(prefs, "http://farm.studio.lan:8080/")
	settings.RememberManager(prefs, "http://192.168.1.9:8080/")
	machine := machineconfig.ParseFile("managers", "http://farm.studio.lan:8080/\nflamenco:8080\n")
	cfg := browserConfig(zerolog.Nop(), prefs, machine)
	if want := []string{"http://farm.studio.lan:8080/", "http://flamenco:8080/", "http://10.8.0.5:8080/"}; !slices.Equal(cfg.ManualURLs, want) {
		t.Errorf("ManualURLs %q, want %q", cfg.ManualURLs, want)
	}
	if want := []string{"http://192.168.1.9:8080/"}; !slices.Equal(cfg.KnownURLs, want) {
		t.Errorf("KnownURLs %q, want %q", cfg.KnownURLs, want)
	}
}

// The tray reads IT's file at start: its Managers are marked in the menu's state and listed in the
// window of Managers added by hand; a bad line is logged with where it is. Removing the user's own
// copy of a Manager IT set forgets the copy, and leaves the Manager to the Browser.
func TestTrayTakesTheManagersSetByIT(t *testing.T) {
	path := itconfig.ManagersFile(t, "# for every user\nhttp://farm.studio.lan:8080/\nftp://nas/\n")
	a := test.NewTempApp(t)
	settings.AddManualManager(a.Preferences(), "http://farm.studio.lan:8080/")
	settings.AddManualManager(a.Preferences(), "http://10.8.0.5:8080/")
	var log testio.SyncBuffer
	tr := newTray(context.Background(), a, Options{Logger: zerolog.New(&log)})
	t.Cleanup(func() { tr.cancel(); tr.owner.wait() })

	if got := tr.snapshot().SetByIT.URLs; !slices.Equal(got, []string{"http://farm.studio.lan:8080/"}) {
		t.Errorf("the menu's SetByIT %q", got)
	}
	for _, want := range []string{`"where":"` + path + `"`, `"line":3`, `"entry":"ftp://nas/"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, log.String())
		}
	}
	current, actions := tr.manual()
	if !actions.SetByIT.Has("http://farm.studio.lan:8080/") || len(actions.SetByIT.Problems) != 1 {
		t.Errorf("the window's SetByIT %+v", actions.SetByIT)
	}
	for _, url := range current {
		actions.Remove(url)
	}
	if left := settings.ManualManagers(a.Preferences()); len(left) != 0 {
		t.Errorf("the user's copies were kept: %q", left)
	}
	// The Browser is not running: a removal sent to it waits, and says so when the tray quits.
	tr.cancel()
	tr.owner.wait()
	if !strings.Contains(log.String(), `"url":"http://10.8.0.5:8080/","message":"cannot remove the Manager"`) ||
		strings.Contains(log.String(), `"url":"http://farm.studio.lan:8080/","message":"cannot remove the Manager"`) {
		t.Errorf("want the Manager added by hand alone removed from the Browser:\n%s", log.String())
	}
}
