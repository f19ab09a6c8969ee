package farmstandin

import (
	"encoding/json"
	"fmt"
	"slices"
)

// JobSpec describes a job to submit. Zero fields get the defaults of the captures.
type JobSpec struct {
	ID, Name, Type string
	Priority       int
	User           string            // metadata "user.name", when not empty
	Metadata       map[string]string // more metadata
	Settings       map[string]any
	Status         string // default queued
	Steps          int    // how many steps the job has (Flamenco 3.8's steps_total)
	// TaskSteps is how many steps its tasks have when more than Steps tells: a 3.8 Manager tells
	// steps_total 0 until it counts the tasks' steps, at a task's progress or a requeue.
	TaskSteps int
}

// SubmitJob adds a job and returns its id. allJobs subscribers are told (without previous_status).
func (f *Farm) SubmitJob(spec JobSpec) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now().UTC()
	j := &job{ID: spec.ID, Name: spec.Name, Type: spec.Type, Priority: spec.Priority, Status: spec.Status,
		Created: now, Updated: now, Metadata: map[string]string{}, Settings: spec.Settings, StepsTotal: spec.Steps,
		TaskSteps: max(spec.Steps, spec.TaskSteps)}
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
	f.jobs = append(f.jobs, j)
	f.byID[j.ID] = j
	f.jobChanged(j)
	return j.ID
}

// SetJobStatus moves a job to status as one step of the Manager's state machine: the activity says
// why, the job counts as updated now, the tasks the stand-in runs of it follow, and allJobs
// subscribers are told, with previous_status (and, from 3.5, the time of the job's previous change,
// as the real Manager tells it). The step the status leads to (cancel-requested → canceled,
// requeueing → queued) is not made: a test scripts it, as the captures show each. A job already in
// status is left as it is. POST /api/v3/jobs/{id}/setstatus makes the whole change.
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

// setJobStatus is one step of the state machine, when status is not the job's. f.mu held.
func (f *Farm) setJobStatus(j *job, status, reason string) {
	if status != j.Status {
		f.jobStatusSet(j, status, reason, loadJob(j))
	}
}

// SetJobProgress sets how many of a job's steps are done (Flamenco 3.8's steps_completed; a job with
// fewer steps than that gets more). The job counts as updated now; allJobs subscribers are told,
// without previous_status, as at every task a real Manager sees done.
func (f *Farm) SetJobProgress(id string, completed int) error {
	return f.updateSteps(id, func(j *job) {
		j.StepsCompleted, j.StepsTotal = completed, max(j.StepsTotal, completed)
		j.TaskSteps = max(j.TaskSteps, j.StepsTotal)
	})
}

// SetJobSteps sets both a job's steps done and its steps in all, as SetJobProgress: a real 3.8
// Manager tells steps_total 0 until the job's first task is done (3.8.5/socketio.txt).
func (f *Farm) SetJobSteps(id string, completed, total int) error {
	return f.updateSteps(id, func(j *job) {
		j.StepsCompleted, j.StepsTotal = completed, total
		j.TaskSteps = max(j.TaskSteps, total)
	})
}

func (f *Farm) updateSteps(id string, update func(*job)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.byID[id]
	if j == nil {
		return fmt.Errorf("no job %s", id)
	}
	update(j)
	j.Updated = f.now().UTC()
	f.jobChanged(j)
	return nil
}

// DeleteJob deletes a job and its queued tasks, as the web UI's "Delete" does; allJobs subscribers
// are told (was_deleted).
func (f *Farm) DeleteJob(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.byID[id]
	if j == nil {
		return fmt.Errorf("no job %s", id)
	}
	delete(f.byID, id)
	f.jobs = slices.DeleteFunc(f.jobs, func(other *job) bool { return other == j })
	f.queue = slices.DeleteFunc(f.queue, func(t *task) bool { return t.JobID == id })
	f.forgetFrame(id)
	f.jobDeleted(j)
	return nil
}

// QueueTask submits a job of one task that sleeps seconds (an echo-sleep-test job of alice's, as in
// job-active.txt) and queues the task: the next awake Worker asking for work gets it.
func (f *Farm) QueueTask(jobName string, seconds int) (jobID, taskID string) {
	jobID = f.SubmitJob(JobSpec{Name: jobName, Type: "echo-sleep-test", User: "alice", Steps: 1,
		Metadata: map[string]string{"project": "standin"},
		Settings: map[string]any{"message": "hello", "sleep_duration_seconds": seconds, "sleep_repeats": 1}})
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &task{ID: NewID(), Name: "sleep", Index: 1, Priority: 50, Status: "queued", TaskType: "misc",
		Updated: f.now().UTC(), JobID: jobID, StepsTotal: 1, Seconds: seconds}
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

// ImportJob adds a job given in the Manager's JSON form (one of the captured answers), exactly as
// it was: id, times, activity, metadata, settings and (3.8) progress. Nothing is told on the event
// bus but a change of the farm's state.
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
	if w.StepsCompleted != nil {
		j.StepsCompleted = *w.StepsCompleted
	}
	if w.StepsTotal != nil {
		j.StepsTotal, j.TaskSteps = *w.StepsTotal, *w.StepsTotal
	}
	if j.Metadata == nil {
		j.Metadata = map[string]string{}
	}
	if j.Settings == nil {
		j.Settings = map[string]any{}
	}
	f.jobs = append(f.jobs, j)
	f.byID[j.ID] = j
	f.farmStateMaybeChanged()
	return j.ID, nil
}

// TaskStatus returns the status of a task queued with QueueTask: "queued" while it waits (again,
// after a Worker gave it back), "active" while a Worker runs it, its end after; "" when unknown.
func (f *Farm) TaskStatus(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.queue {
		if t.ID == id {
			return t.Status
		}
	}
	for _, w := range f.workers {
		if w.Task != nil && w.Task.ID == id {
			return w.Task.Status
		}
	}
	return ""
}
