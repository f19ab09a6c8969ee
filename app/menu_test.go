package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

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
	footer     = []string{"---", "Settings…", "About Flamenco Tray…", "Quit"}
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
			want: []string{"Searching for Managers… [off]", "---", "Search again", "Add Manager by URL…", "---",
				"Advertise local Manager on the LAN [off]", "no Manager answers at http://localhost:8080/ [off]"},
		},
		{
			name:  "nothing found, with the reason",
			state: MenuState{Discovery: discovery.State{Problem: "no network interface that is up"}},
			want: []string{"No Manager found [off]", "no network interface that is up [off]", "---", "Search again", "Add Manager by URL…", "---",
				"Advertise local Manager on the LAN [off]"},
		},
		{
			name: "Managers, local one marked, unreachable one disabled; local can be advertised",
			state: MenuState{
				Discovery: discovery.State{Managers: []discovery.Manager{manager("Alpha", false), local(manager("Studio Farm", true))}},
				Local:     LocalManager{Info: studioInfo},
			},
			want: []string{"Alpha — 3.3.1 (not answering) [off]", "Studio Farm — 3.3.1 (this computer)", "---", "Search again", "Add Manager by URL…", "---",
				"Advertise “Studio Farm” on the LAN"},
		},
		{
			name: "advertising is checked",
			state: MenuState{
				Discovery:   discovery.State{Managers: []discovery.Manager{manager("Studio Farm", true)}},
				Local:       LocalManager{Info: studioInfo},
				Advertising: Advertising{Active: true, Name: "Studio Farm"},
			},
			want: []string{"Studio Farm — 3.3.1", "---", "Search again", "Add Manager by URL…", "---", "Advertise “Studio Farm” on the LAN [x]"},
		},
		{
			name: "local Manager advertises itself",
			state: MenuState{
				Local: LocalManager{Info: studioInfo, Problem: "“Studio Farm” already advertises itself (UDP 1900 is in use)"},
			},
			want: []string{"No Manager found [off]", "---", "Search again", "Add Manager by URL…", "---", "Advertise “Studio Farm” on the LAN [off]",
				"“Studio Farm” already advertises itself (UDP 1900 is in use) [off]"},
		},
		{
			name: "a long error is one short row; the details are in the log",
			state: MenuState{Discovery: discovery.State{Problem: "cannot search: listen udp4 0.0.0.0:0: setsockopt: " +
				strings.Repeat("operation not permitted by the kernel's multicast policy on interface eth0, ", 6)}},
			want: []string{"No Manager found [off]", "cannot search (details in the log) [off]", "---", "Search again", "Add Manager by URL…", "---",
				"Advertise local Manager on the LAN [off]"},
		},
		{
			name: "advertising stopped with an error",
			state: MenuState{
				Local:       LocalManager{Info: studioInfo},
				Advertising: Advertising{Error: "advertising stopped: the local Manager stopped answering"},
			},
			want: []string{"No Manager found [off]", "---", "Search again", "Add Manager by URL…", "---", "Advertise “Studio Farm” on the LAN",
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
		Open:            func(id string) { opened = append(opened, id) },
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
	if !slices.Equal(opened, []string{m1.ID, m2.ID}) || refreshed != 1 || toggled != 1 || settings != 1 || quit != 1 {
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

func TestShortMessageFitsOneRow(t *testing.T) {
	t.Parallel()
	words := strings.Repeat("the Manager did not answer in time ", 5)
	tests := []struct{ in, want string }{
		{"no network interface that is up, has an IPv4 address and supports multicast",
			"no network interface that is up, has an IPv4 address and supports multicast"},
		{"cannot advertise: UDP 1900 is in use", "cannot advertise: UDP 1900 is in use"},
		{"cannot search: listen udp4: " + words, "cannot search (details in the log)"},
		{"line one\nline two", "line one line two"},
		{words, "the Manager did not answer in time the Manager did not answer in time the…"},
		{strings.Repeat("x", 200), strings.Repeat("x", maxRowRunes-1) + "…"},
		{strings.Repeat("long context without a break ", 4) + ": cause", "long context without a break long context without a break long context…"},
	}
	for _, tt := range tests {
		got := shortMessage(tt.in)
		if got != tt.want {
			t.Errorf("shortMessage(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > maxRowRunes {
			t.Errorf("shortMessage(%q) is %d characters", tt.in, n)
		}
	}
}

func TestManagerLabel(t *testing.T) {
	t.Parallel()
	studio := discovery.Manager{ID: "a", Name: "Studio Farm", Version: "3.3.1", Host: "10.0.0.5", URL: "http://10.0.0.5:8080/", Reachable: true}
	with := func(change func(*discovery.Manager)) discovery.Manager { m := studio; change(&m); return m }
	tests := []struct {
		name            string
		m               discovery.Manager
		label, notified string
	}{
		{"plain", studio, "Studio Farm — 3.3.1", "Studio Farm — 3.3.1"},
		{"host only when the name is ambiguous", with(func(m *discovery.Manager) { m.Ambiguous = true }),
			"Studio Farm — 3.3.1 (10.0.0.5)", "Studio Farm — 3.3.1 (10.0.0.5)"},
		{"IPv6 host", with(func(m *discovery.Manager) { m.Ambiguous, m.Host = true, "fd00::5" }),
			"Studio Farm — 3.3.1 (fd00::5)", "Studio Farm — 3.3.1 (fd00::5)"},
		{"host, then this computer, then not answering", with(func(m *discovery.Manager) { m.Ambiguous, m.Local, m.Reachable = true, true, false }),
			"Studio Farm — 3.3.1 (10.0.0.5, this computer, not answering)", "Studio Farm — 3.3.1 (10.0.0.5, this computer)"},
		{"not answering", with(func(m *discovery.Manager) { m.Reachable = false }),
			"Studio Farm — 3.3.1 (not answering)", "Studio Farm — 3.3.1"},
		{"this computer", with(func(m *discovery.Manager) { m.Local = true }),
			"Studio Farm — 3.3.1 (this computer)", "Studio Farm — 3.3.1 (this computer)"},
		{"no version", with(func(m *discovery.Manager) { m.Version = "" }), "Studio Farm", "Studio Farm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := managerLabel(tt.m, !tt.m.Reachable, false); got != tt.label {
				t.Errorf("the menu's label = %q, want %q", got, tt.label)
			}
			if got := NotificationLabel(tt.m); got != tt.notified {
				t.Errorf("NotificationLabel = %q, want %q", got, tt.notified)
			}
		})
	}
}

func TestTwoManagersOfOneNameAreToldApartByHost(t *testing.T) {
	t.Parallel()
	a := discovery.Manager{ID: "a", Name: "Studio Farm", Version: "3.3.1", Host: "10.0.0.5", Ambiguous: true, Reachable: true}
	b := discovery.Manager{ID: "b", Name: "Studio Farm", Version: "3.3.1", Host: "10.0.1.7", Ambiguous: true, Reachable: true}
	got := render(BuildMenu(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{a, b}}}, MenuActions{}), 0)
	if got[0] != "Studio Farm — 3.3.1 (10.0.0.5)" || got[1] != "Studio Farm — 3.3.1 (10.0.1.7)" {
		t.Errorf("menu: %q", got[:2])
	}
}

func TestMenuKey(t *testing.T) {
	t.Parallel()
	base := MenuState{
		Discovery: discovery.State{Managers: []discovery.Manager{manager("Alpha", true), manager("Beta", true)}},
		Local:     LocalManager{URL: "http://localhost:8080/", Info: studioInfo},
	}
	key := func(s MenuState) string { return buildView(s, MenuActions{}).key }
	change := func(f func(s *MenuState)) MenuState {
		s := base
		s.Discovery.Managers = slices.Clone(base.Discovery.Managers)
		f(&s)
		return s
	}
	invisible := map[string]MenuState{
		"a Manager's URL and addresses": change(func(s *MenuState) {
			s.Discovery.Managers[0].URL = "http://10.0.0.9:8080/"
			s.Discovery.Managers[0].Addresses = []string{"http://10.0.0.9:8080"}
		}),
		"a Manager's host, its name not ambiguous": change(func(s *MenuState) { s.Discovery.Managers[0].Host = "10.0.0.9" }),
		"search counters":                          change(func(s *MenuState) { s.Discovery.PendingChecks = 3 }),
		"searching, with Managers listed":          change(func(s *MenuState) { s.Discovery.Searching = true }),
		"the local Manager URL":                    change(func(s *MenuState) { s.Local.URL = "http://localhost:9090/" }),
	}
	for name, s := range invisible {
		if key(s) != key(base) {
			t.Errorf("%s changed the key, though the menu looks and acts the same", name)
		}
	}
	visible := map[string]MenuState{
		"a label":        change(func(s *MenuState) { s.Discovery.Managers[0].Version = "3.4" }),
		"greyed out":     change(func(s *MenuState) { s.Discovery.Managers[0].Reachable = false }),
		"checked":        change(func(s *MenuState) { s.Advertising = Advertising{Active: true, Name: "Studio Farm"} }),
		"one item more":  change(func(s *MenuState) { s.Local.Problem = "no Manager answers" }),
		"one item less":  change(func(s *MenuState) { s.Discovery.Managers = s.Discovery.Managers[:1] }),
		"what it opens":  change(func(s *MenuState) { s.Discovery.Managers[0].ID = "Alpha restarted" }),
		"ambiguous name": change(func(s *MenuState) { s.Discovery.Managers[0].Ambiguous, s.Discovery.Managers[0].Host = true, "10.0.0.1" }),
	}
	for name, s := range visible {
		if key(s) == key(base) {
			t.Errorf("%s did not change the key", name)
		}
	}

	sep := fyne.NewMenu("", fyne.NewMenuItem("A", nil), fyne.NewMenuItemSeparator(), fyne.NewMenuItem("B", nil))
	noSep := fyne.NewMenu("", fyne.NewMenuItem("A", nil), fyne.NewMenuItem("B", nil))
	child := fyne.NewMenu("", fyne.NewMenuItem("A", nil), fyne.NewMenuItem("B", nil))
	child.Items[0].ChildMenu = fyne.NewMenu("", fyne.NewMenuItem("C", nil))
	keys := []string{menuKey(sep, nil), menuKey(noSep, nil), menuKey(child, nil)}
	if keys[0] == keys[1] || keys[1] == keys[2] {
		t.Errorf("separators or submenus do not change the key:\n%s", strings.Join(keys, "\n"))
	}
}

// A Manager's item opens it by ID: when its URL changes without a visible change, the menu is not
// re-sent, and the click still opens the URL it has now.
func TestManagerItemOpensTheCurrentURL(t *testing.T) {
	t.Parallel()
	before := manager("Alpha", true)
	after := before
	after.URL = "http://10.0.0.9:8080/"
	var opened []string
	actions := MenuActions{Open: func(id string) {
		if m, ok := managerByID([]discovery.Manager{after}, id); ok {
			opened = append(opened, m.URL)
		}
	}}
	shown := buildView(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{before}}}, actions)
	now := buildView(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{after}}}, actions)
	if shown.key != now.key {
		t.Fatal("a URL change alone changed the menu's key")
	}
	shown.menu.Items[0].Action()
	if !slices.Equal(opened, []string{after.URL}) {
		t.Errorf("opened %v, want %s", opened, after.URL)
	}
}
