package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// render writes a menu as lines: "label", with " [off]" when disabled, " [x]" when checked, a
// leading "> " per submenu level, and "---" for separators.
func render(m *fyne.Menu, depth int) []string {
	var lines []string
	for _, item := range m.Items {
		if item.IsSeparator {
			lines = append(lines, strings.Repeat("> ", depth)+"---")
			continue
		}
		line := strings.Repeat("> ", depth) + item.Label
		if item.Disabled {
			line += " [off]"
		}
		if item.Checked {
			line += " [x]"
		}
		lines = append(lines, line)
		if item.ChildMenu != nil {
			lines = append(lines, render(item.ChildMenu, depth+1)...)
		}
	}
	return lines
}

func manager(name string, reachable bool) discovery.Manager {
	return discovery.Manager{ID: name, Name: name, Version: "3.3.1", URL: "http://10.0.0.1:8080/", Reachable: reachable}
}

var (
	studioInfo = &discovery.VersionInfo{Name: "Studio Farm", Version: "3.3.1"}
	footer     = []string{"---", "Settings…", "Quit"}
)

func TestBuildMenu(t *testing.T) {
	t.Parallel()
	local := func(m discovery.Manager) discovery.Manager { m.Local = true; return m }
	many := make([]discovery.Manager, 23)
	for i := range many {
		many[i] = manager(fmt.Sprintf("Farm %02d", i), true)
	}
	tests := []struct {
		name  string
		state MenuState
		want  []string
	}{
		{
			name:  "searching",
			state: MenuState{Discovery: discovery.State{Searching: true}, Local: LocalManager{Problem: "no Manager answers at http://localhost:8080/"}},
			want: []string{"Searching for Managers… [off]", "---", "Search again", "---",
				"Advertise local Manager on the LAN [off]", "no Manager answers at http://localhost:8080/ [off]"},
		},
		{
			name:  "nothing found, with the reason",
			state: MenuState{Discovery: discovery.State{Problem: "no network interface that is up"}},
			want: []string{"No Manager found [off]", "no network interface that is up [off]", "---", "Search again", "---",
				"Advertise local Manager on the LAN [off]"},
		},
		{
			name: "Managers, local one marked, unreachable one disabled; local can be advertised",
			state: MenuState{
				Discovery: discovery.State{Managers: []discovery.Manager{manager("Alpha", false), local(manager("Studio Farm", true))}},
				Local:     LocalManager{Info: studioInfo},
			},
			want: []string{"Alpha — 3.3.1 (not answering) [off]", "Studio Farm — 3.3.1 (this computer)", "---", "Search again", "---",
				"Advertise “Studio Farm” on the LAN"},
		},
		{
			name: "advertising is checked",
			state: MenuState{
				Discovery:   discovery.State{Managers: []discovery.Manager{manager("Studio Farm", true)}},
				Local:       LocalManager{Info: studioInfo},
				Advertising: Advertising{Active: true, Name: "Studio Farm"},
			},
			want: []string{"Studio Farm — 3.3.1", "---", "Search again", "---", "Advertise “Studio Farm” on the LAN [x]"},
		},
		{
			name: "local Manager advertises itself",
			state: MenuState{
				Local: LocalManager{Info: studioInfo, Problem: "“Studio Farm” already advertises itself (UDP 1900 is in use)"},
			},
			want: []string{"No Manager found [off]", "---", "Search again", "---", "Advertise “Studio Farm” on the LAN [off]",
				"“Studio Farm” already advertises itself (UDP 1900 is in use) [off]"},
		},
		{
			name: "advertising stopped with an error",
			state: MenuState{
				Local:       LocalManager{Info: studioInfo},
				Advertising: Advertising{Error: "advertising stopped: the local Manager stopped answering"},
			},
			want: []string{"No Manager found [off]", "---", "Search again", "---", "Advertise “Studio Farm” on the LAN",
				"advertising stopped: the local Manager stopped answering [off]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(BuildMenu(tt.state, MenuActions{}), 0)
			want := append(slices.Clone(tt.want), footer...)
			if !slices.Equal(got, want) {
				t.Errorf("menu:\n got %q\nwant %q", got, want)
			}
		})
	}

	t.Run("the menu stays bounded however many answer", func(t *testing.T) {
		t.Parallel()
		flood := make([]discovery.Manager, 300)
		for i := range flood {
			flood[i] = manager(fmt.Sprintf("Farm %03d", i), true)
		}
		menu := BuildMenu(MenuState{Discovery: discovery.State{Managers: flood}}, MenuActions{})
		more := menu.Items[maxListedManagers]
		if more.Label != "280 more…" || len(more.ChildMenu.Items) != maxMoreManagers+1 ||
			more.ChildMenu.Items[maxMoreManagers].Label != "and 200 others (see flamenco-tray discover)" {
			t.Errorf("more: %q with %d items", more.Label, len(more.ChildMenu.Items))
		}
	})

	t.Run("at most 20 Managers, then N more…", func(t *testing.T) {
		t.Parallel()
		got := render(BuildMenu(MenuState{Discovery: discovery.State{Managers: many}}, MenuActions{}), 0)
		if got[19] != "Farm 19 — 3.3.1" || got[20] != "3 more…" || got[21] != "> Farm 20 — 3.3.1" || got[23] != "> Farm 22 — 3.3.1" {
			t.Errorf("menu: %q", got[18:25])
		}
	})
}

func TestMenuActions(t *testing.T) {
	t.Parallel()
	var opened []string
	var refreshed, toggled, settings, quit int
	actions := MenuActions{
		Open:            func(url string) { opened = append(opened, url) },
		Refresh:         func() { refreshed++ },
		ToggleAdvertise: func() { toggled++ },
		Settings:        func() { settings++ },
		Quit:            func() { quit++ },
	}
	m1, m2 := manager("Alpha", true), manager("Beta", true)
	m2.URL = "http://10.0.0.2:8080/"
	menu := BuildMenu(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{m1, m2}}, Local: LocalManager{Info: studioInfo}}, actions)
	for _, item := range menu.Items {
		if item.Action != nil {
			item.Action()
		}
	}
	if !slices.Equal(opened, []string{"http://10.0.0.1:8080/", "http://10.0.0.2:8080/"}) || refreshed != 1 || toggled != 1 || settings != 1 || quit != 1 {
		t.Errorf("opened %v, refresh %d, toggle %d, settings %d, quit %d", opened, refreshed, toggled, settings, quit)
	}
	if last := menu.Items[len(menu.Items)-1]; !last.IsQuit {
		t.Error("the last item is not marked IsQuit: Fyne would add a second Quit")
	}
}

func TestIconFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		state MenuState
		want  IconState
	}{
		{MenuState{Discovery: discovery.State{Searching: true}}, IconSearching},
		{MenuState{}, IconNoManager},
		{MenuState{Discovery: discovery.State{Managers: []discovery.Manager{manager("A", true)}}}, IconManagersFound},
		{MenuState{Advertising: Advertising{Active: true}}, IconAdvertising},
	}
	for _, tt := range tests {
		if got := IconFor(tt.state); got != tt.want {
			t.Errorf("IconFor(%+v) = %v, want %v", tt.state, got, tt.want)
		}
	}
}
