package farm

// ComputeFarmState is the farm state by Flamenco 3.5's rules, for Managers without GET /api/v3/status:
// no Workers, or all offline or in error → inoperative; an active job and an awake Worker → active;
// an active or queued job → waiting (work, but no Worker awake to do it); no Worker awake and one
// asleep → asleep; else idle.
func ComputeFarmState(workers []Worker, jobs JobCounts) FarmState {
	operative, awake, asleep := false, false, false
	for _, w := range workers {
		operative = operative || (w.Status != WorkerOffline && w.Status != WorkerError)
		awake = awake || w.Status == WorkerAwake
		asleep = asleep || w.Status == WorkerAsleep
	}
	if !operative {
		return FarmInoperative
	}
	active, queued := jobs[JobActive] > 0, jobs[JobQueued] > 0
	switch {
	case active && awake:
		return FarmActive
	case active || queued:
		return FarmWaiting
	case !awake && asleep:
		return FarmAsleep
	}
	return FarmIdle
}
