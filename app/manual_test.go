package app

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

func TestManagerLabelMarksManagersAddedByHand(t *testing.T) {
	t.Parallel()
	m := discovery.Manager{Name: "VPN Farm", Version: "3.3.1", Manual: true, Reachable: true}
	if got, want := ManagerLabel(m), "VPN Farm — 3.3.1 (added by hand)"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}
