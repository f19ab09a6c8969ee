package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

func TestManualURLTakesWhatPeopleType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ typed, want string }{
		{"http://farm.example:8080/app/", "http://farm.example:8080/"},
		{" farm:8080 ", "http://farm:8080/"},
		{"10.8.0.5:8080", "http://10.8.0.5:8080/"},
		{"https://farm.example/", "https://farm.example:443/"},
		{"ftp://nas/", ""},
		{"", ""},
		{"http://user:pw@farm:8080/", ""},
	} {
		got, err := manualURL(tt.typed)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("manualURL(%q) = %q, %v; want %q", tt.typed, got, err, tt.want)
		}
	}
}

func TestManualManagersAreRememberedAndRemoved(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	if !addManualManager(p, "http://10.8.0.5:8080/") || addManualManager(p, "http://10.8.0.5:8080/") {
		t.Error("added once, refused twice: want true, false")
	}
	addManualManager(p, "http://farm:8080/")
	removeManualManager(p, "http://10.8.0.5:8080/")
	if got := manualManagers(p); !slices.Equal(got, []string{"http://farm:8080/"}) {
		t.Errorf("manual managers %v", got)
	}
}

func TestManagerLabelMarksManagersAddedByHand(t *testing.T) {
	t.Parallel()
	m := discovery.Manager{Name: "VPN Farm", Version: "3.3.1", Manual: true, Reachable: true}
	if got, want := ManagerLabel(m), "VPN Farm — 3.3.1 (added by hand)"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}
