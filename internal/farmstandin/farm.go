// Package farmstandin is a test harness, not product code: a stand-in Flamenco Manager (as of 3.3.1)
// over a farm that tests change at will. Its management API (Workers, setstatus, jobs, status) and its
// Worker API (register, sign on, tasks, sign off; workerapi.go) serve one farm: a Worker process that
// registers is listed among its Workers, and the jobs it runs are its jobs. Workers change state,
// jobs move from queued to active to completed, failed or canceled, other users submit jobs, the
// Manager restarts (ids persist) or answers badly (slow, 500, huge, malformed, too old), and keeps a
// log of what Workers and clients told it (events.go). Its answers are checked against the captures
// of a real Manager in internal/farm/testdata/flamenco-api (conformance_test.go), so it cannot drift
// from the real thing.
//
// It keeps its own wire types, independent of internal/farm's, so that a mistake in the client's
// reading of the API is not mirrored here.
package farmstandin

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Farm is the state of a stand-in Manager: its Workers, jobs and tasks. Safe for concurrent use.
type Farm struct {
	mu            sync.Mutex
	name          string
	version       string
	now           func() time.Time
	workers       []*worker
	jobs          []*job // in submission order, as the Manager's table
	byID          map[string]*job
	queue         []*task // tasks waiting for a Worker, the first handed out first
	mode          Mode
	setStatusMode Mode
	stats         Stats
	events        []Event
	changed       chan struct{} // closed and replaced at every event
	hub           *eventHub     // the event bus (eventbus.go)
	lastFarmState string        // as last told on the event bus
}

// Option changes a Farm.
type Option func(*Farm)

// WithClock makes the Farm stamp times with now instead of time.Now (a fake clock's Now).
func WithClock(now func() time.Time) Option { return func(f *Farm) { f.now = now } }

// WithVersion makes the Manager report version v (default "3.3.1"). From "3.5" on it also answers
// GET /api/v3/status, as Flamenco 3.5 does.
func WithVersion(v string) Option { return func(f *Farm) { f.version = v } }

// SetVersion changes the version the Manager reports (an upgrade, done while it is down).
func (f *Farm) SetVersion(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version = v
}

// New returns an empty farm of a Manager named name.
func New(name string, opts ...Option) *Farm {
	f := &Farm{name: name, version: "3.3.1", now: time.Now, byID: make(map[string]*job), changed: make(chan struct{}),
		hub: newEventHub()}
	for _, opt := range opts {
		opt(f)
	}
	return f
}

type worker struct {
	ID                 string
	Secret             string // a registered Worker's, which it signs its requests with; "" for the others
	CanRestart         bool
	Name               string
	Status             string
	StatusChange       *statusChange
	LastSeen           time.Time
	Version            string
	Address            string
	Platform           string
	SupportedTaskTypes []string
	Task               *task // the current or last task
}

type statusChange struct {
	Lazy   bool   `json:"is_lazy"`
	Status string `json:"status"`
}

type task struct {
	ID       string
	Name     string
	Priority int
	Status   string
	TaskType string
	Updated  time.Time
	JobID    string
	Seconds  int // how long its sleep command lasts
}

type job struct {
	ID                string
	Name              string
	Type              string
	Priority          int
	Status            string
	Activity          string
	Created, Updated  time.Time
	Metadata          map[string]string
	Settings          map[string]any
	SubmitterPlatform string
	StepsCompleted    int // Flamenco 3.8's progress
	StepsTotal        int
}

// NewID returns a random UUID (version 4), as the Manager gives Workers and jobs.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

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
		Platform: spec.Platform, SupportedTaskTypes: spec.SupportedTaskTypes, LastSeen: f.now().UTC()}
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
	f.workers = append(f.workers, w)
	f.workerChanged(w, "")
	return w.ID
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
	f.stateChanged(w, status)
	w.LastSeen = f.now().UTC()
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
	if next := w.StatusChange.Status; next == "offline" || next == "restart" {
		f.signOff(w)
	} else {
		f.stateChanged(w, next)
	}
	w.LastSeen = f.now().UTC()
	return nil
}

// stateChanged is what the Manager does when a Worker says it is now in status: a request for that
// status is done (one for another status stays, as the Worker went its own way), and a Worker that is
// no longer awake gives its task back. Must be called with f.mu held.
func (f *Farm) stateChanged(w *worker, status string) {
	previous := w.Status
	w.Status = status
	defer f.workerChanged(w, previous)
	if w.StatusChange != nil && w.StatusChange.Status == status {
		w.StatusChange = nil
	}
	if previous == "awake" && status != "awake" {
		f.requeue(w)
	}
}

// signOff follows Flamenco 3.3's Manager: the Worker is offline; a requested offline or restart is
// done, and without a request the status it had (awake or asleep) is requested for its next sign-on
// (workers-offline.txt: offline, with a status_change back to asleep); its active task is requeued.
// Must be called with f.mu held.
func (f *Farm) signOff(w *worker) {
	previous := w.Status
	w.Status = "offline"
	defer f.workerChanged(w, previous)
	if w.StatusChange != nil && (w.StatusChange.Status == "offline" || w.StatusChange.Status == "restart") {
		w.StatusChange = nil
	}
	if w.StatusChange == nil && (previous == "awake" || previous == "asleep") {
		w.StatusChange = &statusChange{Status: previous}
	}
	f.requeue(w)
}

// requeue puts the Worker's active task back at the head of the queue. Must be called with f.mu held.
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

// RemoveWorker deletes a Worker, as "Delete" in the web UI does.
func (f *Farm) RemoveWorker(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.workers = slices.DeleteFunc(f.workers, func(w *worker) bool { return w.ID == id })
}

func (f *Farm) worker(id string) *worker {
	for _, w := range f.workers {
		if w.ID == id {
			return w
		}
	}
	return nil
}

// JobSpec describes a job to submit. Zero fields get the defaults of the captures.
type JobSpec struct {
	ID, Name, Type string
	Priority       int
	User           string            // metadata "user.name", when not empty
	Metadata       map[string]string // more metadata
	Settings       map[string]any
	Status         string // default queued
	Steps          int    // how many steps the job has (Flamenco 3.8's steps_total)
}

// SubmitJob adds a job and returns its id.
func (f *Farm) SubmitJob(spec JobSpec) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now().UTC()
	j := &job{ID: spec.ID, Name: spec.Name, Type: spec.Type, Priority: spec.Priority, Status: spec.Status,
		Created: now, Updated: now, Metadata: map[string]string{}, Settings: spec.Settings}
	if j.ID == "" {
		j.ID = NewID()
	}
	if j.Type == "" {
		j.Type = "simple-blender-render"
	}
	if j.Priority == 0 {
		j.Priority = 50
	}
	if j.Status == "" {
		j.Status = "queued"
	}
	j.Activity = fmt.Sprintf("Changed to status %q: job submitted", j.Status)
	for k, v := range spec.Metadata {
		j.Metadata[k] = v
	}
	if spec.User != "" {
		j.Metadata["user.name"] = spec.User
	}
	if j.Settings == nil {
		j.Settings = map[string]any{}
	}
	j.StepsTotal = spec.Steps
	f.jobs = append(f.jobs, j)
	f.byID[j.ID] = j
	f.jobChanged(j, "")
	return j.ID
}

// SetJobStatus moves a job to status, as the Manager's state machine does: the activity says why,
// and the job counts as updated now.
func (f *Farm) SetJobStatus(id, status, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.byID[id]
	if j == nil {
		return fmt.Errorf("no job %s", id)
	}
	if reason == "" {
		reason = "changed by the test"
	}
	f.setJobStatus(j, status, reason)
	return nil
}

// setJobStatus must be called with f.mu held.
func (f *Farm) setJobStatus(j *job, status, reason string) {
	previous := j.Status
	j.Status = status
	j.Activity = fmt.Sprintf("Changed to status %q: %s", status, reason)
	j.Updated = f.now().UTC()
	if status == "completed" {
		j.StepsCompleted = j.StepsTotal
	}
	if previous != status {
		f.jobChanged(j, previous)
	}
}

func fmtNoJob(id string) error    { return fmt.Errorf("no job %s", id) }
func fmtNoWorker(id string) error { return fmt.Errorf("no worker %s", id) }

// QueueTask submits a job of one task that sleeps seconds (an echo-sleep-test job of alice's, as in
// job-active.txt) and queues the task: the next awake Worker asking for work gets it.
func (f *Farm) QueueTask(jobName string, seconds int) (jobID, taskID string) {
	jobID = f.SubmitJob(JobSpec{Name: jobName, Type: "echo-sleep-test", User: "alice",
		Metadata: map[string]string{"project": "standin"},
		Settings: map[string]any{"message": "hello", "sleep_duration_seconds": seconds, "sleep_repeats": 1}})
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &task{ID: NewID(), Name: "sleep", Priority: 50, Status: "queued", TaskType: "misc", Updated: f.now().UTC(),
		JobID: jobID, Seconds: seconds}
	f.queue = append(f.queue, t)
	return jobID, t.ID
}

// JobStatus returns a job's status.
func (f *Farm) JobStatus(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j := f.byID[id]; j != nil {
		return j.Status
	}
	return ""
}

// JobUser returns the "user.name" of a job's metadata.
func (f *Farm) JobUser(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j := f.byID[id]; j != nil {
		return j.Metadata["user.name"]
	}
	return ""
}

// JobIDs returns the ids of the jobs in status (every job when status is ""), oldest first.
func (f *Farm) JobIDs(status string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, j := range f.jobs {
		if status == "" || j.Status == status {
			ids = append(ids, j.ID)
		}
	}
	return ids
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

// Mode is how the Manager answers the farm API: normally, or one of the ways a Manager fails.
type Mode string

// The ways a stand-in can answer the farm API (/api/v3/version and the Worker API always answer
// normally, as the Manager stays listed and its Workers keep working).
const (
	Normal    Mode = ""
	Slow      Mode = "slow"      // never answers until the client gives up
	Failing   Mode = "500"       // 500 with the Manager's error body
	Huge      Mode = "huge"      // a 16 MB answer
	Malformed Mode = "malformed" // JSON cut off in the middle
	TooOld    Mode = "too-old"   // 404 for every farm endpoint, as a Manager without them
)

// SetMode makes the farm API answer as mode from the next request on.
func (f *Farm) SetMode(mode Mode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = mode
}

// SetStatusAnswers makes POST /api/v3/worker-mgt/workers/{id}/setstatus alone answer as mode (Failing,
// Slow, …) while the rest of the farm API answers as SetMode says: a Manager that lists a Worker but
// does not take a request to change its status.
func (f *Farm) SetStatusAnswers(mode Mode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setStatusMode = mode
}

// Stats counts what the stand-in answered, for tests and the benchmark.
type Stats struct {
	Requests     int            // farm API requests (everything under /api/v3/ but the version and the Worker API), counted as they arrive
	Bytes        int64          // body bytes of those answers, counted once each is written
	ByRoute      map[string]int // requests per route ("POST /api/v3/jobs/query")
	Unfiltered   int            // job queries without a status_in or metadata filter
	LargestQuery int            // most jobs returned by one query
}

// Stats returns a copy of the counts so far.
func (f *Farm) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.ByRoute = make(map[string]int, len(f.stats.ByRoute))
	for k, v := range f.stats.ByRoute {
		s.ByRoute[k] = v
	}
	return s
}

// ResetStats sets the counts to zero.
func (f *Farm) ResetStats() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats = Stats{}
}

func (f *Farm) countRequest(route string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stats.ByRoute == nil {
		f.stats.ByRoute = make(map[string]int)
	}
	f.stats.Requests++
	f.stats.ByRoute[route]++
}

func (f *Farm) countBytes(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Bytes += n
}

// atLeast35 says whether version v is 3.5 or later (it has GET /api/v3/status).
func atLeast35(v string) bool { return atLeast(v, 3, 5) }

// atLeast says whether version v is major.minor or later: 3.6 lists every job, 3.8 has progress.
func atLeast(v string, major, minor int) bool {
	var haveMajor, haveMinor int
	if _, err := fmt.Sscanf(strings.TrimPrefix(v, "v"), "%d.%d", &haveMajor, &haveMinor); err != nil {
		return false
	}
	return haveMajor > major || haveMajor == major && haveMinor >= minor
}

// ImportJob adds a job given in the Manager's JSON form (one of the captured answers), exactly as
// it was: id, times, activity, metadata and settings.
func (f *Farm) ImportJob(data []byte) (string, error) {
	var w wireJob
	if err := json.Unmarshal(data, &w); err != nil {
		return "", fmt.Errorf("import job: %w", err)
	}
	if w.ID == "" {
		return "", fmt.Errorf("import job: no id")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j := &job{ID: w.ID, Name: w.Name, Type: w.Type, Priority: w.Priority, Status: w.Status, Activity: w.Activity,
		Created: w.Created, Updated: w.Updated, Metadata: w.Metadata, Settings: w.Settings,
		SubmitterPlatform: w.SubmitterPlatform}
	if w.StepsCompleted != nil && w.StepsTotal != nil {
		j.StepsCompleted, j.StepsTotal = *w.StepsCompleted, *w.StepsTotal
	}
	if j.Metadata == nil {
		j.Metadata = map[string]string{}
	}
	if j.Settings == nil {
		j.Settings = map[string]any{}
	}
	f.jobs = append(f.jobs, j)
	f.byID[j.ID] = j
	return j.ID, nil
}

// ImportWorker adds a Worker given in the Manager's JSON form, from the list or from GET of one.
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
	wk := &worker{ID: w.ID, CanRestart: w.CanRestart, Name: w.Name, Status: w.Status, StatusChange: w.StatusChange, Version: w.Version,
		Address: w.Address, Platform: w.Platform, SupportedTaskTypes: w.SupportedTaskTypes}
	if w.LastSeen != nil {
		wk.LastSeen = *w.LastSeen
	}
	if t := w.Task; t != nil {
		wk.Task = &task{ID: t.ID, Name: t.Name, Priority: t.Priority, Status: t.Status, TaskType: t.TaskType,
			Updated: t.Updated, JobID: t.JobID}
	}
	f.workers = append(f.workers, wk)
	return wk.ID, nil
}
