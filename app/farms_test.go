package app

import (
	"slices"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func TestFarmPlanKeepsWatchingThroughOutagesAndRestartsOnANewURL(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	studio := manager("Studio Farm", true)
	studioDown := manager("Studio Farm", false)
	moved := studio
	moved.URL = "http://10.0.0.9:8080/"
	night := manager("Night Farm", true)
	runningFor := func(m discovery.Manager, unlistedSince time.Time) map[string]*farmRun {
		return map[string]*farmRun{m.ID: {manager: m, unlistedSince: unlistedSince}}
	}
	ids := func(ms []discovery.Manager) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		running   map[string]*farmRun
		managers  []discovery.Manager
		wantStart []string
		wantStop  []string
	}{
		{"a new Manager that answers", nil, []discovery.Manager{studio}, []string{"Studio Farm"}, nil},
		{"a new Manager that does not answer yet", nil, []discovery.Manager{studioDown}, nil, nil},
		{"not answering for a while: kept", runningFor(studio, time.Time{}), []discovery.Manager{studioDown}, nil, nil},
		{"gone from the list: kept for a while", runningFor(studio, now.Add(-time.Minute)), nil, nil, nil},
		{"gone for an hour: stopped", runningFor(studio, now.Add(-keepWatchingGone)), nil, nil, []string{"Studio Farm"}},
		{"back at another address: a new watcher", runningFor(studio, time.Time{}), []discovery.Manager{moved}, []string{"Studio Farm"}, []string{"Studio Farm"}},
		{"another Manager besides", runningFor(studio, time.Time{}), []discovery.Manager{studio, night}, []string{"Night Farm"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, stop := farmPlan(tc.running, tc.managers, now)
			if !slices.Equal(ids(start), tc.wantStart) || !slices.Equal(stop, tc.wantStop) {
				t.Errorf("start %q stop %q, want %q %q", ids(start), stop, tc.wantStart, tc.wantStop)
			}
		})
	}
}

// Only the Managers the menu lists get a watcher: the "N more…" ones do not.
func TestFarmPlanWatchesOnlyTheListedManagers(t *testing.T) {
	var managers []discovery.Manager
	for i := range maxListedManagers + 5 {
		managers = append(managers, manager(string(rune('A'+i)), true))
	}
	start, _ := farmPlan(nil, managers, time.Now())
	if len(start) != maxListedManagers {
		t.Errorf("%d watchers for %d Managers, %d listed", len(start), len(managers), maxListedManagers)
	}
}

func TestJobNotification(t *testing.T) {
	studio := manager("Studio Farm", true)
	for _, tc := range []struct {
		kind        farm.EventKind
		status      managerapi.JobStatus
		title, body string
		ok          bool
	}{
		{farm.JobFinished, managerapi.JobCompleted, "Job finished", "“shot 010” on Studio Farm — 3.3.1", true},
		{farm.JobFinished, managerapi.JobFailed, "Job failed", "“shot 010” on Studio Farm — 3.3.1", true},
		{farm.JobFinished, managerapi.JobCanceled, "Job canceled", "“shot 010” on Studio Farm — 3.3.1", true},
		{farm.JobChanged, managerapi.JobActive, "", "", false},
	} {
		e := farm.Event{Kind: tc.kind, Transition: farm.JobTransition{Job: managerapi.Job{ID: "a", Name: "shot\u00a0010\u202e", Status: tc.status}}}
		title, body, ok := jobNotification(studio, e)
		if title != tc.title || body != tc.body || ok != tc.ok {
			t.Errorf("%s %s: %q %q %v, want %q %q %v", tc.kind, tc.status, title, body, ok, tc.title, tc.body, tc.ok)
		}
	}
}

func TestAboutSaysHowEachManagersChangesArrive(t *testing.T) {
	t.Parallel()
	live, polled, connecting := manager("Studio Farm", true), manager("Night Farm", true), manager("Attic Farm", true)
	farms := map[string]ManagerFarm{
		live.ID:       {Summary: farm.Summary{Connection: farm.Connection{Live: true}}},
		polled.ID:     {Summary: farm.Summary{Connection: farm.Connection{Fallback: "polling: the event bus was refused (400)"}}},
		connecting.ID: {},
	}
	got := connectionLines([]discovery.Manager{live, polled, connecting, manager("Unwatched", true)}, farms)
	want := []string{
		NotificationLabel(connecting) + ": connecting to its event bus",
		NotificationLabel(polled) + ": polling: the event bus was refused (400)",
		NotificationLabel(live) + ": live updates over its event bus",
	}
	if !slices.Equal(got, want) {
		t.Errorf("connection lines:\n got %q\nwant %q", got, want)
	}
}
