package app

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
)

// Only the Managers the menu lists get a watcher: the "N more…" ones do not.
func TestTrayWatchesTheFarmsOfOnlyTheListedManagers(t *testing.T) {
	server := httptest.NewServer(http.NotFoundHandler())
	defer server.Close()
	var managers []discovery.Manager
	for i := range maxListedManagers + 5 {
		m := manager(string(rune('A'+i)), true)
		m.URL = server.URL + "/"
		managers = append(managers, m)
	}
	farms := newFarmSet(zerolog.Nop(), farm.Identity{}, nil, func(farm.Summary) {}, func(discovery.Manager, farm.Event) {},
		func(string, bool) {})
	defer farms.stop()
	farms.sync(t.Context(), managers)
	watched := farms.summaries()
	if _, ok := watched[managers[0].ID]; len(watched) != maxListedManagers || !ok {
		t.Errorf("%d watchers for %d Managers, %d listed", len(watched), len(managers), maxListedManagers)
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
