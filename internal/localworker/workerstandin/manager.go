//go:build linux

// Package workerstandin is the test harness of package localworker: a stand-in Flamenco Worker that
// runs as a process (this test binary, re-executed) and behaves as the real Worker 3.3.1 does where
// the supervisor depends on it, and a stand-in Manager serving both sides of the API it talks to: the
// Worker's (register, sign on, tasks, sign off) and the management API (workers, setstatus, jobs),
// answering in the shapes of the captures in internal/farm/testdata/flamenco-api.
package workerstandin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/netns"
)

// Event is one thing the Manager was told or asked, in order.
type Event struct {
	Kind     string // register, sign-on, sign-off, state-changed, task-assigned, task-update, setstatus
	WorkerID string
	Detail   string // the status, task id or task status
	At       time.Time
}

// SetStatusMode is how the Manager answers POST …/setstatus.
type SetStatusMode int

// The ways setstatus can answer.
const (
	SetStatusWorks SetStatusMode = iota // 204, as a real Manager
	SetStatusFails                      // 500 with Flamenco's error body
	SetStatusHangs                      // no answer until the client gives up
)

// Manager is a stand-in Flamenco Manager with Workers, jobs and a queue of tasks to hand out.
type Manager struct {
	URL string

	mu            sync.Mutex
	workers       map[string]*worker
	jobs          map[string]*job
	queue         []*task
	events        []Event
	changed       chan struct{} // closed and replaced on every event
	setStatusMode SetStatusMode
	version       farmstandin.Capture
}

type worker struct {
	ID, Name, Secret, Platform, Address string
	TaskTypes                           []string
	Status                              string
	Requested                           string // requested status, "" if none
	Lazy                                bool
	CanRestart                          bool
	LastSeen                            time.Time
	Task                                *task // the current or last task
}

type job struct {
	ID, Name, Status string
	Seconds          int
	Created, Updated time.Time
}

type task struct {
	ID, Name, JobID, Status string
	Seconds                 int
	Updated                 time.Time
}

// NewManager serves a stand-in Manager on loopback, in the test's network namespace, until the
// test ends.
func NewManager(tb testing.TB) *Manager {
	tb.Helper()
	netns.RequireIsolated(tb)
	m := &Manager{workers: map[string]*worker{}, jobs: map[string]*job{}, changed: make(chan struct{})}
	var err error
	if m.version, err = farmstandin.LoadCapture("version"); err != nil {
		tb.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(m.Handler())
	srv.Listener.Close()
	srv.Listener = listener
	srv.Start()
	tb.Cleanup(srv.Close)
	m.URL = srv.URL + "/"
	return m
}

// SetStatusAnswers makes setstatus answer as mode.
func (m *Manager) SetStatusAnswers(mode SetStatusMode) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setStatusMode = mode
}

// QueueTask adds a job with one task that sleeps seconds; the next Worker asking for work gets it.
func (m *Manager) QueueTask(jobName string, seconds int) (jobID, taskID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now().UTC()
	j := &job{ID: newUUID(), Name: jobName, Status: "queued", Seconds: seconds, Created: now, Updated: now}
	m.jobs[j.ID] = j
	t := &task{ID: newUUID(), Name: "sleep", JobID: j.ID, Status: "queued", Seconds: seconds, Updated: now}
	m.queue = append(m.queue, t)
	return j.ID, t.ID
}

// Events returns what happened so far.
func (m *Manager) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// EventsOf returns the kinds (with details, "kind:detail") of the events of one Worker.
func (m *Manager) EventsOf(workerID string) []string {
	var out []string
	for _, e := range m.Events() {
		if e.WorkerID == workerID {
			out = append(out, e.Kind+":"+e.Detail)
		}
	}
	return out
}

// WorkerStatus returns a Worker's status and requested status.
func (m *Manager) WorkerStatus(id string) (status, requested string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.workers[id]; w != nil {
		return w.Status, w.Requested
	}
	return "", ""
}

// WaitFor waits until cond holds for the events so far, checking again at each new event.
func (m *Manager) WaitFor(tb testing.TB, within time.Duration, what string, cond func([]Event) bool) {
	tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		ok, changed := cond(slices.Clone(m.events)), m.changed
		m.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("the stand-in Manager did not see %s within %v; events: %v", what, within, m.Events())
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

// record adds an event; m.mu is held.
func (m *Manager) record(kind, workerID, detail string) {
	m.events = append(m.events, Event{Kind: kind, WorkerID: workerID, Detail: detail, At: time.Now()})
	close(m.changed)
	m.changed = make(chan struct{})
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Handler serves the Manager's API.
func (m *Manager) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v3/version", m.version.Replay()) // the real Manager's answer, name "Capture Farm"
	// The Worker's side.
	mux.HandleFunc("POST /api/v3/worker/register-worker", m.registerWorker)
	mux.HandleFunc("POST /api/v3/worker/sign-on", m.authenticated(m.signOn))
	mux.HandleFunc("POST /api/v3/worker/sign-off", m.authenticated(m.signOff))
	mux.HandleFunc("POST /api/v3/worker/state-changed", m.authenticated(m.stateChanged))
	mux.HandleFunc("GET /api/v3/worker/state", m.authenticated(m.workerState))
	mux.HandleFunc("POST /api/v3/worker/task", m.authenticated(m.scheduleTask))
	mux.HandleFunc("GET /api/v3/worker/task/{task}/may-i-run", m.authenticated(m.mayIRun))
	mux.HandleFunc("POST /api/v3/worker/task/{task}", m.authenticated(m.taskUpdate))
	// The management side.
	mux.HandleFunc("GET /api/v3/worker-mgt/workers", m.listWorkers)
	mux.HandleFunc("GET /api/v3/worker-mgt/workers/{id}", m.getWorker)
	mux.HandleFunc("POST /api/v3/worker-mgt/workers/{id}/setstatus", m.setStatus)
	mux.HandleFunc("GET /api/v3/jobs/{id}", m.getJob)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Vary", "Origin")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers as Flamenco does: {"code":…,"message":…}.
func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]any{"code": code, "message": fmt.Sprintf(format, args...)})
}

func noContent(w http.ResponseWriter) {
	w.Header().Set("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

// authenticated checks the Worker's HTTP basic auth (its id and secret) and passes the Worker on,
// with m.mu held.
func (m *Manager) authenticated(handle func(http.ResponseWriter, *http.Request, *worker)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		m.mu.Lock()
		defer m.mu.Unlock()
		w := m.workers[id]
		if !ok || w == nil || w.Secret != secret {
			writeError(rw, http.StatusUnauthorized, "invalid credentials")
			return
		}
		w.LastSeen = time.Now().UTC()
		handle(rw, r, w)
	}
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (m *Manager) registerWorker(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		Name               string   `json:"name"`
		Platform           string   `json:"platform"`
		Secret             string   `json:"secret"`
		SupportedTaskTypes []string `json:"supported_task_types"`
	}
	if err := decode(r, &req); err != nil || req.Name == "" || req.Secret == "" {
		writeError(rw, http.StatusBadRequest, "invalid format: %v", err)
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	m.mu.Lock()
	defer m.mu.Unlock()
	w := &worker{ID: newUUID(), Name: req.Name, Secret: req.Secret, Platform: req.Platform, Address: host,
		TaskTypes: req.SupportedTaskTypes, Status: "", LastSeen: time.Now().UTC()}
	m.workers[w.ID] = w
	m.record("register", w.ID, req.Name)
	// As the real Manager answered (see worker-log.txt, "registered at Manager").
	writeJSON(rw, http.StatusOK, map[string]any{"address": host, "name": w.Name, "platform": w.Platform, "software": "",
		"status": "", "supported_task_types": w.TaskTypes, "uuid": w.ID})
}

func (m *Manager) signOn(rw http.ResponseWriter, r *http.Request, w *worker) {
	var req struct {
		Name               string   `json:"name"`
		SoftwareVersion    string   `json:"software_version"`
		SupportedTaskTypes []string `json:"supported_task_types"`
		CanRestart         *bool    `json:"can_restart"`
	}
	if err := decode(r, &req); err != nil {
		writeError(rw, http.StatusBadRequest, "invalid format: %v", err)
		return
	}
	w.Name, w.TaskTypes, w.Status = req.Name, req.SupportedTaskTypes, "starting"
	w.CanRestart = req.CanRestart != nil && *req.CanRestart
	m.record("sign-on", w.ID, req.Name)
	startup := w.Requested
	if startup == "" {
		startup = "awake"
	}
	writeJSON(rw, http.StatusOK, map[string]any{"status_requested": startup})
}

// signOff follows Flamenco 3.3's Manager: a requested offline or restart is done; otherwise the
// status it had (awake, asleep) is requested for its next sign-on (see workers-offline.txt: offline,
// with a status_change back to asleep); its active task is requeued.
func (m *Manager) signOff(rw http.ResponseWriter, r *http.Request, w *worker) {
	previous := w.Status
	w.Status = "offline"
	if w.Requested == "offline" || w.Requested == "restart" {
		w.Requested, w.Lazy = "", false
	}
	if w.Requested == "" && (previous == "awake" || previous == "asleep") {
		w.Requested, w.Lazy = previous, false
	}
	m.requeue(w)
	m.record("sign-off", w.ID, "")
	noContent(rw)
}

// requeue puts the Worker's active task back in the queue; m.mu is held.
func (m *Manager) requeue(w *worker) {
	if w.Task != nil && w.Task.Status == "active" {
		w.Task.Status = "queued"
		m.queue = append([]*task{w.Task}, m.queue...)
	}
}

func (m *Manager) stateChanged(rw http.ResponseWriter, r *http.Request, w *worker) {
	var req struct {
		Status string `json:"status"`
	}
	if err := decode(r, &req); err != nil || req.Status == "" {
		writeError(rw, http.StatusBadRequest, "invalid format: %v", err)
		return
	}
	previous := w.Status
	w.Status = req.Status
	if w.Requested == "" || w.Requested == req.Status {
		w.Requested, w.Lazy = "", false
	}
	if previous == "awake" && req.Status != "awake" {
		m.requeue(w)
	}
	m.record("state-changed", w.ID, req.Status)
	noContent(rw)
}

func (m *Manager) workerState(rw http.ResponseWriter, r *http.Request, w *worker) {
	if w.Requested == "" {
		noContent(rw)
		return
	}
	writeJSON(rw, http.StatusOK, map[string]any{"status_requested": w.Requested})
}

func (m *Manager) scheduleTask(rw http.ResponseWriter, r *http.Request, w *worker) {
	if w.Requested != "" {
		writeJSON(rw, http.StatusLocked, map[string]any{"status_requested": w.Requested})
		return
	}
	if w.Status != "awake" {
		writeError(rw, http.StatusConflict, "worker is in state %q, requires state %q to execute tasks", w.Status, "awake")
		return
	}
	if len(m.queue) == 0 {
		noContent(rw)
		return
	}
	t := m.queue[0]
	m.queue = m.queue[1:]
	t.Status, t.Updated = "active", time.Now().UTC()
	w.Task = t
	j := m.jobs[t.JobID]
	j.Status, j.Updated = "active", t.Updated
	m.record("task-assigned", w.ID, t.ID)
	writeJSON(rw, http.StatusOK, map[string]any{
		"uuid": t.ID, "job": t.JobID, "name": t.Name, "status": "active", "priority": 50, "job_priority": 50,
		"job_type": "echo-sleep-test", "task_type": "misc",
		"commands": []any{map[string]any{"name": "sleep", "parameters": map[string]any{"duration_in_seconds": t.Seconds}}},
	})
}

func (m *Manager) mayIRun(rw http.ResponseWriter, r *http.Request, w *worker) {
	t := w.Task
	switch {
	case t == nil || t.ID != r.PathValue("task"):
		writeJSON(rw, http.StatusOK, map[string]any{"may_keep_running": false, "reason": "task not assigned to this worker"})
	case w.Requested != "" && !w.Lazy:
		writeJSON(rw, http.StatusOK, map[string]any{"may_keep_running": false, "reason": "worker status change requested",
			"status_change_requested": true})
	default:
		writeJSON(rw, http.StatusOK, map[string]any{"may_keep_running": true})
	}
}

func (m *Manager) taskUpdate(rw http.ResponseWriter, r *http.Request, w *worker) {
	var req struct {
		TaskStatus string `json:"task_status"`
		Activity   string `json:"activity"`
		Log        string `json:"log"`
	}
	if err := decode(r, &req); err != nil {
		writeError(rw, http.StatusBadRequest, "invalid format: %v", err)
		return
	}
	t := w.Task
	if t == nil || t.ID != r.PathValue("task") {
		writeError(rw, http.StatusConflict, "task %s is not assigned to this worker", r.PathValue("task"))
		return
	}
	if req.TaskStatus != "" {
		t.Status, t.Updated = req.TaskStatus, time.Now().UTC()
		if j := m.jobs[t.JobID]; j != nil && req.TaskStatus == "completed" {
			j.Status, j.Updated = "completed", t.Updated
		}
		m.record("task-update", w.ID, req.TaskStatus)
	}
	noContent(rw)
}

// workerSummary is a Worker as GET …/workers lists it, its fields in the captures' order.
type workerSummary struct {
	CanRestart   bool          `json:"can_restart"`
	ID           string        `json:"id"`
	LastSeen     time.Time     `json:"last_seen"`
	Name         string        `json:"name"`
	Status       string        `json:"status"`
	StatusChange *statusChange `json:"status_change,omitempty"`
	Version      string        `json:"version"`
}

type statusChange struct {
	IsLazy bool   `json:"is_lazy"`
	Status string `json:"status"`
}

// workerDetails is a Worker as GET …/workers/{id} answers (see worker-busy.txt).
type workerDetails struct {
	workerSummary
	IPAddress          string       `json:"ip_address"`
	Platform           string       `json:"platform"`
	SupportedTaskTypes []string     `json:"supported_task_types"`
	Task               *taskSummary `json:"task,omitempty"`
}

type taskSummary struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Priority int       `json:"priority"`
	Status   string    `json:"status"`
	TaskType string    `json:"task_type"`
	Updated  time.Time `json:"updated"`
	JobID    string    `json:"job_id"`
}

func (w *worker) summary() workerSummary {
	s := workerSummary{CanRestart: w.CanRestart, ID: w.ID, LastSeen: w.LastSeen, Name: w.Name, Status: w.Status, Version: "3.3.1"}
	if w.Requested != "" {
		s.StatusChange = &statusChange{IsLazy: w.Lazy, Status: w.Requested}
	}
	return s
}

func (m *Manager) listWorkers(rw http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := []workerSummary{}
	for _, w := range m.workers {
		list = append(list, w.summary())
	}
	slices.SortFunc(list, func(a, b workerSummary) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) })
	writeJSON(rw, http.StatusOK, map[string]any{"workers": list})
}

func (m *Manager) getWorker(rw http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.workers[r.PathValue("id")]
	if w == nil {
		writeError(rw, http.StatusNotFound, "worker %q not found", r.PathValue("id"))
		return
	}
	d := workerDetails{workerSummary: w.summary(), IPAddress: w.Address, Platform: w.Platform, SupportedTaskTypes: w.TaskTypes}
	if t := w.Task; t != nil {
		d.Task = &taskSummary{ID: t.ID, Name: t.Name, Priority: 50, Status: t.Status, TaskType: "misc", Updated: t.Updated, JobID: t.JobID}
	}
	writeJSON(rw, http.StatusOK, d)
}

func (m *Manager) setStatus(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
		IsLazy bool   `json:"is_lazy"`
	}
	if err := decode(r, &req); err != nil || req.Status == "" {
		writeError(rw, http.StatusBadRequest, "invalid format: %v", err)
		return
	}
	m.mu.Lock()
	mode := m.setStatusMode
	if mode == SetStatusHangs {
		m.mu.Unlock()
		<-r.Context().Done()
		return
	}
	defer m.mu.Unlock()
	if mode == SetStatusFails {
		writeError(rw, http.StatusInternalServerError, "error saving worker")
		return
	}
	w := m.workers[r.PathValue("id")]
	if w == nil {
		writeError(rw, http.StatusNotFound, "worker %q not found", r.PathValue("id"))
		return
	}
	if w.Status == req.Status {
		w.Requested, w.Lazy = "", false // asking for the current status cancels a request
	} else {
		w.Requested, w.Lazy = req.Status, req.IsLazy
	}
	detail := req.Status
	if req.IsLazy {
		detail += " lazy"
	}
	m.record("setstatus", w.ID, detail)
	noContent(rw)
}

func (m *Manager) getJob(rw http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[r.PathValue("id")]
	if j == nil {
		writeError(rw, http.StatusNotFound, "no such job")
		return
	}
	// The fields of job-active.txt, in its order.
	type jobAnswer struct {
		Metadata          map[string]string `json:"metadata"`
		Name              string            `json:"name"`
		Priority          int               `json:"priority"`
		Settings          map[string]any    `json:"settings"`
		SubmitterPlatform string            `json:"submitter_platform"`
		Type              string            `json:"type"`
		Activity          string            `json:"activity"`
		Created           time.Time         `json:"created"`
		ID                string            `json:"id"`
		Status            string            `json:"status"`
		Updated           time.Time         `json:"updated"`
	}
	// Metadata and settings as the captured job's: an echo-sleep-test job submitted by alice.
	writeJSON(rw, http.StatusOK, jobAnswer{Metadata: map[string]string{"project": "standin", "user.name": "alice"}, Name: j.Name,
		Priority: 50, Settings: map[string]any{"message": "hello", "sleep_duration_seconds": j.Seconds, "sleep_repeats": 1},
		Type: "echo-sleep-test", Activity: "", Created: j.Created, ID: j.ID, Status: j.Status, Updated: j.Updated})
}
