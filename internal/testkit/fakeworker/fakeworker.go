// Package fakeworker is a local Worker's Supervisor as a lending.Lender drives it, for tests: it
// records what it is asked, follows what it is told, and counts who follows its states.
package fakeworker

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/flamenco-tray/flamenco-tray/internal/hub"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
)

// Worker records its calls: "start", "stop", "wake", "sleep now", "sleep after task", and
// "unreachable" for a status change its Manager could not be asked for.
type Worker struct {
	mu          sync.Mutex
	state       localworker.State
	states      *hub.Hub[localworker.State]
	calls       []string
	followers   int
	unreachable bool
}

// New returns a Worker that is not running.
func New() *Worker {
	w := &Worker{state: localworker.State{Phase: localworker.NotRunning}}
	w.states = hub.NewLatest(w.state, localworker.State.Equal)
	return w
}

// Set changes the Worker's state, as its Supervisor would, and tells the followers.
func (w *Worker) Set(change func(*localworker.State)) {
	w.mu.Lock()
	change(&w.state)
	st := w.state
	w.mu.Unlock()
	w.states.Publish(st)
}

// SetUnreachable makes the Manager unreachable (true) or reachable again for status changes.
func (w *Worker) SetUnreachable(unreachable bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unreachable = unreachable
}

func (w *Worker) record(call string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, call)
}

// Calls returns what the Worker was asked, in order.
func (w *Worker) Calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.calls)
}

// ClearCalls forgets the calls so far.
func (w *Worker) ClearCalls() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = nil
}

// Followers is how many subscriptions to its states are open.
func (w *Worker) Followers() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.followers
}

// State returns the Worker's state.
func (w *Worker) State() localworker.State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// Subscribe follows the Worker's states.
func (w *Worker) Subscribe() (<-chan localworker.State, func()) {
	states, unsubscribe := w.states.Subscribe()
	w.mu.Lock()
	w.followers++
	w.mu.Unlock()
	var once sync.Once
	return states, func() {
		once.Do(func() {
			w.mu.Lock()
			w.followers--
			w.mu.Unlock()
		})
		unsubscribe()
	}
}

// Start runs the Worker: awake at once.
func (w *Worker) Start(context.Context) error {
	w.record("start")
	w.Set(func(s *localworker.State) { s.Phase, s.Active = localworker.Awake, true })
	return nil
}

// Stop ends the Worker: offline.
func (w *Worker) Stop(context.Context, bool) error {
	w.record("stop")
	w.Set(func(s *localworker.State) { s.Phase, s.Active = localworker.Offline, false })
	return nil
}

// SetAwake wakes the Worker or sends it asleep (lazy: its state changes once its task is done,
// which the test says with Set).
func (w *Worker) SetAwake(_ context.Context, awake, lazy bool) error {
	w.mu.Lock()
	unreachable := w.unreachable
	w.mu.Unlock()
	switch {
	case unreachable:
		w.record("unreachable")
		return errors.New("connection refused")
	case awake:
		w.record("wake")
		w.Set(func(s *localworker.State) { s.Phase = localworker.Awake })
	case lazy:
		w.record("sleep after task")
	default:
		w.record("sleep now")
		w.Set(func(s *localworker.State) { s.Phase, s.JobID, s.Job, s.Task = localworker.Asleep, "", "", "" })
	}
	return nil
}
