package farmstandin

import (
	"fmt"
	"time"
)

// The event bus's updates, in the Manager's field order (its generated types list fields
// alphabetically), so that a frame is byte for byte a real Manager's for the same data
// (testdata/flamenco-api/*/socketio.txt).

type wireJobUpdate struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	PreviousStatus string    `json:"previous_status,omitempty"`
	Priority       int       `json:"priority"`
	RefreshTasks   bool      `json:"refresh_tasks"`
	Status         string    `json:"status"`
	StepsCompleted *int      `json:"steps_completed,omitempty"` // 3.8+
	StepsTotal     *int      `json:"steps_total,omitempty"`     // 3.8+
	Type           string    `json:"type"`
	Updated        time.Time `json:"updated"`
	WasDeleted     bool      `json:"was_deleted,omitempty"`
}

type wireWorkerUpdate struct {
	CanRestart     bool          `json:"can_restart"`
	DeletedAt      *time.Time    `json:"deleted_at,omitempty"` // not captured: the Manager's API spec
	ID             string        `json:"id"`
	LastSeen       *time.Time    `json:"last_seen,omitempty"`
	Name           string        `json:"name"`
	PreviousStatus string        `json:"previous_status,omitempty"`
	Status         string        `json:"status"`
	StatusChange   *statusChange `json:"status_change,omitempty"`
	Updated        time.Time     `json:"updated"`
	Version        string        `json:"version"`
}

type wireFarmStatus struct {
	Status string `json:"status"`
}

// jobUpdate is the /jobs update of j's state; previous is its status before a change of status, ""
// for a submission or a change of progress (which the Manager tells without previous_status). A
// change of status sets refresh_tasks and, from 3.5, tells the job as it was (jobStatusSet). f.mu
// held.
func (f *Farm) jobUpdate(j *job, previous string) wireJobUpdate {
	u := wireJobUpdate{ID: j.ID, Name: j.Name, PreviousStatus: previous, Priority: j.Priority, Status: j.Status,
		Type: j.Type, Updated: j.Updated}
	if hasProgress(f.version) {
		completed, total := j.StepsCompleted, j.StepsTotal
		u.StepsCompleted, u.StepsTotal = &completed, &total
	}
	return u
}

// jobChanged tells allJobs subscribers of a job's new state (not of its status: jobStatusSet), then
// every client of a change of the farm's state. f.mu held.
func (f *Farm) jobChanged(j *job) {
	f.hub.broadcast("allJobs", "/jobs", f.jobUpdate(j, ""))
	f.farmStateMaybeChanged()
}

// jobDeleted tells allJobs subscribers that a job is gone: its last state, was_deleted. f.mu held.
func (f *Farm) jobDeleted(j *job) {
	u := f.jobUpdate(j, "")
	u.WasDeleted = true
	f.hub.broadcast("allJobs", "/jobs", u)
	f.farmStateMaybeChanged()
}

// workerUpdate is the /workers update of w's state; previous_status when previous differs from its
// status. f.mu held.
func workerUpdate(w *worker, previous string) wireWorkerUpdate {
	u := wireWorkerUpdate{CanRestart: w.CanRestart, ID: w.ID, Name: w.Name, Status: w.Status, Updated: w.Updated,
		Version: w.Version}
	if previous != w.Status {
		u.PreviousStatus = previous
	}
	if !w.LastSeen.IsZero() {
		seen := w.LastSeen
		u.LastSeen = &seen
	}
	if w.StatusChange != nil {
		change := *w.StatusChange
		u.StatusChange = &change
	}
	return u
}

// workerChanged tells allWorkers subscribers of a Worker's state (at a change and at every
// check-in), then every client of a change of the farm's state. f.mu held.
func (f *Farm) workerChanged(w *worker, previous string) {
	f.workerUpdates++
	f.hub.broadcast("allWorkers", "/workers", workerUpdate(w, previous))
	f.farmStateMaybeChanged()
}

// workerDeleted tells allWorkers subscribers that a Worker is gone. f.mu held.
func (f *Farm) workerDeleted(w *worker) {
	u := workerUpdate(w, w.Status)
	deleted := f.now().UTC()
	u.DeletedAt = &deleted
	f.workerUpdates++
	f.hub.broadcast("allWorkers", "/workers", u)
	f.farmStateMaybeChanged()
}

// farmStateMaybeChanged evaluates the farm's state after a change and, when it is not the one
// evaluated before, tells every client, subscribed or not (Flamenco 3.5+). f.mu held.
func (f *Farm) farmStateMaybeChanged() {
	state := f.evaluateFarmState()
	if state == f.farmState {
		return
	}
	f.farmState = state
	if hasFarmStatus(f.version) {
		f.hub.broadcast("", "/status", wireFarmStatus{state})
	}
}

// FloodJobEvents sends n /jobs updates to allJobs subscribers: progress of the farm's first job (one
// is submitted when there is none), its status unchanged, each stamped now. perSecond paces them (in
// batches every 10 ms); 0 sends them as fast as the connections take them. A flood waits for room
// in a connection's queue instead of overflowing it (unless the bus is stalled), so it measures
// whether a client keeps up, not the Manager's queue.
func (f *Farm) FloodJobEvents(n, perSecond int) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	noJob := len(f.jobs) == 0
	f.mu.Unlock()
	if noJob {
		f.SubmitJob(JobSpec{Name: "flood", Status: "active", Steps: n})
	}
	batch, tick := n, time.Duration(0)
	if perSecond > 0 {
		batch, tick = max(perSecond/100, 1), 10*time.Millisecond
	}
	next := time.Now()
	for sent := 0; sent < n; {
		for i := 0; i < batch && sent < n; i, sent = i+1, sent+1 {
			f.floodOne(sent)
		}
		next = next.Add(tick)
		time.Sleep(time.Until(next))
	}
}

// floodOne sends one update of the first job, outside f.mu: a slow client holds up the flood, not
// the Manager's API.
func (f *Farm) floodOne(i int) {
	f.mu.Lock()
	if len(f.jobs) == 0 {
		f.mu.Unlock()
		return
	}
	j := f.jobs[0]
	j.StepsCompleted = i % max(j.StepsTotal, 1)
	j.Updated = f.now().UTC()
	u := f.jobUpdate(j, "")
	f.mu.Unlock()
	f.hub.deliver("allJobs", "/jobs", u, true)
}

// eventFrame is a Socket.IO event as golang-socketio frames it: 42["name",payload].
func eventFrame(event string, payload []byte) []byte {
	frame := make([]byte, 0, len(event)+len(payload)+6)
	frame = fmt.Appendf(frame, `42["%s",`, event)
	frame = append(frame, payload...)
	return append(frame, ']')
}
