package app

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// maxWatchedJobs bounds the jobs remembered as picked to watch.
const maxWatchedJobs = 50

// farmSet runs one farm.Watcher per listed, answering Manager (the first maxListedManagers, those
// the menu shows rows for), and stops it when the Manager is no longer listed or answering.
type farmSet struct {
	log      zerolog.Logger
	goOwned  func(func())
	onChange func()                              // the menu should be rebuilt
	onEvent  func(discovery.Manager, farm.Event) // a job of mine changed, for notifications
	// vouch tells discovery that a Manager's event bus is connected (so it is alive: no need to check
	// it over HTTP) or no longer is (check it at once).
	vouch func(managerID string, alive bool)

	mu       sync.Mutex
	running  map[string]*farmRun // by Manager ID
	identity farm.Identity
	watched  []string // job IDs, newest pick last
}

type farmRun struct {
	manager       discovery.Manager // as when it started; URL is the watcher's
	watcher       *farm.Watcher
	cancel        context.CancelFunc
	unlistedSince time.Time // zero while its Manager is listed
}

func newFarmSet(log zerolog.Logger, goOwned func(func()), identity farm.Identity, watched []string,
	onChange func(), onEvent func(discovery.Manager, farm.Event), vouch func(managerID string, alive bool)) *farmSet {
	return &farmSet{log: log, goOwned: goOwned, onChange: onChange, onEvent: onEvent, vouch: vouch, running: map[string]*farmRun{},
		identity: identity, watched: watched}
}

// keepWatchingGone is how long a Manager's farm is still watched after the Manager left the list: a
// Manager that restarts, or a laptop that loses the network for a while, comes back to a watcher that
// knows its jobs, so a job of mine that ended meanwhile is still notified (a new watcher's first
// poll is silent). Its polls back off while it does not answer.
const keepWatchingGone = time.Hour

// sync starts and stops watchers to match the listed Managers (see farmPlan).
func (f *farmSet) sync(ctx context.Context, managers []discovery.Manager) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	start, stop := farmPlan(f.running, managers, now)
	for _, id := range stop {
		f.running[id].cancel()
		delete(f.running, id)
	}
	if ctx.Err() != nil {
		return
	}
	for _, m := range start {
		f.startLocked(ctx, m)
	}
	for id, run := range f.running {
		if slices.ContainsFunc(managers, func(m discovery.Manager) bool { return m.ID == id }) {
			run.unlistedSince = time.Time{}
		} else if run.unlistedSince.IsZero() {
			run.unlistedSince = now
		}
	}
}

// farmPlan says which watchers to start and which to stop: one per Manager the menu lists (the first
// maxListedManagers) once it answers; kept while it is listed, answering or not, and for
// keepWatchingGone after it left the list; replaced when its URL changed.
func farmPlan(running map[string]*farmRun, managers []discovery.Manager, now time.Time) (start []discovery.Manager, stop []string) {
	listed, _, _ := splitManagers(managers)
	listedByID := map[string]discovery.Manager{}
	for _, m := range listed {
		listedByID[m.ID] = m
	}
	for id, run := range running {
		m, ok := listedByID[id]
		switch {
		case ok && m.URL != run.manager.URL:
			stop = append(stop, id)
			if m.Reachable {
				start = append(start, m)
			}
		case !ok && !run.unlistedSince.IsZero() && now.Sub(run.unlistedSince) >= keepWatchingGone:
			stop = append(stop, id)
		}
	}
	for _, m := range listed {
		if _, ok := running[m.ID]; !ok && m.Reachable {
			start = append(start, m)
		}
	}
	slices.Sort(stop)
	return start, stop
}

func (f *farmSet) startLocked(ctx context.Context, m discovery.Manager) {
	managerID := m.ID
	watcher := farm.NewWatcher(farm.WatcherConfig{BaseURL: m.URL, Identity: f.identity, Watched: slices.Clone(f.watched), Logger: f.log,
		OnEventBus: func(connected bool) { f.vouch(managerID, connected) }})
	runCtx, cancel := context.WithCancel(ctx)
	f.running[m.ID] = &farmRun{manager: m, watcher: watcher, cancel: cancel}
	events, unsubscribe := watcher.Subscribe()
	f.goOwned(func() {
		defer unsubscribe()
		defer f.vouch(managerID, false) // a stopped watcher vouches for nothing
		if err := watcher.Run(runCtx); err != nil {
			f.log.Warn().Err(err).Str("manager", m.URL).Msg("stopped watching the farm")
		}
	})
	f.goOwned(func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case e := <-events:
				f.onChange()
				if e.Kind == farm.JobFinished || e.Kind == farm.JobChanged {
					f.onEvent(m, e)
				}
			}
		}
	})
}

// summaries returns each watched Manager's farm, by Manager ID, for the menu.
func (f *farmSet) summaries() map[string]ManagerFarm {
	f.mu.Lock()
	defer f.mu.Unlock()
	watched := map[string]bool{}
	for _, id := range f.watched {
		watched[id] = true
	}
	farms := make(map[string]ManagerFarm, len(f.running))
	for id, run := range f.running {
		farms[id] = ManagerFarm{Summary: run.watcher.Summary(), Watched: watched}
	}
	return farms
}

// setIdentity changes whose jobs are "mine" on every Manager.
func (f *farmSet) setIdentity(identity farm.Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if identity == f.identity {
		return
	}
	f.identity = identity
	for _, run := range f.running {
		run.watcher.SetIdentity(identity)
	}
}

// toggleWatch starts or stops watching a job and returns the jobs watched now.
func (f *farmSet) toggleWatch(jobID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := slices.Index(f.watched, jobID); i >= 0 {
		f.watched = slices.Delete(f.watched, i, i+1)
	} else {
		f.watched = append(f.watched, jobID)
		if len(f.watched) > maxWatchedJobs {
			f.watched = f.watched[len(f.watched)-maxWatchedJobs:]
		}
	}
	for _, run := range f.running {
		run.watcher.SetWatched(slices.Clone(f.watched))
	}
	return slices.Clone(f.watched)
}

// jobNotification is the notification for a job of mine that finished; ok is false for other changes.
func jobNotification(m discovery.Manager, e farm.Event) (title, body string, ok bool) {
	if e.Kind != farm.JobFinished {
		return "", "", false
	}
	job := e.Transition.Job
	name := managerapi.CleanText(job.Name, maxJobNameRunes)
	switch job.Status {
	case managerapi.JobCompleted:
		title = "Job finished"
	case managerapi.JobFailed:
		title = "Job failed"
	case managerapi.JobCanceled:
		title = "Job canceled"
	default:
		return "", "", false
	}
	return title, fmt.Sprintf("“%s” on %s", name, NotificationLabel(m)), true
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
