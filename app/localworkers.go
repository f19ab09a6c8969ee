package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
)

// workerSet owns the Workers this tray runs, one per Manager at most. They run until stopped from
// the menu or until the tray quits (its context ends: each signs off), whether or not their Manager
// is listed meanwhile.
type workerSet struct {
	log      zerolog.Logger
	goOwned  func(func())
	onChange func()
	logDir   string // the tray's log directory; "" for localworker's default

	mu        sync.Mutex
	byManager map[string]*localworker.Supervisor // by Manager ID
	problems  map[string]string                  // why the last start failed, by Manager ID
}

func newWorkerSet(log zerolog.Logger, goOwned func(func()), onChange func(), trayLogPath string) *workerSet {
	w := &workerSet{log: log, goOwned: goOwned, onChange: onChange, byManager: map[string]*localworker.Supervisor{},
		problems: map[string]string{}}
	if trayLogPath != "" {
		w.logDir = filepath.Dir(trayLogPath)
	}
	return w
}

// start runs a Worker for m with the flamenco-worker program binary ("" finds it). ctx is the
// tray's: when it ends, the Worker signs off.
func (w *workerSet) start(ctx context.Context, m discovery.Manager, binary string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	sup := w.byManager[m.ID]
	if sup != nil && sup.State().Active {
		return
	}
	if sup == nil || sup.State().ManagerURL != m.URL {
		var err error
		sup, err = localworker.NewSupervisor(localworker.Config{ManagerURL: m.URL, API: farm.NewClient(m.URL),
			Binary: binary, LogDir: w.logDir, Logger: w.log})
		if err != nil {
			w.failedLocked(m, err)
			return
		}
		w.byManager[m.ID] = sup
		states, cancel := sup.Subscribe()
		w.goOwned(func() {
			defer cancel()
			for {
				select {
				case <-ctx.Done():
					return
				case <-states:
					w.onChange()
				}
			}
		})
	}
	delete(w.problems, m.ID)
	w.goOwned(func() {
		if err := sup.Start(ctx); err != nil {
			w.mu.Lock()
			w.failedLocked(m, err)
			w.mu.Unlock()
			w.onChange()
			return
		}
		w.log.Info().Str("manager", m.URL).Str("log", sup.LogPath()).Msg("running a Worker here")
	})
}

func (w *workerSet) failedLocked(m discovery.Manager, err error) {
	w.log.Error().Err(err).Str("manager", m.URL).Msg("cannot run a Worker here")
	problem := "Cannot run a Worker here (details in the log)"
	switch {
	case errors.Is(err, localworker.ErrBinaryNotFound):
		problem = "flamenco-worker not found: set its place in Settings"
	case errors.Is(err, localworker.ErrAlreadyRunning):
		problem = "Another Flamenco Tray runs this Manager's Worker"
	}
	w.problems[m.ID] = problem
}

// stop signs the Worker of a Manager off, after its current task or now.
func (w *workerSet) stop(ctx context.Context, managerID string, afterThisTask bool) {
	w.mu.Lock()
	sup := w.byManager[managerID]
	w.mu.Unlock()
	if sup == nil {
		return
	}
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
	for id, sup := range w.byManager {
		st := sup.State()
		lw := LocalWorker{Running: st.Active, State: string(st.Phase), Job: st.Job}
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

// wait returns once every Worker's process has ended (after the tray's context ended, each signs
// off, or is killed after localworker's deadline).
func (w *workerSet) wait() {
	w.mu.Lock()
	sups := make([]*localworker.Supervisor, 0, len(w.byManager))
	for _, sup := range w.byManager {
		sups = append(sups, sup)
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
