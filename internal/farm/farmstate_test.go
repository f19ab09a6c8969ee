package farm

import "testing"

func workersIn(statuses ...WorkerStatus) []Worker {
	var list []Worker
	for _, s := range statuses {
		list = append(list, Worker{Status: s})
	}
	return list
}

// The cases of Flamenco 3.5's own tests of its farm status, and the edges between them.
func TestComputeFarmStateFollowsFlamenco35(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		workers []Worker
		jobs    JobCounts
		want    FarmState
	}{
		{"no workers", nil, JobCounts{JobQueued: 3}, FarmInoperative},
		{"all offline", workersIn(WorkerOffline, WorkerOffline, WorkerOffline), nil, FarmInoperative},
		{"offline and error", workersIn(WorkerOffline, WorkerOffline, WorkerError), JobCounts{JobActive: 1}, FarmInoperative},
		{"active job, awake worker", workersIn(WorkerOffline, WorkerAsleep, WorkerError, WorkerAwake), JobCounts{JobActive: 1}, FarmActive},
		{"active job, only sleeping workers", workersIn(WorkerAsleep), JobCounts{JobActive: 1}, FarmWaiting},
		{"queued job, awake worker", workersIn(WorkerAsleep, WorkerAwake), JobCounts{JobQueued: 1}, FarmWaiting},
		{"no work, all asleep", workersIn(WorkerAsleep, WorkerOffline), JobCounts{JobCompleted: 9}, FarmAsleep},
		{"no work, one asleep one starting", workersIn(WorkerAsleep, WorkerStarting), nil, FarmAsleep},
		{"no work, one awake", workersIn(WorkerAwake, WorkerAsleep), JobCounts{JobPaused: 2, JobFailed: 1}, FarmIdle},
		{"no work, only starting", workersIn(WorkerStarting), nil, FarmIdle},
		{"zero counts are no work", workersIn(WorkerAwake), JobCounts{JobActive: 0, JobQueued: 0}, FarmIdle},
	} {
		if got := ComputeFarmState(tc.workers, tc.jobs); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
