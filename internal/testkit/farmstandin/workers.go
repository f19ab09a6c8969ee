package farmstandin

import (
	"encoding/json"
	"fmt"
	"slices"
)

// WorkerSpec describes a Worker to add. Zero fields get a real Worker's defaults.
type WorkerSpec struct {
	ID, Name, Status, Version, Address, Platform string
	SupportedTaskTypes                           []string
}

// AddWorker adds a Worker and returns its id.
func (f *Farm) AddWorker(spec WorkerSpec) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &worker{ID: spec.ID, Name: spec.Name, Status: spec.Status, Version: spec.Version, Address: spec.Address,
		Platform: spec.Platform, SupportedTaskTypes: spec.SupportedTaskTypes}
	if w.ID == "" {
		w.ID = NewID()
	}
	if w.Status == "" {
		w.Status = "awake"
	}
	if w.Version == "" {
		w.Version = "3.3.1"
	}
	if w.Platform == "" {
		w.Platform = "linux"
	}
	if w.SupportedTaskTypes == nil {
		w.SupportedTaskTypes = []string{"blender", "ffmpeg", "file-management", "misc"}
	}
	f.seen(w)
	f.workers = append(f.workers, w)
	f.workerChanged(w, "")
	return w.ID
}

// seen stamps a Worker's request: last_seen is now, and so is its database row's updated. Flamenco
// 3.3's database layer stamps updated_at with a clock reading of its own, microseconds after
// last_seen (3.3.1/socketio.txt); 3.8's writes both from one reading (3.8.5/socketio.txt). f.mu held.
func (f *Farm) seen(w *worker) {
	w.LastSeen = f.now().UTC()
	w.Updated = w.LastSeen
	if !hasProgress(f.version) {
		w.Updated = f.now().UTC()
	}
}

// CheckIn is a request of a Worker's reaching the Manager (each of the Worker API's is one): it is
// seen now, and allWorkers subscribers are told, as the real Manager tells them every few seconds
// per awake Worker.
func (f *Farm) CheckIn(workerID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.worker(workerID)
	if w == nil {
		return fmt.Errorf("no worker %s", workerID)
	}
	f.checkIn(w, nil)
	return nil
}

// checkIn is a Worker's request, which handle (if any) answers: the Worker is seen, and allWorkers
// subscribers are told once (by handle already when it changed the Worker's status). f.mu held.
func (f *Farm) checkIn(w *worker, handle func()) {
	f.seen(w)
	told := f.workerUpdates
	if handle != nil {
		handle()
	}
	if f.workerUpdates == told {
		f.workerChanged(w, w.Status)
	}
}

// SetWorkerStatus sets a Worker's status as the Worker itself reports it (a status change it applied,
// a sign-on, a crash), as POST /api/v3/worker/state-changed does.
func (f *Farm) SetWorkerStatus(id, status string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.worker(id)
	if w == nil {
		return fmt.Errorf("no worker %s", id)
	}
	f.seen(w)
	f.stateChanged(w, status)
	return nil
}

// ApplyStatusChange does what a Worker does with a requested status change: takes it on. Going
// offline (or restarting) is a sign-off, as POST /api/v3/worker/sign-off.
func (f *Farm) ApplyStatusChange(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.worker(id)
	if w == nil {
		return fmt.Errorf("no worker %s", id)
	}
	if w.StatusChange == nil {
		return fmt.Errorf("worker %s has no status change requested", id)
	}
	f.seen(w)
	if next := w.StatusChange.Status; next == "offline" || next == "restart" {
		f.signOff(w)
	} else {
		f.stateChanged(w, next)
	}
	return nil
}

// stateChanged is what the Manager does when a Worker says it is now in status: a request for that
// status is done (one for another status stays, as the Worker went its own way), and a Worker that is
// no longer awake gives its task back. Subscribers are told. f.mu held.
func (f *Farm) stateChanged(w *worker, status string) {
	previous := w.Status
	w.Status = status
	if w.StatusChange != nil && w.StatusChange.Status == status {
		w.StatusChange = nil
	}
	if previous == "awake" && status != "awake" {
		f.requeue(w)
	}
	f.workerChanged(w, previous)
}

// signOff follows Flamenco 3.3's Manager: the Worker is offline; a requested offline or restart is
// done, and without a request the status it had (awake or asleep) is requested for its next sign-on
// (workers-offline.txt: offline, with a status_change back to asleep); its active task is requeued.
// Subscribers are told. f.mu held.
func (f *Farm) signOff(w *worker) {
	previous := w.Status
	w.Status = "offline"
	if w.StatusChange != nil && (w.StatusChange.Status == "offline" || w.StatusChange.Status == "restart") {
		w.StatusChange = nil
	}
	if w.StatusChange == nil && (previous == "awake" || previous == "asleep") {
		w.StatusChange = &statusChange{Status: previous}
	}
	f.requeue(w)
	f.workerChanged(w, previous)
}

// requestStatus is a client's request (setstatus) that a Worker go to a status. Flamenco 3.3 saves
// the Worker's row, which stamps updated (3.3.1/socketio.txt); 3.8 leaves it (3.8.5/socketio.txt).
// f.mu held.
func (f *Farm) requestStatus(w *worker, change statusChange) {
	// As the Manager: asking for the status a Worker has cancels a request for another.
	if w.Status == change.Status {
		w.StatusChange = nil
	} else {
		w.StatusChange = &change
	}
	if !hasProgress(f.version) {
		w.Updated = f.now().UTC()
	}
	f.workerChanged(w, w.Status)
}

// requeue puts the Worker's active task back at the head of the queue. f.mu held.
func (f *Farm) requeue(w *worker) {
	if w.Task != nil && w.Task.Status == "active" {
		w.Task.Status = "queued"
		f.queue = append([]*task{w.Task}, f.queue...)
	}
}

// RequestedStatus returns the status change requested of a Worker and not applied yet.
func (f *Farm) RequestedStatus(id string) (status string, lazy, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.worker(id)
	if w == nil || w.StatusChange == nil {
		return "", false, false
	}
	return w.StatusChange.Status, w.StatusChange.Lazy, true
}

// WorkerStatus returns a Worker's status.
func (f *Farm) WorkerStatus(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w := f.worker(id); w != nil {
		return w.Status
	}
	return ""
}

// RemoveWorker deletes a Worker, as "Delete" in the web UI does; subscribers are told.
func (f *Farm) RemoveWorker(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.worker(id)
	if w == nil {
		return
	}
	f.workers = slices.DeleteFunc(f.workers, func(other *worker) bool { return other == w })
	f.workerDeleted(w)
}

// WorkerIDs returns the ids of the Workers, in the order they were added.
func (f *Farm) WorkerIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, len(f.workers))
	for i, w := range f.workers {
		ids[i] = w.ID
	}
	return ids
}

func (f *Farm) worker(id string) *worker {
	for _, w := range f.workers {
		if w.ID == id {
			return w
		}
	}
	return nil
}

// ImportWorker adds a Worker given in the Manager's JSON form, from the list or from GET of one,
// exactly as it was. Nothing is told on the event bus but a change of the farm's state.
func (f *Farm) ImportWorker(data []byte) (string, error) {
	var w wireWorker
	if err := json.Unmarshal(data, &w); err != nil {
		return "", fmt.Errorf("import worker: %w", err)
	}
	if w.ID == "" {
		return "", fmt.Errorf("import worker: no id")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	wk := &worker{ID: w.ID, CanRestart: w.CanRestart, Name: w.Name, Status: w.Status, StatusChange: w.StatusChange,
		Version: w.Version, Address: w.Address, Platform: w.Platform, SupportedTaskTypes: w.SupportedTaskTypes}
	if w.LastSeen != nil {
		wk.LastSeen, wk.Updated = *w.LastSeen, *w.LastSeen
	}
	if t := w.Task; t != nil {
		wk.Task = &task{ID: t.ID, Name: t.Name, Priority: t.Priority, Status: t.Status, TaskType: t.TaskType,
			Updated: t.Updated, JobID: t.JobID}
		if t.IndexInJob != nil && t.StepsCompleted != nil && t.StepsTotal != nil {
			wk.Task.Index, wk.Task.StepsCompleted, wk.Task.StepsTotal = *t.IndexInJob, *t.StepsCompleted, *t.StepsTotal
		}
	}
	f.workers = append(f.workers, wk)
	f.farmStateMaybeChanged()
	return wk.ID, nil
}
