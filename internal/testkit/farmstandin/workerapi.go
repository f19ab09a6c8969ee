package farmstandin

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
)

// The Worker's side of the API, as Flamenco 3.3.1's Manager answers it where a Worker depends on it:
// a Worker registers (becoming one of the farm's Workers), signs on with its id and secret, reports
// its state, asks for tasks and whether it may keep running one, updates them, and signs off. These
// routes are not counted in Stats nor made hostile by SetMode: they are the Workers', not the tray's.

// workerRoute is a Worker API handler, called with f.mu held for the Worker that signed the request.
type workerRoute func(w http.ResponseWriter, r *http.Request, wk *worker)

// handleWorkerAPI adds the Worker API to mux.
func (f *Farm) handleWorkerAPI(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v3/worker/register-worker", f.serveRegisterWorker)
	for pattern, handle := range map[string]workerRoute{
		"POST /api/v3/worker/sign-on":              f.serveSignOn,
		"POST /api/v3/worker/sign-off":             f.serveSignOff,
		"POST /api/v3/worker/state-changed":        f.serveStateChanged,
		"GET /api/v3/worker/state":                 f.serveWorkerState,
		"POST /api/v3/worker/task":                 f.serveScheduleTask,
		"GET /api/v3/worker/task/{task}/may-i-run": f.serveMayIRun,
		"POST /api/v3/worker/task/{task}":          f.serveTaskUpdate,
	} {
		mux.Handle(pattern, f.signedByWorker(handle))
	}
}

// signedByWorker checks the Worker's HTTP basic auth (its id and secret), marks it seen, and hands
// it to handle with f.mu held. Each request is a check-in, as CheckIn: allWorkers subscribers are
// told, once.
func (f *Farm) signedByWorker(handle workerRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		id, secret, ok := r.BasicAuth()
		f.mu.Lock()
		defer f.mu.Unlock()
		wk := f.worker(id)
		if !ok || wk == nil || wk.Secret == "" || wk.Secret != secret {
			writeJSON(w, http.StatusUnauthorized, apiError{Code: http.StatusUnauthorized, Message: "invalid credentials"})
			return
		}
		f.checkIn(wk, func() { handle(w, r, wk) })
	})
}

// decodeStrictly reads a Worker's request body, refusing fields the API does not have: a stand-in
// Worker that drifted from the real one's requests shows here.
func decodeStrictly(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Code: http.StatusBadRequest, Message: fmt.Sprintf("invalid format: %v", err)})
		return false
	}
	return true
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// statusRequest is the Manager's answer naming the status a Worker is to go to.
type statusRequest struct {
	StatusRequested string `json:"status_requested"`
}

func (f *Farm) serveRegisterWorker(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Origin")
	var req struct {
		Name               string   `json:"name"`
		Platform           string   `json:"platform"`
		Secret             string   `json:"secret"`
		SupportedTaskTypes []string `json:"supported_task_types"`
	}
	if !decodeStrictly(w, r, &req) {
		return
	}
	if req.Name == "" || req.Secret == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Code: http.StatusBadRequest, Message: "invalid format: name and secret are required"})
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	f.mu.Lock()
	defer f.mu.Unlock()
	wk := &worker{ID: NewID(), Secret: req.Secret, Name: req.Name, Platform: req.Platform, Address: host,
		SupportedTaskTypes: req.SupportedTaskTypes}
	f.seen(wk)
	f.workers = append(f.workers, wk)
	f.record("register", wk.ID, wk.Name)
	f.workerChanged(wk, "")
	// As the real Manager answered (worker-log.txt, "registered at Manager … resp=").
	writeJSON(w, http.StatusOK, struct {
		Address            string   `json:"address"`
		Name               string   `json:"name"`
		Platform           string   `json:"platform"`
		Software           string   `json:"software"`
		Status             string   `json:"status"`
		SupportedTaskTypes []string `json:"supported_task_types"`
		UUID               string   `json:"uuid"`
	}{wk.Address, wk.Name, wk.Platform, "", wk.Status, wk.SupportedTaskTypes, wk.ID})
}

// serveSignOn starts the Worker (status starting) and tells it the status to start in: the one
// requested of it, else awake.
func (f *Farm) serveSignOn(w http.ResponseWriter, r *http.Request, wk *worker) {
	var req struct {
		Name               string   `json:"name"`
		SoftwareVersion    string   `json:"software_version"`
		SupportedTaskTypes []string `json:"supported_task_types"`
		CanRestart         bool     `json:"can_restart"`
	}
	if !decodeStrictly(w, r, &req) {
		return
	}
	wk.Name, wk.Version, wk.SupportedTaskTypes, wk.CanRestart = req.Name, req.SoftwareVersion, req.SupportedTaskTypes, req.CanRestart
	f.stateChanged(wk, "starting")
	f.record("sign-on", wk.ID, req.Name)
	startup := "awake"
	if wk.StatusChange != nil {
		startup = wk.StatusChange.Status
	}
	writeJSON(w, http.StatusOK, statusRequest{startup})
}

func (f *Farm) serveSignOff(w http.ResponseWriter, r *http.Request, wk *worker) {
	f.signOff(wk)
	f.record("sign-off", wk.ID, "")
	noContent(w)
}

func (f *Farm) serveStateChanged(w http.ResponseWriter, r *http.Request, wk *worker) {
	var req struct {
		Status string `json:"status"`
	}
	if !decodeStrictly(w, r, &req) {
		return
	}
	if req.Status == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Code: http.StatusBadRequest, Message: "invalid format: no status"})
		return
	}
	f.stateChanged(wk, req.Status)
	f.record("state-changed", wk.ID, req.Status)
	noContent(w)
}

// serveWorkerState answers a Worker asleep asking whether it is to change status: 204 when not.
func (f *Farm) serveWorkerState(w http.ResponseWriter, r *http.Request, wk *worker) {
	if wk.StatusChange == nil {
		noContent(w)
		return
	}
	writeJSON(w, http.StatusOK, statusRequest{wk.StatusChange.Status})
}

// serveScheduleTask hands the first queued task of a queued or active job to an awake Worker; a
// Worker with a status change requested is told to change first (423), one not awake is refused (409).
func (f *Farm) serveScheduleTask(w http.ResponseWriter, r *http.Request, wk *worker) {
	next := slices.IndexFunc(f.queue, func(t *task) bool {
		j := f.byID[t.JobID]
		return t.Status == "queued" && (j == nil || j.Status == "queued" || j.Status == "active")
	})
	switch {
	case wk.StatusChange != nil:
		writeJSON(w, http.StatusLocked, statusRequest{wk.StatusChange.Status})
		return
	case wk.Status != "awake":
		writeJSON(w, http.StatusConflict, apiError{Code: http.StatusConflict,
			Message: fmt.Sprintf("worker is in state %q, requires state %q to execute tasks", wk.Status, "awake")})
		return
	case next < 0:
		noContent(w)
		return
	}
	t := f.queue[next]
	f.queue = slices.Delete(f.queue, next, next+1)
	t.Status, t.Updated = "active", f.now().UTC()
	wk.Task = t
	j := f.byID[t.JobID]
	if j != nil && j.Status != "active" {
		f.setJobStatus(j, "active", "task became active")
	}
	f.record("task-assigned", wk.ID, t.ID)
	type command struct {
		Name       string         `json:"name"`
		Parameters map[string]any `json:"parameters"`
	}
	writeJSON(w, http.StatusOK, struct {
		Commands    []command `json:"commands"`
		Job         string    `json:"job"`
		JobPriority int       `json:"job_priority"`
		JobType     string    `json:"job_type"`
		Name        string    `json:"name"`
		Priority    int       `json:"priority"`
		Status      string    `json:"status"`
		TaskType    string    `json:"task_type"`
		UUID        string    `json:"uuid"`
	}{[]command{{"sleep", map[string]any{"duration_in_seconds": t.Seconds}}}, t.JobID, 50, "echo-sleep-test", t.Name,
		t.Priority, t.Status, t.TaskType, t.ID})
}

// serveMayIRun tells a Worker running a task whether to go on: not when the task is not its own, nor
// when a status change is requested of it now (a lazy one waits for the task to end), nor when the
// task is no longer active (its job canceled or failed).
func (f *Farm) serveMayIRun(w http.ResponseWriter, r *http.Request, wk *worker) {
	type answer struct {
		MayKeepRunning        bool   `json:"may_keep_running"`
		Reason                string `json:"reason,omitempty"`
		StatusChangeRequested bool   `json:"status_change_requested,omitempty"`
	}
	switch t := wk.Task; {
	case t == nil || t.ID != r.PathValue("task"):
		writeJSON(w, http.StatusOK, answer{Reason: "task not assigned to this worker"})
	case wk.StatusChange != nil && !wk.StatusChange.Lazy:
		writeJSON(w, http.StatusOK, answer{Reason: "worker status change requested", StatusChangeRequested: true})
	case t.Status != "active":
		writeJSON(w, http.StatusOK, answer{Reason: fmt.Sprintf("task is in non-runnable status %q", t.Status)})
	default:
		writeJSON(w, http.StatusOK, answer{MayKeepRunning: true})
	}
}

// serveTaskUpdate takes a task's new status from the Worker running it; the stand-in's jobs have one
// task, so a completed task completes its job.
func (f *Farm) serveTaskUpdate(w http.ResponseWriter, r *http.Request, wk *worker) {
	var req struct {
		TaskStatus string `json:"task_status"`
		Activity   string `json:"activity"`
		Log        string `json:"log"`
	}
	if !decodeStrictly(w, r, &req) {
		return
	}
	t := wk.Task
	if t == nil || t.ID != r.PathValue("task") {
		writeJSON(w, http.StatusConflict, apiError{Code: http.StatusConflict,
			Message: fmt.Sprintf("task %s is not assigned to this worker", r.PathValue("task"))})
		return
	}
	if req.TaskStatus != "" {
		t.Status, t.Updated = req.TaskStatus, f.now().UTC()
		if req.TaskStatus == "completed" {
			t.StepsCompleted = t.StepsTotal
		}
		if j := f.byID[t.JobID]; j != nil && req.TaskStatus == "completed" {
			f.setJobStatus(j, "completed", "all tasks completed")
		}
		f.record("task-update", wk.ID, req.TaskStatus)
	}
	noContent(w)
}
