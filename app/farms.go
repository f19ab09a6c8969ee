package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// farmSet is the tray's farm.Fleet: it watches the Managers the menu lists (the first
// maxListedManagers), turns every farm event into a menu rebuild and a job of mine that changed into
// a notification, and adds the picked jobs to each Manager's farm for the menu.
//
// Concurrency: a thin wrapper; farm.Fleet's methods may be called from any goroutine.
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

// stop ends every watcher and waits for them.
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

// setIdentity changes whose jobs are "mine" on every Manager.
func (f *farmSet) setIdentity(identity farm.Identity) { f.fleet.SetIdentity(identity) }

// toggleWatch starts or stops watching a job and returns the jobs watched now.
func (f *farmSet) toggleWatch(jobID string) []string { return f.fleet.ToggleWatch(jobID) }

// jobNews is the notification for the end of a job of mine (nil for a job that did not end): a
// click opens the job, and it shows its last rendered frame where it can.
func jobNews(m discovery.Manager, job managerapi.Job) *news {
	titles := map[managerapi.JobStatus]string{managerapi.JobCompleted: "Job finished", managerapi.JobFailed: "Job failed",
		managerapi.JobCanceled: "Job canceled"}
	title, ok := titles[job.Status]
	if !ok {
		return nil
	}
	body := fmt.Sprintf("“%s” on %s", managerapi.CleanText(job.Name, maxJobNameRunes), NotificationLabel(m))
	return &news{Title: title, Body: body, Open: managerapi.JobURL(m.URL, job.ID), Frame: frameKey{m.URL, job.ID}}
}

// connectionLines says, for About, how each watched Manager's changes arrive: live over its event
// bus, or by polling and why. Sorted by Manager label.
func connectionLines(managers []discovery.Manager, farms map[string]ManagerFarm) []string {
	var lines []string
	for _, m := range managers {
		f, ok := farms[m.ID]
		if !ok {
			continue
		}
		label := NotificationLabel(m)
		switch c := f.Summary.Connection; {
		case c.Live:
			lines = append(lines, label+": live updates over its event bus")
		case c.Fallback != "":
			lines = append(lines, label+": "+c.Fallback)
		default:
			lines = append(lines, label+": connecting to its event bus")
		}
	}
	slices.Sort(lines)
	return lines
}
