package managerapi

import "time"

// WorkerStatus is a Worker's state as the Manager reports it.
type WorkerStatus string

// The Worker statuses of Flamenco 3.3.1.
const (
	WorkerStarting WorkerStatus = "starting"
	WorkerAwake    WorkerStatus = "awake"
	WorkerAsleep   WorkerStatus = "asleep"
	WorkerError    WorkerStatus = "error"
	WorkerTesting  WorkerStatus = "testing"
	WorkerOffline  WorkerStatus = "offline"
	WorkerRestart  WorkerStatus = "restart"
)

// WorkerStatuses lists every Worker status, in the order the menu and `status` show them.
var WorkerStatuses = []WorkerStatus{WorkerAwake, WorkerAsleep, WorkerStarting, WorkerTesting, WorkerRestart, WorkerError, WorkerOffline}

// JobStatus is a job's state as the Manager reports it.
type JobStatus string

// The job statuses of Flamenco 3.3.1. Later versions add pause-requested; it is not sent in queries,
// as 3.3.1 validates status_in against its own list.
const (
	JobActive            JobStatus = "active"
	JobCanceled          JobStatus = "canceled"
	JobCompleted         JobStatus = "completed"
	JobFailed            JobStatus = "failed"
	JobPaused            JobStatus = "paused"
	JobQueued            JobStatus = "queued"
	JobCancelRequested   JobStatus = "cancel-requested"
	JobRequeueing        JobStatus = "requeueing"
	JobUnderConstruction JobStatus = "under-construction"
	// JobPauseRequested is Flamenco 3.6's: a job asked to pause that still has a task running.
	JobPauseRequested JobStatus = "pause-requested"
)

// JobStatuses lists every job status, unfinished ones first.
var JobStatuses = []JobStatus{JobActive, JobQueued, JobPaused, JobCancelRequested, JobRequeueing, JobUnderConstruction,
	JobCompleted, JobFailed, JobCanceled}

// UnfinishedJobStatuses are every status but completed, failed and canceled.
var UnfinishedJobStatuses = []JobStatus{JobActive, JobQueued, JobPaused, JobCancelRequested, JobRequeueing,
	JobUnderConstruction}

// Finished says whether a job in this status is done: completed, failed or canceled.
func (s JobStatus) Finished() bool {
	return s == JobCompleted || s == JobFailed || s == JobCanceled
}

// FarmState is the state of the whole farm, as Flamenco 3.5's GET /api/v3/status reports it.
type FarmState string

// The farm states of Flamenco 3.5, and FarmUnknown when neither the Manager nor this program can
// tell (the Manager does not answer).
const (
	FarmActive      FarmState = "active"
	FarmIdle        FarmState = "idle"
	FarmWaiting     FarmState = "waiting"
	FarmAsleep      FarmState = "asleep"
	FarmInoperative FarmState = "inoperative"
	FarmUnknown     FarmState = ""
)

// Worker is a Worker as GET /api/v3/worker-mgt/workers lists it, with what the tray reads of it. Task
// is only in the answer for one Worker (GET /api/v3/worker-mgt/workers/{id}).
type Worker struct {
	ID     string       `json:"id"`
	Name   string       `json:"name"`
	Status WorkerStatus `json:"status"`
	Task   *WorkerTask  `json:"task,omitempty"`
}

// WorkerTask is the task a Worker runs or ran last.
type WorkerTask struct {
	Name   string `json:"name"`
	JobID  string `json:"job_id"`
	Status string `json:"status"`
}

// Job is a job as GET /api/v3/jobs/{id}, GET /api/v3/jobs (3.6+) and POST /api/v3/jobs/query (before
// 3.6) return it, without its settings (which only the job type's script reads).
type Job struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Status   JobStatus         `json:"status"`
	Activity string            `json:"activity"`
	Priority int               `json:"priority"`
	Created  time.Time         `json:"created"`
	Updated  time.Time         `json:"updated"`
	Metadata map[string]string `json:"metadata"`
	// Progress is the steps done of the steps the job has (Flamenco 3.8+), nil where the Manager does
	// not say.
	Progress *Progress `json:"-"`
}

// Progress is how far a job is: Completed of Total steps (Flamenco 3.8's steps_completed and
// steps_total).
type Progress struct {
	Completed int `json:"completed"`
	Total     int `json:"total"`
}

// JobQuery is the body of POST /api/v3/jobs/query, always sorted by the latest update first. Zero
// fields are left out of the request.
type JobQuery struct {
	StatusIn []JobStatus
	// Metadata filters by metadata: the Manager compares each value with = (case-sensitive), or with
	// SQL LIKE when it contains a %. Keys are plain keys ("user.name"): the Client quotes them, as
	// the Manager reads a dotted key as a JSON path.
	Metadata map[string]string
	Limit    int
}
