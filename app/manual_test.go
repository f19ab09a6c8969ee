package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
)

func TestManagerLabelMarksManagersAddedByHand(t *testing.T) {
	t.Parallel()
	m := discovery.Manager{Name: "VPN Farm", Version: "3.3.1", Manual: true, Reachable: true}
	if got, want := managerLabel(m, !m.Reachable, false), "VPN Farm — 3.3.1 (added by hand)"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}

// A Manager IT set for every user is marked so in the menu, wherever it is listed, whichever of
// its addresses IT gave; one added by hand stays "added by hand", one found by searching unmarked.
func TestMenuMarksTheManagersSetByIT(t *testing.T) {
	t.Parallel()
	it := discovery.Manager{ID: "it", Name: "Studio Farm", Version: "3.3.1", URL: "http://10.1.0.5:8080/",
		Addresses: []string{"http://10.1.0.5:8080", "http://farm.studio.lan:8080"}, Manual: true, Reachable: true}
	mine := discovery.Manager{ID: "mine", Name: "VPN Farm", Version: "3.3.1", URL: "http://10.8.0.5:8080/",
		Addresses: []string{"http://10.8.0.5:8080"}, Manual: true, Reachable: true}
	lan := discovery.Manager{ID: "lan", Name: "LAN Farm", Version: "3.8.5", URL: "http://192.168.1.9:8080/",
		Addresses: []string{"http://192.168.1.9:8080"}, Reachable: true}
	state := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{lan, it, mine}},
		SetByIT: machineconfig.ParseFile("managers", "http://farm.studio.lan:8080/")}
	var opened []string
	view := buildView(state, MenuActions{Open: func(id string) { opened = append(opened, id) }})
	got := render(view.menu, 0)
	if want := []string{"LAN Farm — 3.8.5", "Studio Farm — 3.3.1 (set by your IT)", "VPN Farm — 3.3.1 (added by hand)"}; !slices.Equal(got[:3], want) {
		t.Errorf("menu %q, want it to start with %q", got, want)
	}
	for _, item := range view.menu.Items {
		if strings.Contains(item.Label, "Remove") || strings.Contains(item.Label, "Forget") {
			t.Errorf("the menu offers %q", item.Label)
		}
	}
	view.menu.Items[1].Action()
	if !slices.Equal(opened, []string{"it"}) {
		t.Errorf("the IT-set Manager's item opened %q", opened)
	}

	// The mark is part of what the tray host shows: the menu is sent again when it changes.
	state.SetByIT = machineconfig.Managers{}
	if without := buildView(state, MenuActions{}); without.key == view.key || render(without.menu, 0)[1] != "Studio Farm — 3.3.1 (added by hand)" {
		t.Errorf("without IT's list: %q, the same key: %t", render(without.menu, 0)[1], without.key == view.key)
	}

	// In the "N more…" submenu too.
	many := make([]discovery.Manager, maxListedManagers)
	for i := range many {
		many[i] = manager(fmt.Sprintf("Farm %02d", i), true)
		many[i].ID = many[i].Name
	}
	state = MenuState{Discovery: discovery.State{Managers: append(many, it)}, SetByIT: machineconfig.ParseValue("managers", it.URL)}
	if more := render(BuildMenu(state, MenuActions{}), 0); !slices.Contains(more, "> Studio Farm — 3.3.1 (set by your IT)") {
		t.Errorf("more… lacks the IT-set Manager:\n%q", more)
	}
}
