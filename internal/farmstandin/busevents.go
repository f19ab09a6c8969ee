package farmstandin

import "time"

// The event bus's updates, in the Manager's field order (its generated types list fields
// alphabetically), so that a frame is byte for byte a real Manager's for the same data.

type wireJobUpdate struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	PreviousStatus string    `json:"previous_status,omitempty"`
	Priority       int       `json:"priority"`
	RefreshTasks   bool      `json:"refresh_tasks"`
	Status         string    `json:"status"`
	StepsCompleted *int      `json:"steps_completed,omitempty"`
	StepsTotal     *int      `json:"steps_total,omitempty"`
	Type           string    `json:"type"`
	Updated        time.Time `json:"updated"`
	WasDeleted     bool      `json:"was_deleted,omitempty"`
}

type wireWorkerUpdate struct {
	CanRestart     bool          `json:"can_restart"`
	ID             string        `json:"id"`
	LastSeen       *time.Time    `json:"last_seen,omitempty"`
	Name           string        `json:"name"`
	PreviousStatus string        `json:"previous_status,omitempty"`
	Status         string        `json:"status"`
	StatusChange   *statusChange `json:"status_change,omitempty"`
	Updated        time.Time     `json:"updated"`
	Version        string        `json:"version"`
}

// jobChanged tells allJobs subscribers of a job's new state (previous: its status before, "" when
// only its progress changed or it was just submitted), then the farm state. f.mu held.
func (f *Farm) jobChanged(j *job, previous string) {
	u := wireJobUpdate{ID: j.ID, Name: j.Name, PreviousStatus: previous, Priority: j.Priority, Status: j.Status,
		Type: j.Type, Updated: j.Updated}
	// The Manager refreshes a job's tasks in its web UI when it fails or is being canceled.
	u.RefreshTasks = previous != "" && (j.Status == "failed" || j.Status == "cancel-requested")
	if atLeast(f.version, 3, 8) {
		completed, total := j.StepsCompleted, j.StepsTotal
		u.StepsCompleted, u.StepsTotal = &completed, &total
	}
	f.hub.broadcast("allJobs", "/jobs", u)
	f.farmStateMaybeChanged()
}

// jobDeleted tells allJobs subscribers that a job is gone. f.mu held.
func (f *Farm) jobDeleted(j *job) {
	f.hub.broadcast("allJobs", "/jobs", wireJobUpdate{ID: j.ID, Name: j.Name, Priority: j.Priority, Status: j.Status,
		Type: j.Type, Updated: f.now().UTC(), WasDeleted: true})
	f.farmStateMaybeChanged()
}

// workerChanged tells allWorkers subscribers of a Worker's state: at every check-in, and with
// previous set when its status changed. f.mu held.
func (f *Farm) workerChanged(w *worker, previous string) {
	u := wireWorkerUpdate{CanRestart: w.CanRestart, ID: w.ID, Name: w.Name, Status: w.Status,
		Updated: w.LastSeen, Version: w.Version}
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
	f.hub.broadcast("allWorkers", "/workers", u)
	f.farmStateMaybeChanged()
}

// farmStateMaybeChanged tells every client the farm's state when it changed (Flamenco 3.5+). f.mu
// held.
func (f *Farm) farmStateMaybeChanged() {
	if !atLeast(f.version, 3, 5) {
		return
	}
	state := f.farmState()
	if state == f.lastFarmState {
		return
	}
	f.lastFarmState = state
	f.hub.broadcast("", "/status", struct {
		Status string `json:"status"`
	}{state})
}

// CheckIn is a Worker's request to the Manager (as each of the Worker API's does): it is seen now,
// and allWorkers subscribers are told.
func (f *Farm) CheckIn(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.worker(id)
	if w == nil {
		return fmtNoWorker(id)
	}
	w.LastSeen = f.now().UTC()
	f.workerChanged(w, w.Status)
	return nil
}

// SetJobProgress sets how many of a job's steps are done (Flamenco 3.8's steps_completed).
func (f *Farm) SetJobProgress(id string, completed int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.byID[id]
	if j == nil {
		return fmtNoJob(id)
	}
	j.StepsCompleted = min(completed, j.StepsTotal)
	j.Updated = f.now().UTC()
	f.jobChanged(j, "")
	return nil
}

// DeleteJob deletes a job, as the web UI's "Delete" does.
func (f *Farm) DeleteJob(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.byID[id]
	if j == nil {
		return fmtNoJob(id)
	}
	delete(f.byID, id)
	for i, other := range f.jobs {
		if other == j {
			f.jobs = append(f.jobs[:i], f.jobs[i+1:]...)
			break
		}
	}
	f.jobDeleted(j)
	return nil
}

// FloodJobEvents sends n updates of the farm's first job (its progress; its status unchanged) to
// allJobs subscribers at perSecond (in batches every 10 ms; 0: as fast as they are queued), to prove
// that a client keeps up, or that the Manager's queue overflowing only costs a reconnection.
func (f *Farm) FloodJobEvents(n, perSecond int) {
	batch, tick := n, time.Duration(0)
	if perSecond > 0 {
		batch, tick = max(perSecond/100, 1), 10*time.Millisecond
	}
	next := time.Now()
	for sent := 0; sent < n; {
		f.mu.Lock()
		if len(f.jobs) == 0 {
			f.mu.Unlock()
			return
		}
		j := f.jobs[0]
		for i := 0; i < batch && sent < n; i, sent = i+1, sent+1 {
			j.StepsCompleted = sent % max(j.StepsTotal, 1)
			j.Updated = f.now().UTC()
			f.jobChanged(j, "")
		}
		f.mu.Unlock()
		next = next.Add(tick)
		time.Sleep(time.Until(next))
	}
}
