package app

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
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

	mu       sync.Mutex
	running  map[string]*farmRun // by Manager ID
	identity farm.Identity
	watched  []string // job IDs, newest pick last
}

type farmRun struct {
	manager discovery.Manager // as when it started; URL is the watcher's
	watcher *farm.Watcher
	cancel  context.CancelFunc
}

func newFarmSet(log zerolog.Logger, goOwned func(func()), identity farm.Identity, watched []string,
	onChange func(), onEvent func(discovery.Manager, farm.Event)) *farmSet {
	return &farmSet{log: log, goOwned: goOwned, onChange: onChange, onEvent: onEvent, running: map[string]*farmRun{},
		identity: identity, watched: watched}
}

// sync starts and stops watchers to match the listed Managers. A Manager whose URL changed gets a
// new watcher: its jobs are the same, and the first poll of the new one is silent.
func (f *farmSet) sync(ctx context.Context, managers []discovery.Manager) {
	listed, _, _ := splitManagers(managers)
	want := map[string]discovery.Manager{}
	for _, m := range listed {
		if m.Reachable {
			want[m.ID] = m
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, run := range f.running {
		if m, ok := want[id]; !ok || m.URL != run.manager.URL {
			run.cancel()
			delete(f.running, id)
		}
	}
	if ctx.Err() != nil {
		return
	}
	for id, m := range want {
		if _, ok := f.running[id]; !ok {
			f.startLocked(ctx, m)
		}
	}
}

func (f *farmSet) startLocked(ctx context.Context, m discovery.Manager) {
	watcher := farm.NewWatcher(farm.WatcherConfig{BaseURL: m.URL, Identity: f.identity, Watched: slices.Clone(f.watched), Logger: f.log})
	runCtx, cancel := context.WithCancel(ctx)
	f.running[m.ID] = &farmRun{manager: m, watcher: watcher, cancel: cancel}
	events, unsubscribe := watcher.Subscribe()
	f.goOwned(func() {
		defer unsubscribe()
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
	name := discovery.CleanText(job.Name, maxJobNameRunes)
	switch job.Status {
	case farm.JobCompleted:
		title = "Job finished"
	case farm.JobFailed:
		title = "Job failed"
	case farm.JobCanceled:
		title = "Job canceled"
	default:
		return "", "", false
	}
	return title, fmt.Sprintf("“%s” on %s", name, NotificationLabel(m)), true
}
