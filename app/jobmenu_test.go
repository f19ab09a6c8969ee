package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// jobSubmenu is the submenu of the row of My jobs whose label starts with name.
func jobSubmenu(t *testing.T, menu *fyne.Menu, name string) *fyne.MenuItem {
	t.Helper()
	var found *fyne.MenuItem
	var walk func(items []*fyne.MenuItem)
	walk = func(items []*fyne.MenuItem) {
		for _, item := range items {
			if found == nil && len(item.Label) >= len(name) && item.Label[:len(name)] == name && item.ChildMenu != nil {
				found = item
			}
			if item.ChildMenu != nil {
				walk(item.ChildMenu.Items)
			}
		}
	}
	walk(menu.Items)
	if found == nil {
		t.Fatalf("no row %q with a submenu in\n%q", name, render(menu, 0))
	}
	return found
}

func itemLabels(m *fyne.Menu) []string {
	var out []string
	for _, item := range m.Items {
		if item.IsSeparator {
			out = append(out, "---")
			continue
		}
		out = append(out, item.Label)
	}
	return out
}

func TestMyJobsOfferWhatEachJobsStateAndTheManagerAllow(t *testing.T) {
	t.Parallel()
	for _, canPause := range []bool{true, false} { // 3.6+, 3.3–3.5
		studio := manager("Studio Farm", true)
		s := summaryWith(managerapi.FarmActive, nil, nil,
			job("a1", "shot-010 rendering", managerapi.JobActive), job("p1", "shot-020 paused", managerapi.JobPaused),
			job("f1", "shot-030 failed", managerapi.JobFailed), job("c1", "shot-040 done", managerapi.JobCompleted),
			job("b1", "bob's shot", managerapi.JobActive))
		s.CanPause = canPause
		s.Theirs = map[string]bool{"b1": true} // watched, not mine
		menu := BuildMenu(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio}},
			Farms: map[string]ManagerFarm{studio.ID: {Summary: s, Watched: map[string]bool{"b1": true}}}}, MenuActions{})
		open := []string{"Open in the web UI", "Show the last frame"}
		want := map[string][]string{
			"shot-010 rendering": append(open, "---", "Pause", "Cancel…"),
			"shot-020 paused":    append(open, "---", "Resume", "Cancel…"),
			"shot-030 failed":    append(open, "---", "Requeue"),
			"shot-040 done":      open,
			"bob's shot":         open, // another's job: no actions
		}
		if !canPause {
			want["shot-010 rendering"] = append(open, "---", "Cancel…")
		}
		for name, items := range want {
			if got := itemLabels(jobSubmenu(t, menu, name).ChildMenu); !slices.Equal(got, items) {
				t.Errorf("canPause %t: %s offers %q, want %q", canPause, name, got, items)
			}
		}
	}
}

func TestMyJobsItemsDoWhatTheySayToTheirJob(t *testing.T) {
	t.Parallel()
	studio := manager("Studio Farm", true)
	s := summaryWith(managerapi.FarmActive, nil, nil, job("a1", "shot-010", managerapi.JobActive),
		job("f1", "shot-030", managerapi.JobFailed))
	s.CanPause = true
	var did []string
	a := MenuActions{
		OpenJob:   func(m, j string) { did = append(did, "open "+m+" "+j) },
		ShowFrame: func(m, j string) { did = append(did, "frame "+m+" "+j) },
		JobAction: func(m, j string, action farm.JobAction) { did = append(did, string(action)+" "+m+" "+j) },
	}
	menu := BuildMenu(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio}},
		Farms: map[string]ManagerFarm{studio.ID: {Summary: s}}}, a)
	for _, item := range jobSubmenu(t, menu, "shot-010").ChildMenu.Items {
		if item.Action != nil {
			item.Action()
		}
	}
	for _, item := range jobSubmenu(t, menu, "shot-030").ChildMenu.Items {
		if item.Label == "Requeue" {
			item.Action()
		}
	}
	want := []string{"open Studio Farm a1", "frame Studio Farm a1", "pause Studio Farm a1", "cancel Studio Farm a1",
		"requeue Studio Farm f1"}
	if !slices.Equal(did, want) {
		t.Errorf("the items did %q, want %q", did, want)
	}
}

func TestMyJobsRowsCarryTheirLastFrameAndTheMenusKeyFollowsIt(t *testing.T) {
	t.Parallel()
	studio := manager("Studio Farm", true)
	s := summaryWith(managerapi.FarmActive, nil, nil, job("a1", "shot-010", managerapi.JobActive))
	frame := fyne.NewStaticResource("frame-0123.png", []byte("png"))
	state := func(frames map[string]fyne.Resource) MenuState {
		return MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio}},
			Farms: map[string]ManagerFarm{studio.ID: {Summary: s, Frames: frames}}}
	}
	without := buildView(state(nil), MenuActions{})
	with := buildView(state(map[string]fyne.Resource{"a1": frame}), MenuActions{})
	if icon := jobSubmenu(t, with.menu, "shot-010").Icon; icon != frame {
		t.Errorf("the row's icon is %v, want its frame", icon)
	}
	if jobSubmenu(t, without.menu, "shot-010").Icon != nil {
		t.Error("a row without a frame has an icon")
	}
	newer := buildView(state(map[string]fyne.Resource{"a1": fyne.NewStaticResource("frame-4567.png", []byte("png2"))}), MenuActions{})
	if without.key == with.key || with.key == newer.key {
		t.Error("the menu's key does not change with the row's frame: the new picture would never be sent")
	}
}
