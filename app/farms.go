package app

import (
	"context"
	"slices"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
)

// farmSet is the tray's farm.Fleet: it watches the farms of the Managers the menu lists, turns
// their events into menu rebuilds and notifications, and adds the picked jobs to the menu's farms.
// Safe for concurrent use, as farm.Fleet is.
type farmSet struct {
	fleet *farm.Fleet
}

func newFarmSet(log zerolog.Logger, identity farm.Identity, watched []string,
	onChange func(farm.Summary), onEvent func(discovery.Manager, farm.Event), vouch func(managerID string, alive bool)) *farmSet {
	return &farmSet{fleet: farm.NewFleet(farm.FleetConfig{Identity: identity, Watched: watched, Logger: log, Vouch: vouch,
		OnEvent: func(m discovery.Manager, e farm.Event) {
			onChange(e.Summary)
			onEvent(m, e) // which looks only at the changes of jobs
		}})}
}

// keepWatchingGone is how long the farm of a Manager gone from the list is still watched.
const keepWatchingGone = farm.KeepWatchingGone

// sync starts and stops watchers to match the Managers the menu has a row for, not the "N more…"
// ones.
func (f *farmSet) sync(ctx context.Context, managers []discovery.Manager) {
	listed, _, _ := splitManagers(managers)
	f.fleet.Sync(ctx, listed)
}

func (f *farmSet) stop() { f.fleet.Stop() }

// summaries returns each watched Manager's farm, by Manager ID, for the menu.
func (f *farmSet) summaries() map[string]ManagerFarm {
	watched := map[string]bool{}
	for _, id := range f.fleet.Watched() {
		watched[id] = true
	}
	summaries := f.fleet.Summaries()
	farms := make(map[string]ManagerFarm, len(summaries))
	for id, s := range summaries {
		farms[id] = ManagerFarm{Summary: s, Watched: watched}
	}
	return farms
}

func (f *farmSet) setIdentity(identity farm.Identity) { f.fleet.SetIdentity(identity) }

// toggleWatch starts or stops watching a job and returns the jobs watched now.
func (f *farmSet) toggleWatch(jobID string) []string { return f.fleet.ToggleWatch(jobID) }

// connectionLines says, for About, how each watched Manager's changes arrive, sorted.
func connectionLines(managers []discovery.Manager, farms map[string]ManagerFarm) []string {
	var lines []string
	for _, m := range managers {
		f, ok := farms[m.ID]
		if !ok {
			continue
		}
		how := "connecting to its event bus"
		switch c := f.Summary.Connection; {
		case c.Live:
			how = "live updates over its event bus"
		case c.Fallback != "":
			how = c.Fallback
		}
		lines = append(lines, NotificationLabel(m)+": "+how)
	}
	slices.Sort(lines)
	return lines
}
