package app

import (
	"slices"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Only the Managers the menu lists get a watcher: the "N more…" ones do not.
func TestTrayWatchesTheFarmsOfOnlyTheListedManagers(t *testing.T) {
	var managers []discovery.Manager
	for i := range maxListedManagers + 5 {
		managers = append(managers, manager(string(rune('A'+i)), true))
	}
	watched := watchedManagers(managers)
	if len(watched) != maxListedManagers || watched[0].ID != managers[0].ID {
		t.Errorf("%d watchers for %d Managers, %d listed", len(watched), len(managers), maxListedManagers)
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
