package farmstandin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// A client's job status change, POST /api/v3/jobs/{id}/setstatus with {"status", "reason"}, as
// Flamenco 3.3.1 and 3.8.5 answer it (last-rendered-and-actions/job-setstatus-*.txt), and the
// Manager's state machine the change then goes through (internal/manager/task_state_machine in
// Flamenco's source): the Manager takes any status its API has, from any status; a status can lead
// to the next (cancel-requested → canceled, requeueing → queued, pause-requested → paused once no
// task of the job runs), each step told on the bus with previous_status.

// JobStatusRequest is a POST /api/v3/jobs/{id}/setstatus the Manager handled, refused ones included
// (not those a hostile mode answered).
type JobStatusRequest struct {
	JobID, Status, Reason string
	Code                  int // the answer's: 204 taken, 400 refused (a status this version lacks, a bad body or id), 404 no such job
}

// JobStatusRequests returns the job status changes clients asked for, oldest first. Each is also an
// event (Kind "job-setstatus", JobID, Detail the status) to WaitFor.
func (f *Farm) JobStatusRequests() []JobStatusRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.statusRequests)
}

// hasJobPause says whether a version has pause-requested and paused jobs: since 3.6 (its API's
// JobStatus gained pause-requested in July 2024; 3.3.1's refuses it, job-setstatus-pause.txt).
func hasJobPause(v string) bool { return atLeast(v, 3, 6) }

// tellsLoadedJob says whether a version's /jobs update of a status change tells the job as the state
// machine loaded it, before the change: since 3.5 its database layer no longer writes the time it
// saves back into the job (sqlc), so the update carries the time of the job's previous change and
// its progress then, while GET /api/v3/jobs/{id} answers the saved ones (3.8.5/last-rendered-and-
// actions/socketio.txt against job-after-*.txt). 3.3's (GORM) tells the time of this change.
func tellsLoadedJob(v string) bool { return atLeast(v, 3, 5) }

// jobStatusesOf are the statuses a version's API takes, in its spec's order (job-setstatus-bad.txt).
func jobStatusesOf(v string) []string {
	if !hasJobPause(v) {
		return jobStatuses33
	}
	return []string{"active", "canceled", "completed", "failed", "paused", "pause-requested", "queued",
		"cancel-requested", "requeueing", "under-construction"}
}

// schemaError is the message of the Manager's request validator (kin-openapi) for a body that does
// not match JobStatusChange, in the words of the version's (job-setstatus-bad.txt).
func schemaError(v, field, problem string) string {
	if hasJobPause(v) {
		return fmt.Sprintf(`request body has an error: doesn't match schema #/components/schemas/JobStatusChange: Error at "/%s": %s`, field, problem)
	}
	return fmt.Sprintf(`request body has an error: doesn't match the schema: Error at "/%s": %s`, field, problem)
}

// readJobStatusChange reads and validates the body as the version's validator does; a refusal is
// the message of its 400. Only the unknown status is captured; the other messages are kin-openapi's.
func readJobStatusChange(w http.ResponseWriter, r *http.Request, version string) (status, reason, refusal string) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		return "", "", "request body has an error: failed to decode request body: " + err.Error()
	}
	allowed := jobStatusesOf(version)
	rawStatus, ok := body["status"]
	if !ok {
		return "", "", schemaError(version, "status", `property "status" is missing`)
	}
	if json.Unmarshal(rawStatus, &status) != nil || !slices.Contains(allowed, status) {
		problem := "value is not one of the allowed values"
		if hasJobPause(version) {
			list, _ := json.Marshal(allowed)
			problem += " " + string(list)
		}
		return status, "", schemaError(version, "status", problem)
	}
	rawReason, ok := body["reason"]
	if !ok {
		return status, "", schemaError(version, "reason", `property "reason" is missing`)
	}
	if json.Unmarshal(rawReason, &reason) != nil {
		return status, "", schemaError(version, "reason", "value must be a string")
	}
	return status, reason, ""
}

// serveSetJobStatus is POST /api/v3/jobs/{id}/setstatus: the body checked, then the job looked up
// (Flamenco's fetchJob: 400 "job ID not valid", 404 "no such job"), then the change made: 204.
func (f *Farm) serveSetJobStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f.mu.Lock()
	version := f.version
	f.mu.Unlock()
	status, reason, refusal := readJobStatusChange(w, r, version)
	code := http.StatusNoContent
	f.mu.Lock()
	j := f.byID[id]
	switch {
	case refusal != "":
		code = http.StatusBadRequest
	case !validUUID(id):
		code, refusal = http.StatusBadRequest, "job ID not valid"
	case j == nil:
		code, refusal = http.StatusNotFound, "no such job"
	default:
		f.changeJobStatus(j, status, reason)
	}
	f.statusRequests = append(f.statusRequests, JobStatusRequest{JobID: id, Status: status, Reason: reason, Code: code})
	f.recordJob("job-setstatus", id, status)
	f.mu.Unlock()
	switch {
	case code == http.StatusNoContent:
		w.WriteHeader(code)
	case code == http.StatusBadRequest && refusal != "job ID not valid":
		// The validator's refusal has no code (job-setstatus-bad.txt); the handler's have one.
		writeJSON(w, code, struct {
			Message string `json:"message"`
		}{refusal})
	default:
		writeJSON(w, code, apiError{Code: code, Message: refusal})
	}
}

// jobLoaded is a job as the state machine loaded it, before a change: what a 3.5+ Manager tells of
// it in every /jobs update of the change (tellsLoadedJob).
type jobLoaded struct {
	updated          time.Time
	completed, total int
}

func loadJob(j *job) jobLoaded { return jobLoaded{j.Updated, j.StepsCompleted, j.StepsTotal} }

// changeJobStatus is the state machine's JobStatusChange: the job goes to status, then to each
// status that leads to, until none does. Each step's activity gives reason. f.mu held.
func (f *Farm) changeJobStatus(j *job, status, reason string) {
	loaded := loadJob(j)
	for status != "" && status != j.Status {
		status = f.jobStatusSet(j, status, reason, loaded)
	}
}

// jobStatusSet is one step of the state machine: the job saved in status (now), its tasks changed to
// match, the change told to allJobs subscribers (then the farm's state to every client). It returns
// the status the job is to go to next, "" for none. f.mu held.
func (f *Farm) jobStatusSet(j *job, status, reason string, loaded jobLoaded) string {
	previous := j.Status
	j.Status = status
	j.Activity = fmt.Sprintf("Changed to status %q: %s", status, reason)
	j.Updated = f.now().UTC()
	next, allTasks := f.updateTasksAfter(j, previous)
	u := f.jobUpdate(j, previous)
	// The web UI reloads the job's tasks when the Manager changed them all at once.
	u.RefreshTasks = allTasks
	if tellsLoadedJob(f.version) {
		u.Updated = loaded.updated
		if u.StepsCompleted != nil {
			*u.StepsCompleted, *u.StepsTotal = loaded.completed, loaded.total
		}
	}
	f.hub.broadcast("allJobs", "/jobs", u)
	f.farmStateMaybeChanged()
	return next
}

// updateTasksAfter changes the job's tasks as its new status asks (updateTasksAfterJobStatusChange)
// and returns the status that leads to ("" for none) and whether it changed all its tasks at once.
// f.mu held.
func (f *Farm) updateTasksAfter(j *job, previous string) (next string, allTasks bool) {
	switch j.Status {
	case "cancel-requested", "failed":
		f.setTasks(j, "canceled", "active", "queued", "soft-failed")
		if j.Status == "cancel-requested" {
			return "canceled", true
		}
		return "", true
	case "pause-requested":
		f.setTasks(j, "paused", "queued", "soft-failed")
		if !f.runsATask(j, previous) {
			return "paused", true
		}
		return "", true
	case "requeueing":
		if previous == "under-construction" {
			return "", true
		}
		if previous == "completed" {
			f.setTasks(j, "queued")
		} else {
			f.setTasks(j, "queued", "canceled", "failed", "paused", "soft-failed")
		}
		if hasProgress(f.version) {
			f.recountSteps(j, previous)
		}
		return "queued", true
	case "queued":
		if tasks := f.tasksOf(j); len(tasks) > 0 && !slices.ContainsFunc(tasks, func(t *task) bool { return t.Status != "completed" }) {
			return "completed", true
		}
		return "", true
	case "completed":
		j.StepsCompleted = j.StepsTotal
	}
	return "", false
}

// tasksOf returns the job's tasks the stand-in runs (QueueTask's): queued or with a Worker. A job
// submitted otherwise has none here. f.mu held.
func (f *Farm) tasksOf(j *job) []*task {
	var tasks []*task
	for _, t := range f.queue {
		if t.JobID == j.ID {
			tasks = append(tasks, t)
		}
	}
	for _, w := range f.workers {
		if t := w.Task; t != nil && t.JobID == j.ID && !slices.Contains(tasks, t) {
			tasks = append(tasks, t)
		}
	}
	return tasks
}

// setTasks moves the job's tasks in one of the statuses from (any when none is given) to status, as
// the job's save; a task queued again waits for a Worker. f.mu held.
func (f *Farm) setTasks(j *job, status string, from ...string) {
	for _, t := range f.tasksOf(j) {
		if len(from) > 0 && !slices.Contains(from, t.Status) || t.Status == status {
			continue
		}
		t.Status, t.Updated = status, j.Updated
		if status == "queued" && !slices.Contains(f.queue, t) {
			f.queue = append(f.queue, t)
		}
	}
}

// runsATask says whether a Worker runs one of the job's tasks. A job whose tasks the stand-in does
// not run (submitted, not QueueTask's) runs one when it was active: a Worker rendering it that never
// reports, as in the capture, where the job stays pause-requested. f.mu held.
func (f *Farm) runsATask(j *job, previous string) bool {
	tasks := f.tasksOf(j)
	if len(tasks) == 0 {
		return previous == "active"
	}
	return slices.ContainsFunc(tasks, func(t *task) bool { return t.Status == "active" })
}

// recountSteps is 3.8's recount of a requeued job's progress from its tasks: steps_total is theirs
// (job-after-requeue.txt: 2, where the job told 0 before), steps_completed those of the tasks left
// completed. Of a job whose tasks the stand-in does not run, all steps were requeued when it had
// completed, else its completed steps stay. f.mu held.
func (f *Farm) recountSteps(j *job, previous string) {
	tasks := f.tasksOf(j)
	if len(tasks) == 0 {
		j.StepsTotal = j.TaskSteps
		if previous == "completed" {
			j.StepsCompleted = 0
		}
		j.StepsCompleted = min(j.StepsCompleted, j.StepsTotal)
		return
	}
	j.StepsCompleted, j.StepsTotal = 0, 0
	for _, t := range tasks {
		j.StepsTotal += t.StepsTotal
		if t.Status == "completed" {
			j.StepsCompleted += t.StepsTotal
		}
	}
}
