package farmstandin

import (
	"slices"
	"testing"
	"time"
)

// Event is one thing a Worker or a client told or asked the Manager, in the order it did.
type Event struct {
	Kind     string // register, sign-on, sign-off, state-changed, task-assigned, task-update, setstatus; a client's job-setstatus, image
	WorkerID string
	JobID    string // the job a client's request named (job-setstatus, image)
	Detail   string // the Worker's name, its status, the task's id or status; "offline lazy" for a lazy setstatus; the job status asked; the image's suffix
	At       time.Time
}

// record adds an event of a Worker's and wakes those waiting for one. Must be called with f.mu held.
func (f *Farm) record(kind, workerID, detail string) {
	f.recordEvent(Event{Kind: kind, WorkerID: workerID, Detail: detail})
}

// recordJob adds an event of a client's request about a job. Must be called with f.mu held.
func (f *Farm) recordJob(kind, jobID, detail string) {
	f.recordEvent(Event{Kind: kind, JobID: jobID, Detail: detail})
}

func (f *Farm) recordEvent(e Event) {
	e.At = f.now()
	f.events = append(f.events, e)
	close(f.changed)
	f.changed = make(chan struct{})
}

// Events returns what happened so far.
func (f *Farm) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// EventsOf returns the events of one Worker as "kind:detail".
func (f *Farm) EventsOf(workerID string) []string {
	var out []string
	for _, e := range f.Events() {
		if e.WorkerID == workerID {
			out = append(out, e.Kind+":"+e.Detail)
		}
	}
	return out
}

// WaitFor waits until cond holds for the events so far, checking again at each new event, and fails
// the test when it does not hold within the time given. cond runs with the Farm locked: it must not
// call the Farm's methods (they would wait for that lock for ever).
func (f *Farm) WaitFor(tb testing.TB, within time.Duration, what string, cond func([]Event) bool) {
	tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ok, changed := cond(slices.Clone(f.events)), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("the stand-in Manager did not see %s within %v; events: %v", what, within, f.Events())
		}
	}
}

// Has says whether events hold one of kind for workerID (any Worker if "") with detail (any if "").
func Has(events []Event, kind, workerID, detail string) bool {
	return slices.ContainsFunc(events, func(e Event) bool {
		return e.Kind == kind && (workerID == "" || e.WorkerID == workerID) && (detail == "" || e.Detail == detail)
	})
}

// Count counts the events of kind for workerID (any Worker if "").
func Count(events []Event, kind, workerID string) int {
	n := 0
	for _, e := range events {
		if e.Kind == kind && (workerID == "" || e.WorkerID == workerID) {
			n++
		}
	}
	return n
}
