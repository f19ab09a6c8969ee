package localworker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// captured reads a real Manager's answer about one Worker from internal/farm's testdata.
func captured(t *testing.T, name string) managerapi.Worker {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "farm", "testdata", "flamenco-api", name))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var w managerapi.Worker
	var list struct{ Workers []managerapi.Worker }
	if json.Unmarshal(body, &list) == nil && len(list.Workers) == 1 {
		return list.Workers[0]
	}
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestPhaseOfCapturedWorkers(t *testing.T) {
	t.Parallel()
	// worker-busy.txt: awake, its last task completed: awake, not busy.
	busyCapture := captured(t, "worker-busy.txt")
	if phase, _ := phaseOf(observation{worker: &busyCapture}); phase != Awake {
		t.Errorf("worker-busy.txt (task completed): %s, want awake", phase)
	}
	active := busyCapture
	task := *active.Task
	task.Status = "active"
	active.Task = &task
	if phase, _ := phaseOf(observation{worker: &active}); phase != Busy {
		t.Errorf("an active task: %s, want busy", phase)
	}
	for file, want := range map[string]Phase{"workers-awake.txt": Awake, "workers-asleep.txt": Asleep, "workers-offline.txt": Starting} {
		w := captured(t, file)
		if phase, _ := phaseOf(observation{worker: &w}); phase != want {
			t.Errorf("%s: %s, want %s", file, phase, want)
		}
	}
	if phase, problem := phaseOf(observation{err: errors.New("timeout")}); phase != Running || problem == "" {
		t.Errorf("the Manager not answering: %s %q", phase, problem)
	}
	errored := managerapi.Worker{ID: "id", Status: managerapi.WorkerError}
	if phase, problem := phaseOf(observation{worker: &errored}); phase != Error || problem == "" {
		t.Errorf("in error: %s %q", phase, problem)
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		state State
		want  string
	}{
		{State{Phase: NotRunning}, "not running"},
		{State{Phase: Awake}, "awake"},
		{State{Phase: Asleep}, "asleep"},
		{State{Phase: Busy, Job: "shot-010 lighting"}, `busy on "shot-010 lighting"`},
		{State{Phase: Busy}, "busy"},
		{State{Phase: Stopping, StopAfterTask: true}, "stopping after this task"},
		{State{Phase: Stopping}, "stopping"},
		{State{Phase: Error, Problem: "flamenco-worker not found"}, "error: flamenco-worker not found"},
		{State{Phase: Running}, "running (status unknown)"},
		{State{Phase: Offline}, "offline"},
	} {
		if got := tc.state.Summary(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.state, got, tc.want)
		}
	}
}

// Subscribers hear of a state only when it differs; what LastExit points to counts, not where.
func TestStateEqualComparesWhatPointersPointTo(t *testing.T) {
	t.Parallel()
	exit := func(reason ExitReason) *Exit { return &Exit{Reason: reason, Code: 0, Message: "m"} }
	base := State{Phase: Offline, WorkerID: "w1", LastExit: exit(ExitOffline)}
	for _, tc := range []struct {
		name  string
		other State
		equal bool
	}{
		{"same values in other pointers", State{Phase: Offline, WorkerID: "w1", LastExit: exit(ExitOffline)}, true},
		{"another phase", State{Phase: Error, WorkerID: "w1", LastExit: exit(ExitOffline)}, false},
		{"another exit", State{Phase: Offline, WorkerID: "w1", LastExit: exit(ExitKilled)}, false},
		{"no exit", State{Phase: Offline, WorkerID: "w1"}, false},
	} {
		if got := base.Equal(tc.other); got != tc.equal {
			t.Errorf("%s: Equal %v, want %v", tc.name, got, tc.equal)
		}
		if got := tc.other.Equal(base); got != tc.equal {
			t.Errorf("%s, the other way: Equal %v, want %v", tc.name, got, tc.equal)
		}
	}
	if none := (State{Phase: Offline}); !none.Equal(none) {
		t.Error("two states without an exit differ")
	}
}
