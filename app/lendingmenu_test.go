package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func TestLendingRowsUnderAManager(t *testing.T) {
	t.Parallel()
	studio := manager("Studio Farm", true)
	awayAfter := 10 * time.Minute
	busy := localworker.State{Phase: localworker.Busy, Active: true, JobID: "j1", Job: "shot-010"}
	run := farmIndent + "Run a Worker here"
	lendOn := farmIndent + "Lend this computer when I'm away [x]"
	notFound := "flamenco-worker not found: set its place in Settings"
	tests := []struct {
		name   string
		status *lending.Status // nil: lending is off for the Manager
		worker LocalWorker
		want   []string
	}{
		{"off", nil, LocalWorker{}, []string{run, farmIndent + "Lend this computer when I'm away"}},
		{"just turned on: no line before the Lender's first look", &lending.Status{Decision: lending.Decision{Mode: lending.Off}},
			LocalWorker{}, []string{run, lendOn, farmIndent + "Not tonight"}},
		{"counting down", &lending.Status{Decision: lending.Decision{Mode: lending.Here, ToGo: 4 * time.Minute}, AwayAfter: awayAfter},
			LocalWorker{}, []string{run, lendOn,
				farmIndent + "Will lend after 10 min away (4 min to go) [off]", farmIndent + "Not tonight"}},
		{"lending", &lending.Status{Decision: lending.Decision{Mode: lending.Away}, Lent: true, Worker: busy, AwayAfter: awayAfter},
			LocalWorker{Running: true, State: "busy", Job: "shot-010"}, []string{
				farmIndent + "Worker here: busy on shot-010", "> Stop after this task", "> Stop now", lendOn,
				farmIndent + "Lending to Studio Farm: rendering shot-010 [off]", farmIndent + "Not tonight"}},
		{"asleep", &lending.Status{Decision: lending.Decision{Mode: lending.Here, ToGo: awayAfter},
			Worker: localworker.State{Phase: localworker.Asleep, Active: true}, AwayAfter: awayAfter},
			LocalWorker{Running: true, State: "asleep"}, []string{
				farmIndent + "Worker here: asleep", "> Stop after this task", "> Stop now", lendOn,
				farmIndent + "You're here: the Worker sleeps [off]", farmIndent + "Not tonight"}},
		{"cannot lend: nothing to skip tonight", &lending.Status{Decision: lending.Decision{Mode: lending.NoIdle,
			Reason: "no idle time on this desktop"}}, LocalWorker{}, []string{run, lendOn,
			farmIndent + "Cannot lend this computer: no idle time on this desktop [off]"}},
		{"no flamenco-worker: greyed, under the reason", nil, LocalWorker{Unavailable: notFound}, []string{run + " [off]",
			farmIndent + notFound + " [off]", farmIndent + "Lend this computer when I'm away [off]"}},
		{"no flamenco-worker, lending on: it can be turned off", &lending.Status{Decision: lending.Decision{Mode: lending.Here,
			ToGo: awayAfter}, AwayAfter: awayAfter}, LocalWorker{Unavailable: notFound}, []string{run + " [off]",
			farmIndent + notFound + " [off]", lendOn, farmIndent + "Will lend after 10 min away (10 min to go) [off]",
			farmIndent + "Not tonight"}},
		{"not tonight", &lending.Status{Decision: lending.Decision{Mode: lending.SkipTonight},
			NotTonightUntil: time.Date(2026, 12, 5, 8, 0, 0, 0, time.Local), AwayAfter: awayAfter}, LocalWorker{}, []string{
			run, lendOn, farmIndent + "Not tonight: lending again from 08:00 [off]", farmIndent + "Lend tonight after all"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio}},
				Farms: map[string]ManagerFarm{studio.ID: {Summary: summaryWith(managerapi.FarmActive, nil, nil), Worker: tc.worker}}}
			if tc.status != nil {
				s.Lending = map[string]lending.Status{studio.ID: *tc.status}
			}
			rows := managerRows(BuildMenu(s, MenuActions{}), "Studio Farm")
			// The rows after the farm's own (its state, jobs and my jobs).
			i := slices.IndexFunc(rows, func(r string) bool {
				return strings.HasPrefix(r, farmIndent+"Run a Worker") || strings.HasPrefix(r, farmIndent+"Worker here")
			})
			if i < 0 || !slices.Equal(rows[i:], tc.want) {
				t.Errorf("rows\n%s\nwant, after the farm's\n%s", strings.Join(rows, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// The lending items do what they say for their Manager.
func TestLendingItemsActOnTheirManager(t *testing.T) {
	t.Parallel()
	studio := manager("Studio Farm", true)
	var got []string
	actions := MenuActions{
		ToggleLending: func(id string) { got = append(got, "toggle "+id) },
		NotTonight:    func(id string) { got = append(got, "not tonight "+id) },
		LendTonight:   func(id string) { got = append(got, "tonight "+id) },
	}
	skipping := lending.Status{Decision: lending.Decision{Mode: lending.SkipTonight}, NotTonightUntil: time.Now().Add(time.Hour)}
	for _, status := range []lending.Status{{Decision: lending.Decision{Mode: lending.Here}}, skipping} {
		for _, item := range lendingItems(studio, LocalWorker{}, map[string]lending.Status{studio.ID: status}, actions) {
			if item.Action != nil {
				item.Action()
			}
		}
	}
	want := []string{"toggle Studio Farm", "not tonight Studio Farm", "toggle Studio Farm", "tonight Studio Farm"}
	if !slices.Equal(got, want) {
		t.Errorf("clicks did %q, want %q", got, want)
	}
}

// A Manager that does not answer keeps its lending rows while lending to it is on, so that it can
// be turned off; without lending or a Worker, it has none.
func TestLendingRowsOfAManagerNotAnswering(t *testing.T) {
	t.Parallel()
	gone := manager("Studio Farm", false)
	s := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{gone}},
		Farms: map[string]ManagerFarm{gone.ID: {Summary: summaryWith(managerapi.FarmActive, nil, nil)}}}
	if rows := managerRows(BuildMenu(s, MenuActions{}), "Studio Farm"); len(rows) != 1 {
		t.Errorf("rows %q, want only the Manager's entry", rows)
	}
	s.Lending = map[string]lending.Status{gone.ID: {Decision: lending.Decision{Mode: lending.Here, ToGo: time.Minute},
		AwayAfter: time.Minute}}
	want := []string{"Studio Farm — 3.3.1 (not answering) [off]", farmIndent + "Lend this computer when I'm away [x]",
		farmIndent + "Will lend after 1 min away (1 min to go) [off]", farmIndent + "Not tonight"}
	if rows := managerRows(BuildMenu(s, MenuActions{}), "Studio Farm"); !slices.Equal(rows, want) {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

// The icon shows when this computer renders for a farm, before anything else it could show; a
// Worker lent but waiting for work, or one run by hand, does not change it.
func TestIconShowsRenderingForAFarm(t *testing.T) {
	t.Parallel()
	busy := localworker.State{Phase: localworker.Busy, Active: true}
	found := discovery.State{Managers: []discovery.Manager{manager("A", true)}}
	tests := []struct {
		name    string
		lending map[string]lending.Status
		adv     bool
		want    IconState
	}{
		{"no lending", nil, false, IconManagersFound},
		{"lent, rendering", map[string]lending.Status{"A": {Lent: true, Worker: busy}}, false, IconRendering},
		{"lent, rendering, while advertising", map[string]lending.Status{"A": {Lent: true, Worker: busy}}, true, IconRendering},
		{"lent, waiting for work", map[string]lending.Status{"A": {Lent: true,
			Worker: localworker.State{Phase: localworker.Awake, Active: true}}}, false, IconManagersFound},
		{"busy, run by hand", map[string]lending.Status{"A": {Worker: busy}}, true, IconAdvertising},
		{"one of two rendering", map[string]lending.Status{"A": {}, "B": {Lent: true, Worker: busy}}, false, IconRendering},
	}
	for _, tc := range tests {
		s := MenuState{Discovery: found, Advertising: Advertising{Active: tc.adv}, Lending: tc.lending}
		if got := IconFor(s); got != tc.want {
			t.Errorf("%s: icon %v, want %v", tc.name, got, tc.want)
		}
	}
	if iconResource(IconRendering).Name() != "tray-rendering.png" {
		t.Errorf("IconRendering shows %s", iconResource(IconRendering).Name())
	}
}
