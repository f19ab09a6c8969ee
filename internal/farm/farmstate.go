package farm

import "github.com/flamenco-tray/flamenco-tray/internal/managerapi"

// ComputeFarmState is the farm state by Flamenco 3.5's rules, for Managers without GET /api/v3/status:
// no Workers, or all offline or in error → inoperative; an active job and an awake Worker → active;
// an active or queued job → waiting (work, but no Worker awake to do it); no Worker awake and one
// asleep → asleep; else idle.
func ComputeFarmState(workers []managerapi.Worker, jobs map[managerapi.JobStatus]int) managerapi.FarmState {
	operative, awake, asleep := false, false, false
	for _, w := range workers {
		operative = operative || (w.Status != managerapi.WorkerOffline && w.Status != managerapi.WorkerError)
		awake = awake || w.Status == managerapi.WorkerAwake
		asleep = asleep || w.Status == managerapi.WorkerAsleep
	}
	if !operative {
		return managerapi.FarmInoperative
	}
	active, queued := jobs[managerapi.JobActive] > 0, jobs[managerapi.JobQueued] > 0
	switch {
	case active && awake:
		return managerapi.FarmActive
	case active || queued:
		return managerapi.FarmWaiting
	case !awake && asleep:
		return managerapi.FarmAsleep
	}
	return managerapi.FarmIdle
}
