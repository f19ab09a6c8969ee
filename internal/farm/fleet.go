package farm

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/clock"
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
	Clock    clock.Clock // how long a Manager has been gone; nil: the system clock (watchers keep their own)
	// OnEvent gets every Event of every watcher (see WatcherConfig.OnEvent: no end of a job is ever
	// dropped), with its Manager as listed last. It is called from a goroutine of that watcher's: one
	// Manager's events arrive in order.
	OnEvent func(discovery.Manager, Event)
	// Vouch, if set, says that a Manager was just heard from (its event bus connected, a polling
	// round answered: so it is alive, discovery need not check it over HTTP) or no longer can be said
	// to be (see WatcherConfig.Vouch and discovery.Browser.Vouch).
	Vouch func(managerID string, alive bool)
}

// Fleet runs one Watcher per Manager, the same for the tray and `status --watch`: Sync starts a
// watcher for each listed Manager once it answers, moves it when the Manager's URL changes (keeping
// what it knows), and stops it KeepWatchingGone after the Manager left the list. Stop ends them all.
//
// Concurrency: every method may be called from any goroutine; a mutex guards the watchers, and is
// taken before a Watcher's own. Each watcher runs on a goroutine owned by the Fleet (its Run, which
// owns the one that delivers its events), ended by Stop or by the context given to Sync.
type Fleet struct {
	cfg   FleetConfig
	clock clock.Clock

	mu       sync.Mutex
	running  map[string]*fleetRun // by Manager ID
	identity Identity
	watched  []string // job IDs, newest pick last
	stopped  bool
	wg       sync.WaitGroup
}

type fleetRun struct {
	manager       discovery.Manager // as listed last; URL is the watcher's
	watcher       *Watcher
	cancel        context.CancelFunc
	done          chan struct{} // closed when the watcher has stopped and vouched for nothing
	unlistedSince time.Time     // zero while its Manager is listed
}

// NewFleet returns a Fleet watching nothing yet.
func NewFleet(cfg FleetConfig) *Fleet {
	c := cfg.Clock
	if c == nil {
		c = clock.System{}
	}
	return &Fleet{cfg: cfg, clock: c, running: map[string]*fleetRun{}, identity: cfg.Identity,
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
	start, stop, move := FleetPlan(f.plannerView(), listed, now)
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
	for _, m := range move {
		f.running[m.ID].watcher.SetURL(m.URL)
	}
	for id, run := range f.running {
		if i := slices.IndexFunc(listed, func(m discovery.Manager) bool { return m.ID == id }); i >= 0 {
			run.manager, run.unlistedSince = listed[i], time.Time{}
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

// FleetPlan says which watchers to start, which to stop and which to move to the Manager's new URL:
// one per listed Manager once it answers; kept while it is listed, answering or not, and for
// KeepWatchingGone after it left the list; moved, not replaced, when its URL changed (it keeps what
// it knows of the farm, so a job that ended meanwhile is reported once). A pure function.
func FleetPlan(running map[string]Watching, listed []discovery.Manager, now time.Time) (start []discovery.Manager, stop []string, move []discovery.Manager) {
	listedByID := map[string]discovery.Manager{}
	for _, m := range listed {
		listedByID[m.ID] = m
	}
	for id, run := range running {
		m, ok := listedByID[id]
		switch {
		case ok && m.URL != run.URL:
			move = append(move, m)
		case !ok && !run.UnlistedSince.IsZero() && now.Sub(run.UnlistedSince) >= KeepWatchingGone:
			stop = append(stop, id)
		}
	}
	slices.SortFunc(move, func(a, b discovery.Manager) int { return strings.Compare(a.ID, b.ID) })
	for _, m := range listed {
		if _, ok := running[m.ID]; !ok && m.Reachable {
			start = append(start, m)
		}
	}
	slices.Sort(stop)
	return start, stop, move
}

// startLocked starts m's watcher. It runs once previous (the Manager's watcher stopped a moment ago,
// or nil) has, so that the old watcher's last "not alive" never follows the new one's "alive". f.mu
// held.
func (f *Fleet) startLocked(ctx context.Context, m discovery.Manager, previous <-chan struct{}) {
	managerID := m.ID
	vouch := func(alive bool) {
		if f.cfg.Vouch != nil {
			f.cfg.Vouch(managerID, alive)
		}
	}
	run := &fleetRun{manager: m, done: make(chan struct{})}
	run.watcher = NewWatcher(WatcherConfig{BaseURL: m.URL, Identity: f.identity, Watched: slices.Clone(f.watched),
		Logger: f.cfg.Logger, Vouch: vouch, OnEvent: func(e Event) {
			f.mu.Lock()
			listedAs := run.manager
			f.mu.Unlock()
			if f.cfg.OnEvent != nil {
				f.cfg.OnEvent(listedAs, e)
			}
		}})
	runCtx, cancel := context.WithCancel(ctx)
	run.cancel = cancel
	f.running[m.ID] = run
	f.wg.Go(func() {
		defer close(run.done)
		if previous != nil {
			select {
			case <-previous:
			case <-runCtx.Done():
				return
			}
		}
		defer vouch(false) // a stopped watcher vouches for nothing
		run.watcher.Run(runCtx)
	})
}

// Follow runs browser until ctx ends, keeping the Fleet watching what it lists, and returns what
// browser.Run returned.
func (f *Fleet) Follow(ctx context.Context, browser *discovery.Browser) error {
	events, unsubscribe := browser.Subscribe()
	defer unsubscribe()
	runErr := make(chan error, 1)
	go func() { runErr <- browser.Run(ctx) }()
	// Without events (the list is quiet), the watchers of Managers gone long ago still stop.
	resync := time.NewTicker(KeepWatchingGone / 12)
	defer resync.Stop()
	for {
		select {
		case err := <-runErr:
			return err
		case <-resync.C:
		case _, ok := <-events:
			if !ok {
				return <-runErr
			}
		}
		f.Sync(ctx, browser.State().Managers)
	}
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
