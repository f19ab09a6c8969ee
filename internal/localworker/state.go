package localworker

import (
	"fmt"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Phase is what the local Worker is doing, for the menu.
type Phase string

// The phases of a local Worker.
const (
	NotRunning Phase = "not running" // never started, or stopped
	Starting   Phase = "starting"    // launched, not (yet) signed on at the Manager
	Awake      Phase = "awake"       // signed on, waiting for work
	Busy       Phase = "busy"        // running a task (Job says of which job)
	Asleep     Phase = "asleep"      // the Manager put it to sleep
	Running    Phase = "running"     // its process runs; the Manager does not say how it is (Problem says why)
	Stopping   Phase = "stopping"    // asked to go offline (StopAfterTask: once its task is done)
	Restarting Phase = "restarting"  // the Manager asked it to restart; it is relaunched
	Offline    Phase = "offline"     // it signed off and ended
	Error      Phase = "error"       // it could not start, failed, or the Manager says it is in error
)

// State is the local Worker of one Manager as the menu shows it.
type State struct {
	Phase      Phase
	Active     bool // a run is on: its process runs, or is being relaunched; Stop applies
	ManagerURL string
	WorkerName string
	WorkerID   string // from its credentials, once it registered
	PID        int    // while its process runs
	Binary     string // the flamenco-worker it runs
	Dir        string // its working directory and FLAMENCO_HOME
	LogPath    string // its log

	JobID string // while busy
	Job   string // while busy: the job's name, or its id while the name is unknown
	Task  string // while busy: the task's name

	StopAfterTask bool   // Stopping lazily: after its current task
	LastExit      *Exit  // how its process last ended
	Problem       string // why Phase is Error or Running; "" otherwise
}

// Equal says whether two states are the same, LastExit by what it points to (a pointer field added
// must be compared here too): a state equal to the last one is not news to subscribers.
func (s State) Equal(o State) bool {
	a, b := s, o
	a.LastExit, b.LastExit = nil, nil
	if s.LastExit == nil || o.LastExit == nil {
		return a == b && s.LastExit == o.LastExit
	}
	return a == b && *s.LastExit == *o.LastExit
}

// Summary says what the Worker does in a few words: "awake", "busy on "shot-010"".
func (s State) Summary() string {
	switch s.Phase {
	case Busy:
		if s.Job != "" {
			return fmt.Sprintf("busy on %q", s.Job)
		}
		return "busy"
	case Stopping:
		if s.StopAfterTask {
			return "stopping after this task"
		}
		return "stopping"
	case Running:
		return "running (status unknown)"
	case Error:
		if s.Problem != "" {
			return "error: " + s.Problem
		}
		return "error"
	}
	return string(s.Phase)
}

// observation is what the status poller learnt from the Manager.
type observation struct {
	worker  *managerapi.Worker // nil when the Manager did not answer
	err     error
	jobName string // of the worker's active task's job, when known
}

// phaseOf is the phase of a registered Worker whose process runs, from what the Manager said of it.
func phaseOf(obs observation) (Phase, string) {
	if obs.worker == nil {
		return Running, "the Manager does not answer: " + obs.err.Error()
	}
	switch w := obs.worker; w.Status {
	case managerapi.WorkerAwake:
		if activeTask(w) != nil {
			return Busy, ""
		}
		return Awake, ""
	case managerapi.WorkerAsleep:
		return Asleep, ""
	case managerapi.WorkerRestart:
		return Restarting, ""
	case managerapi.WorkerError:
		return Error, "the Manager reports the Worker in error"
	case managerapi.WorkerStarting, managerapi.WorkerOffline:
		// Offline while its process runs: it has not signed on (yet), or the Manager is unreachable
		// from it; it keeps trying.
		return Starting, ""
	case managerapi.WorkerTesting:
		return Awake, ""
	default:
		return Running, fmt.Sprintf("the Manager reports an unknown status %q", w.Status)
	}
}

// activeTask is the Worker's task if it is running one: the Manager keeps the last task, finished,
// in the answer (see worker-busy.txt: "status":"completed" while the Worker waits for the next).
func activeTask(w *managerapi.Worker) *managerapi.WorkerTask {
	if w.Task != nil && w.Task.Status == "active" {
		return w.Task
	}
	return nil
}
