package farm

import (
	"fmt"
	"slices"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// JobAction is what a user may do to one of their jobs, as Flamenco's web UI offers it.
type JobAction string

// The actions, in the order the menu lists them.
const (
	Pause   JobAction = "pause"
	Resume  JobAction = "resume"
	Requeue JobAction = "requeue"
	Cancel  JobAction = "cancel"
)

// JobActions lists every action, for the command line's words.
var JobActions = []JobAction{Pause, Resume, Requeue, Cancel}

// Status is the status the action asks the Manager for. Resume asks for requeueing, as Flamenco's web
// UI resumes a paused job: queued would leave its paused tasks paused, requeueing queues the tasks
// that did not complete.
func (a JobAction) Status() managerapi.JobStatus {
	return map[JobAction]managerapi.JobStatus{Pause: managerapi.JobPauseRequested, Resume: managerapi.JobRequeueing,
		Requeue: managerapi.JobRequeueing, Cancel: managerapi.JobCancelRequested}[a]
}

// Reason is what the job's activity says of the change on the Manager: who asked, from where.
func (a JobAction) Reason(user string) string {
	verb := map[JobAction]string{Pause: "paused", Resume: "resumed", Requeue: "requeued", Cancel: "canceled"}[a]
	if user == "" {
		return verb + " from Flamenco Tray"
	}
	return fmt.Sprintf("%s from Flamenco Tray by %s", verb, user)
}

// ActionsFor are the actions a job's state allows, on a Manager that pauses jobs (Flamenco 3.6+)
// or not: pause a job queued or rendering, resume a paused one, requeue one that failed or was
// canceled, cancel any unfinished one that is not being canceled already.
func ActionsFor(status managerapi.JobStatus, canPause bool) []JobAction {
	var actions []JobAction
	switch status {
	case managerapi.JobActive, managerapi.JobQueued:
		if canPause {
			actions = append(actions, Pause)
		}
	case managerapi.JobPaused:
		actions = append(actions, Resume)
	case managerapi.JobFailed, managerapi.JobCanceled:
		actions = append(actions, Requeue)
	}
	switch status {
	case managerapi.JobActive, managerapi.JobQueued, managerapi.JobPaused, managerapi.JobPauseRequested,
		managerapi.JobRequeueing:
		actions = append(actions, Cancel)
	}
	return actions
}

// Allows says whether a job in status may take action a.
func Allows(status managerapi.JobStatus, canPause bool, a JobAction) bool {
	return slices.Contains(ActionsFor(status, canPause), a)
}
