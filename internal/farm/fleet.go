package farm

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// MaxWatchedJobs bounds the jobs remembered as picked to watch.
const MaxWatchedJobs = 50

// KeepWatchingGone is how long a Manager's farm is still watched after the Manager left the list: a
// Manager that restarts, or a laptop that loses the network for a while, comes back to a watcher that
// knows its jobs, so a job of mine that ended meanwhile is still reported (a new watcher's first
// read is silent). Its reads back off while it does not answer.
const KeepWatchingGone = time.Hour

// FleetConfig configures a Fleet.
type FleetConfig struct {
	Identity Identity
	Watched  []string // ids of jobs the user picked to watch
	Logger   zerolog.Logger
	Clock    discovery.Clock // how long a Manager has been gone; nil: the system clock (watchers keep their own)
	// OnEvent gets every Event of every watcher, with the Manager as it was when its watcher
	// started. It is called from that watcher's goroutine: one Manager's events arrive in order.
	OnEvent func(discovery.Manager, Event)
	// Vouch, if set, says that a Manager's event bus is connected (so it is alive: discovery need not
	// check it over HTTP) or no longer is (see discovery.Browser.Vouch).
	Vouch func(managerID string, alive bool)
	// NewWatcher makes each Manager's Watcher; nil: NewWatcher with the fleet's settings. Tests set
	// it to shorten schedules.
	NewWatcher func(WatcherConfig) *Watcher
}

// Fleet runs one Watcher per Manager, the same for the tray and `status --watch`: Sync starts a
// watcher for each listed Manager once it answers, replaces it when the Manager's URL changes, and
// stops it KeepWatchingGone after the Manager left the list. Stop ends them all.
//
// Concurrency: every method may be called from any goroutine; a mutex guards the watchers. Each
// watcher has two goroutines (its Run and its event loop), owned by the Fleet and ended by Stop or
// by the context given to Sync.
type Fleet struct {
	cfg   FleetConfig
	clock discovery.Clock

	mu       sync.Mutex
	running  map[string]*fleetRun // by Manager ID
	identity Identity
	watched  []string // job IDs, newest pick last
	stopped  bool
	wg       sync.WaitGroup
}

type fleetRun struct {
	manager       discovery.Manager // as when it started; URL is the watcher's
	watcher       *Watcher
	cancel        context.CancelFunc
	done          chan struct{} // closed when the watcher has stopped and vouched for nothing
	unlistedSince time.Time     // zero while its Manager is listed
}

// NewFleet returns a Fleet watching nothing yet.
func NewFleet(cfg FleetConfig) *Fleet {
	clock := cfg.Clock
	if clock == nil {
		clock = discovery.SystemClock{}
	}
	if cfg.NewWatcher == nil {
		cfg.NewWatcher = NewWatcher
	}
	return &Fleet{cfg: cfg, clock: clock, running: map[string]*fleetRun{}, identity: cfg.Identity,
		watched: slices.Clone(cfg.Watched)}
}

// Sync starts and stops watchers to match listed, the Managers to watch (see FleetPlan). Watchers
// started now end with ctx, or at Stop.
func (f *Fleet) Sync(ctx context.Context, listed []discovery.Manager) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	now := f.clock.Now()
	start, stop := FleetPlan(f.plannerView(), listed, now)
	stopping := make(map[string]<-chan struct{}, len(stop))
	for _, id := range stop {
		f.running[id].cancel()
		stopping[id] = f.running[id].done
		delete(f.running, id)
	}
	if ctx.Err() != nil {
		return
	}
	for _, m := range start {
		f.startLocked(ctx, m, stopping[m.ID])
	}
	for id, run := range f.running {
		if slices.ContainsFunc(listed, func(m discovery.Manager) bool { return m.ID == id }) {
			run.unlistedSince = time.Time{}
		} else if run.unlistedSince.IsZero() {
			run.unlistedSince = now
		}
	}
}

// plannerView is what FleetPlan needs of the running watchers. f.mu held.
func (f *Fleet) plannerView() map[string]Watching {
	view := make(map[string]Watching, len(f.running))
	for id, run := range f.running {
		view[id] = Watching{URL: run.manager.URL, UnlistedSince: run.unlistedSince}
	}
	return view
}

// Watching is a running watcher as FleetPlan sees it.
type Watching struct {
	URL           string
	UnlistedSince time.Time // zero while its Manager is listed
}

// FleetPlan says which watchers to start and which to stop: one per listed Manager once it answers;
// kept while it is listed, answering or not, and for KeepWatchingGone after it left the list;
// replaced when its URL changed. A pure function, for tests.
func FleetPlan(running map[string]Watching, listed []discovery.Manager, now time.Time) (start []discovery.Manager, stop []string) {
	listedByID := map[string]discovery.Manager{}
	for _, m := range listed {
		listedByID[m.ID] = m
	}
	for id, run := range running {
		m, ok := listedByID[id]
		switch {
		case ok && m.URL != run.URL:
			stop = append(stop, id)
			if m.Reachable {
				start = append(start, m)
			}
		case !ok && !run.UnlistedSince.IsZero() && now.Sub(run.UnlistedSince) >= KeepWatchingGone:
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

// startLocked starts m's watcher and the goroutine that passes its events on. The watcher runs once
// previous (the Manager's watcher at its old URL, or nil) has stopped, so that the old watcher's last
// "not alive" never follows the new one's "alive". f.mu held.
func (f *Fleet) startLocked(ctx context.Context, m discovery.Manager, previous <-chan struct{}) {
	managerID := m.ID
	vouch := func(alive bool) {
		if f.cfg.Vouch != nil {
			f.cfg.Vouch(managerID, alive)
		}
	}
	watcher := f.cfg.NewWatcher(WatcherConfig{BaseURL: m.URL, Identity: f.identity, Watched: slices.Clone(f.watched),
		Logger: f.cfg.Logger, OnEventBus: vouch})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	f.running[m.ID] = &fleetRun{manager: m, watcher: watcher, cancel: cancel, done: done}
	events, unsubscribe := watcher.Subscribe()
	f.wg.Go(func() {
		defer close(done)
		defer unsubscribe()
		if previous != nil {
			select {
			case <-previous:
			case <-runCtx.Done():
				return
			}
		}
		defer vouch(false) // a stopped watcher vouches for nothing
		if err := watcher.Run(runCtx); err != nil && runCtx.Err() == nil {
			f.cfg.Logger.Warn().Err(err).Str("manager", m.URL).Msg("stopped watching the farm")
		}
	})
	f.wg.Go(func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case e, ok := <-events:
				if !ok {
					return
				}
				if f.cfg.OnEvent != nil {
					f.cfg.OnEvent(m, e)
				}
			}
		}
	})
}

// Stop ends every watcher and waits for their goroutines; Sync does nothing after it.
func (f *Fleet) Stop() {
	f.mu.Lock()
	f.stopped = true
	for id, run := range f.running {
		run.cancel()
		delete(f.running, id)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Summaries returns each watched Manager's farm, by Manager ID.
func (f *Fleet) Summaries() map[string]Summary {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]Summary, len(f.running))
	for id, run := range f.running {
		out[id] = run.watcher.Summary()
	}
	return out
}

// SetIdentity changes whose jobs are "mine" on every Manager.
func (f *Fleet) SetIdentity(identity Identity) {
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

// Watched returns the ids of the jobs picked to watch, newest pick last.
func (f *Fleet) Watched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.watched)
}

// ToggleWatch starts or stops watching a job and returns the jobs watched now (at most
// MaxWatchedJobs: the oldest picks go first).
func (f *Fleet) ToggleWatch(jobID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := slices.Index(f.watched, jobID); i >= 0 {
		f.watched = slices.Delete(f.watched, i, i+1)
	} else {
		f.watched = append(f.watched, jobID)
		if len(f.watched) > MaxWatchedJobs {
			f.watched = f.watched[len(f.watched)-MaxWatchedJobs:]
		}
	}
	for _, run := range f.running {
		run.watcher.SetWatched(slices.Clone(f.watched))
	}
	return slices.Clone(f.watched)
}
