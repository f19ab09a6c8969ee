package farm

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func workersIn(statuses ...managerapi.WorkerStatus) []managerapi.Worker {
	var list []managerapi.Worker
	for _, s := range statuses {
		list = append(list, managerapi.Worker{Status: s})
	}
	return list
}

// The cases of Flamenco 3.5's own tests of its farm status, and the edges between them.
func TestComputeFarmStateFollowsFlamenco35(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		workers []managerapi.Worker
		jobs    map[managerapi.JobStatus]int
		want    managerapi.FarmState
	}{
		{"no workers", nil, map[managerapi.JobStatus]int{managerapi.JobQueued: 3}, managerapi.FarmInoperative},
		{"all offline", workersIn(managerapi.WorkerOffline, managerapi.WorkerOffline, managerapi.WorkerOffline), nil, managerapi.FarmInoperative},
		{"offline and error", workersIn(managerapi.WorkerOffline, managerapi.WorkerOffline, managerapi.WorkerError), map[managerapi.JobStatus]int{managerapi.JobActive: 1}, managerapi.FarmInoperative},
		{"active job, awake worker", workersIn(managerapi.WorkerOffline, managerapi.WorkerAsleep, managerapi.WorkerError, managerapi.WorkerAwake), map[managerapi.JobStatus]int{managerapi.JobActive: 1}, managerapi.FarmActive},
		{"active job, only sleeping workers", workersIn(managerapi.WorkerAsleep), map[managerapi.JobStatus]int{managerapi.JobActive: 1}, managerapi.FarmWaiting},
		{"queued job, awake worker", workersIn(managerapi.WorkerAsleep, managerapi.WorkerAwake), map[managerapi.JobStatus]int{managerapi.JobQueued: 1}, managerapi.FarmWaiting},
		{"no work, all asleep", workersIn(managerapi.WorkerAsleep, managerapi.WorkerOffline), map[managerapi.JobStatus]int{managerapi.JobCompleted: 9}, managerapi.FarmAsleep},
		{"no work, one asleep one starting", workersIn(managerapi.WorkerAsleep, managerapi.WorkerStarting), nil, managerapi.FarmAsleep},
		{"no work, one awake", workersIn(managerapi.WorkerAwake, managerapi.WorkerAsleep), map[managerapi.JobStatus]int{managerapi.JobPaused: 2, managerapi.JobFailed: 1}, managerapi.FarmIdle},
		{"no work, only starting", workersIn(managerapi.WorkerStarting), nil, managerapi.FarmIdle},
		{"zero counts are no work", workersIn(managerapi.WorkerAwake), map[managerapi.JobStatus]int{managerapi.JobActive: 0, managerapi.JobQueued: 0}, managerapi.FarmIdle},
	} {
		if got := ComputeFarmState(tc.workers, tc.jobs); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
