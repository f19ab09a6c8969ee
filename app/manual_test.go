package app

import (
	"testing"

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

func TestManagerLabelMarksManagersAddedByHand(t *testing.T) {
	t.Parallel()
	m := discovery.Manager{Name: "VPN Farm", Version: "3.3.1", Manual: true, Reachable: true}
	if got, want := ManagerLabel(m), "VPN Farm — 3.3.1 (added by hand)"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}
