package app

import (
	"context"
	"errors"
	"sync"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// workerSet owns the Workers this tray runs, one per Manager at most, started from the menu or by
// lending (lending.go drives the same Supervisor), until stopped or the tray quits (each signs off).
//
// Concurrency: the fields below mu are guarded by mu, which is taken before a Supervisor's lock (its
// State, Subscribe) and never held while waiting on a goroutine: starting and stopping a Worker,
// and following each Supervisor's states, happen in goroutines of the tray's owner (goOwned).
type workerSet struct {
	log      zerolog.Logger
	goOwned  func(func())
	onChange func()

	mu        sync.Mutex
	byManager map[string]*localWorkerEntry // by Manager ID
	problems  map[string]string            // why the last start failed, by Manager ID
}

// localWorkerEntry is one Manager's Supervisor, made for a Manager URL and a flamenco-worker path
// from Settings; a Supervisor between runs is replaced when either changed.
type localWorkerEntry struct {
	sup         *localworker.Supervisor
	binary      string
	starting    bool   // a Start is under way: the Supervisor is not replaced meanwhile
	unsubscribe func() // ends the goroutine that follows its states
}

func newWorkerSet(log zerolog.Logger, goOwned func(func()), onChange func()) *workerSet {
	return &workerSet{log: log, goOwned: goOwned, onChange: onChange, byManager: map[string]*localWorkerEntry{},
		problems: map[string]string{}}
}

// start runs a Worker for m with the flamenco-worker program binary ("" finds it). ctx is the
// tray's: when it ends, the Worker signs off.
func (w *workerSet) start(ctx context.Context, m discovery.Manager, binary string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if entry := w.byManager[m.ID]; entry != nil && (entry.starting || entry.sup.State().Active) {
		return
	}
	entry, err := w.entryLocked(ctx, m, binary)
	if err != nil {
		w.failedLocked(m, err)
		return
	}
	delete(w.problems, m.ID)
	entry.starting = true
	sup := entry.sup
	w.goOwned(func() {
		err := sup.Start(ctx)
		w.mu.Lock()
		entry.starting = false
		if err != nil {
			w.failedLocked(m, err)
		}
		w.mu.Unlock()
		if err != nil {
			w.onChange()
			return
		}
		w.log.Info().Str("manager", m.URL).Str("log", sup.State().LogPath).Msg("running a Worker here")
	})
}

// supervisorFor is the Supervisor of m's Worker for lending: the one "Run a Worker here" starts.
func (w *workerSet) supervisorFor(ctx context.Context, m discovery.Manager, binary string) (lending.Worker, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	entry, err := w.entryLocked(ctx, m, binary)
	if err != nil {
		return nil, err
	}
	return entry.sup, nil
}

// entryLocked is m's entry, made anew when m's URL or binary changed while its Worker does not run.
func (w *workerSet) entryLocked(ctx context.Context, m discovery.Manager, binary string) (*localWorkerEntry, error) {
	entry := w.byManager[m.ID]
	if entry != nil && (entry.starting || entry.sup.State().Active ||
		(entry.sup.State().ManagerURL == m.URL && entry.binary == binary)) {
		return entry, nil
	}
	sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: m.URL, API: managerapi.NewClient(m.URL),
		Binary: binary, Logger: w.log})
	if err != nil {
		return nil, err
	}
	if entry != nil {
		entry.unsubscribe()
	}
	entry = &localWorkerEntry{sup: sup, binary: binary, unsubscribe: w.follow(ctx, sup)}
	w.byManager[m.ID] = entry
	return entry, nil
}

// follow rebuilds the menu on each change of sup's state, until ctx ends or the returned func is
// called; that func returns at once, and no later change reaches the goroutine.
func (w *workerSet) follow(ctx context.Context, sup *localworker.Supervisor) (unsubscribe func()) {
	states, unsubscribe := sup.Subscribe()
	w.goOwned(func() {
		defer unsubscribe()
		forEach(ctx, states, func(localworker.State) { w.onChange() })
	})
	return unsubscribe
}

func (w *workerSet) failedLocked(m discovery.Manager, err error) {
	w.log.Error().Err(err).Str("manager", m.URL).Msg("cannot run a Worker here")
	problem := "Cannot run a Worker here (details in the log)"
	switch {
	case errors.Is(err, localworker.ErrBinaryNotFound):
		problem = "flamenco-worker not found: set its place in Settings"
	case errors.Is(err, localworker.ErrAlreadyRunning):
		problem = "Its Worker already runs here (another tray's, or one left running)"
	}
	w.problems[m.ID] = problem
}

// stop signs the Worker of a Manager off, after its current task or now.
func (w *workerSet) stop(ctx context.Context, managerID string, afterThisTask bool) {
	w.mu.Lock()
	entry := w.byManager[managerID]
	w.mu.Unlock()
	if entry == nil {
		return
	}
	sup := entry.sup
	w.goOwned(func() {
		if err := sup.Stop(ctx, afterThisTask); err != nil && ctx.Err() == nil {
			w.log.Warn().Err(err).Str("manager", sup.State().ManagerURL).Msg("the Worker here did not sign off cleanly")
		}
	})
}

// states are the Workers' states for the menu, by Manager ID; unavailable says why none can be run
// ("" when flamenco-worker was found).
func (w *workerSet) states(unavailable string) map[string]LocalWorker {
	w.mu.Lock()
	defer w.mu.Unlock()
	states := map[string]LocalWorker{}
	for id, entry := range w.byManager {
		st := entry.sup.State()
		lw := LocalWorker{Running: st.Active, State: string(st.Phase), Job: st.Job, ManagerURL: st.ManagerURL}
		if !st.Active && st.LastExit != nil && !st.LastExit.CleanlyOffline() {
			lw.Problem = "The Worker here stopped: " + st.LastExit.Message
		}
		if !st.Active && st.Phase == localworker.Error && st.Problem != "" {
			lw.Problem = "The Worker here stopped: " + st.Problem
		}
		states[id] = lw
	}
	for id, problem := range w.problems {
		lw := states[id]
		lw.Problem = problem
		states[id] = lw
	}
	for id, lw := range states {
		if !lw.Running {
			lw.Unavailable = unavailable
			states[id] = lw
		}
	}
	return states
}

// wait returns once every Worker's process has ended (signed off, or killed after a deadline).
func (w *workerSet) wait() {
	w.mu.Lock()
	sups := make([]*localworker.Supervisor, 0, len(w.byManager))
	for _, entry := range w.byManager {
		sups = append(sups, entry.sup)
	}
	w.mu.Unlock()
	for _, sup := range sups {
		<-sup.Done()
	}
}

// workerUnavailable says why no Worker can be run with the program set in Settings ("" finds one).
func workerUnavailable(path string) string {
	if _, err := localworker.FindBinary(path); err != nil {
		if path != "" {
			return "flamenco-worker not found at the place set in Settings"
		}
		return "flamenco-worker not found: set its place in Settings"
	}
	return ""
}
