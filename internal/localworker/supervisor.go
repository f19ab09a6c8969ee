package localworker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/hub"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// ErrAlreadyRunning: another process holds the lock of this Manager's Worker directory; two Workers
// would share one identity at the Manager.
var ErrAlreadyRunning = errors.New("a Worker for this Manager already runs here: run by another Flamenco Tray or `flamenco-tray worker`, or left running by one that ended")

// Timing holds the Supervisor's delays; zero fields take the defaults. Only tests set it: they run a
// real process, which a synctest bubble cannot hold, and cannot wait for these delays.
type Timing struct {
	// OfflineGrace (default 30 s) is how long a Worker asked to go offline now may take before it
	// is interrupted: an idle Worker only learns of the request when it next asks for work, every
	// 20 s ±10 %.
	OfflineGrace time.Duration
	// KillAfter (default 25 s) is how long an interrupted Worker may take before it is killed; it
	// forces its own exit after 20 s.
	KillAfter time.Duration
	// Poll (default 30 s) is how often the Manager is asked about the Worker while it runs (quicker
	// while it signs on): a fraction of what the Worker itself asks (every 3 to 20 s).
	Poll time.Duration
}

func (t Timing) withDefaults() Timing {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&t.OfflineGrace, 30*time.Second)
	set(&t.KillAfter, 25*time.Second)
	set(&t.Poll, 30*time.Second)
	return t
}

// A Worker that asked to restart is relaunched after restartDelay, doubled up to maxRestartDelay
// while it keeps asking within quickRun of its launch.
const (
	restartDelay    = time.Second
	maxRestartDelay = time.Minute
	quickRun        = time.Minute
)

// credentialsCheck is how often the Worker's directory is checked for its credentials until it has
// registered: a local file, so often enough to show the Worker's state at once.
const credentialsCheck = 250 * time.Millisecond

// Config says which Worker a Supervisor runs: named DefaultWorkerName, in DirName(ManagerURL) in the
// user's data directory, logging to flamenco-worker-<DirName>.log in DefaultLogDir, by the tray's log.
type Config struct {
	ManagerURL string             // required
	API        *managerapi.Client // required: the Manager's API, such as managerapi.NewClient(ManagerURL)
	// Binary is flamenco-worker's path from Settings or --worker-bin; "" looks on PATH, then beside
	// this program (FindBinary).
	Binary string
	Logger zerolog.Logger
	Timing Timing
}

// Supervisor runs the local Worker of one Manager: Start launches it and relaunches it when the
// Manager asks it to restart, Stop signs it off, State and Subscribe tell the menu how it is.
// Start again after it ended runs it again. Its methods are safe for concurrent use.
type Supervisor struct {
	cfg        Config
	dir        string // the Worker's working directory and FLAMENCO_HOME
	workerName string
	logPath    string
	logger     zerolog.Logger

	mu     sync.Mutex
	state  State
	run    *run            // the run in progress, nil between runs
	states *hub.Hub[State] // each change of state, published under mu so that the order holds
}

// run is one Start until the Worker has ended for good.
type run struct {
	bin      string
	log      *workerLog
	lock     *os.File // the directory's lock, held until the run ends (and by the Worker, see lockDir)
	stopping chan struct{}
	stopOnce sync.Once
	escalate chan escalation
	done     chan struct{}
	final    Exit   // set before done is closed
	workerID string // under Supervisor.mu
}

type escalation int

const (
	escalateAfterGrace escalation = iota // the Manager took "offline now": give the Worker time to see it
	escalateNow                          // the Manager did not take it: interrupt at once
)

func (r *run) markStopping() { r.stopOnce.Do(func() { close(r.stopping) }) }

func (r *run) isStopping() bool {
	select {
	case <-r.stopping:
		return true
	default:
		return false
	}
}

func (r *run) send(e escalation) {
	select {
	case r.escalate <- e:
	case <-r.done:
	}
}

// NewSupervisor checks cfg and fills in its defaults; nothing starts until Start.
func NewSupervisor(cfg Config) (*Supervisor, error) {
	if cfg.API == nil {
		return nil, errors.New("localworker: Config.API is required")
	}
	name, err := DirName(cfg.ManagerURL)
	if err != nil {
		return nil, err
	}
	home, _ := os.UserHomeDir()
	base, err := userDataDir(runtime.GOOS, os.Getenv, home)
	if err != nil {
		return nil, fmt.Errorf("where to keep the Worker's files: %w", err)
	}
	logDir, err := DefaultLogDir()
	if err != nil {
		return nil, fmt.Errorf("where to write the Worker's log: %w", err)
	}
	cfg.Timing = cfg.Timing.withDefaults()
	s := &Supervisor{
		cfg:        cfg,
		dir:        filepath.Join(base, appDirName, "workers", name),
		workerName: DefaultWorkerName(),
		logPath:    filepath.Join(logDir, "flamenco-worker-"+name+".log"),
		logger:     cfg.Logger.With().Str("component", "localworker").Str("manager", cfg.ManagerURL).Logger(),
	}
	s.state = State{Phase: NotRunning, ManagerURL: cfg.ManagerURL, WorkerName: s.workerName, Dir: s.dir, LogPath: s.logPath}
	s.states = hub.NewLatest(s.state, State.Equal)
	return s, nil
}

// State returns the local Worker's state now.
func (s *Supervisor) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Subscribe returns a channel holding the latest state (package hub's state stream); only cancel
// closes it, as the Supervisor can always be started again.
func (s *Supervisor) Subscribe() (states <-chan State, cancel func()) {
	return s.states.Subscribe()
}

// update changes the state and tells the subscribers when it changed.
func (s *Supervisor) update(change func(*State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changeLocked(change)
}

// changeLocked is update with s.mu held; the hub publishes only a state that differs.
func (s *Supervisor) changeLocked(change func(*State)) {
	change(&s.state)
	s.states.Publish(s.state)
}

// Done returns a channel closed when the current run has ended: the Worker's process is gone and
// will not be relaunched. Between runs it is closed already.
func (s *Supervisor) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return s.run.done
}

// Start launches the Worker and returns once its process runs, or with why it could not start. While
// ctx lasts the Worker is kept running; when ctx ends (the tray quits) it is interrupted at once, so
// it signs off, and killed KillAfter later if need be: wait on Done. Starting it again does nothing.
func (s *Supervisor) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.run != nil {
		s.mu.Unlock()
		return nil
	}
	r, err := s.prepare()
	if err != nil {
		s.changeLocked(func(st *State) { st.Phase, st.Problem = Error, err.Error() })
		s.mu.Unlock()
		return err
	}
	s.run = r
	r.workerID, _ = ReadWorkerID(s.dir) // from an earlier run; the poller reports a bad file
	s.changeLocked(func(st *State) {
		*st = State{Phase: Starting, Active: true, ManagerURL: s.cfg.ManagerURL, WorkerName: s.workerName,
			WorkerID: r.workerID, Binary: r.bin, Dir: s.dir, LogPath: s.logPath}
	})
	s.mu.Unlock()

	launched := make(chan error, 1)
	go s.supervise(ctx, r, launched)
	return <-launched
}

// prepare finds the binary, locks and writes the Worker's directory and opens its log; s.mu is held.
func (s *Supervisor) prepare() (*run, error) {
	bin, err := FindBinary(s.cfg.Binary)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the Worker's directory: %w", err)
	}
	lock, err := lockDir(filepath.Join(s.dir, ".flamenco-tray.lock"))
	if errors.Is(err, ErrAlreadyRunning) {
		return nil, fmt.Errorf("%w (from %s)", err, s.dir)
	}
	if err != nil {
		return nil, err
	}
	var log *workerLog
	if err = WriteConfig(s.dir, s.cfg.ManagerURL, s.workerName); err == nil {
		log, err = openWorkerLog(s.logPath, maxLogSize)
	}
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &run{bin: bin, log: log, lock: lock, stopping: make(chan struct{}),
		escalate: make(chan escalation, 4), done: make(chan struct{})}, nil
}

// Stop signs the Worker off through the Manager (afterThisTask: once its current task is done) and
// waits until its process has ended (the package doc says how it escalates); when ctx ends first, it
// returns ctx's error and the stop goes on. Asked to stop after its task, a Worker whose Manager does
// not take the request keeps running and Stop says why. It returns nil once the Worker signed off or
// if it was not running; an error when it ended otherwise (killed: the Manager lists it until it
// times out).
func (s *Supervisor) Stop(ctx context.Context, afterThisTask bool) error {
	s.mu.Lock()
	r := s.run
	var workerID string
	if r != nil {
		workerID = r.workerID
	}
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	if workerID == "" {
		// Not registered yet, so the Manager cannot be asked; nor does it have a task to finish.
		s.logger.Info().Msg("stopping the Worker, not registered yet: interrupting it")
		s.markStopping(r, false)
		r.send(escalateNow)
		return s.waitRun(ctx, r)
	}
	if afterThisTask {
		if err := s.cfg.API.SetWorkerStatus(ctx, workerID, managerapi.WorkerOffline, true); err != nil {
			s.logger.Warn().Err(err).Msg("the Manager did not take the request to stop the Worker after its task")
			return fmt.Errorf("cannot ask the Manager to stop the Worker after its task (%w); it keeps running", err)
		}
		s.logger.Info().Str("worker", workerID).Msg("asked the Manager to set the Worker offline after its task")
		s.markStopping(r, true)
		return s.waitRun(ctx, r)
	}
	s.markStopping(r, false)
	if err := s.cfg.API.SetWorkerStatus(ctx, workerID, managerapi.WorkerOffline, false); err != nil {
		s.logger.Warn().Err(err).Msg("the Manager did not take the request to set the Worker offline; interrupting it")
		r.send(escalateNow)
	} else {
		s.logger.Info().Str("worker", workerID).Msg("asked the Manager to set the Worker offline")
		r.send(escalateAfterGrace)
	}
	return s.waitRun(ctx, r)
}

func (s *Supervisor) markStopping(r *run, afterThisTask bool) {
	r.markStopping()
	s.update(func(st *State) {
		if st.Active {
			st.Phase, st.StopAfterTask = Stopping, afterThisTask
		}
	})
}

func (s *Supervisor) waitRun(ctx context.Context, r *run) error {
	select {
	case <-r.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if !r.final.CleanlyOffline() && r.final.Reason != ExitRestart {
		return fmt.Errorf("the Worker %s", r.final.Message)
	}
	return nil
}

// supervise launches the Worker and relaunches it while it exits asking to restart; it reports the
// first launch on launched.
func (s *Supervisor) supervise(ctx context.Context, r *run, launched chan<- error) {
	var final Exit
	defer func() {
		r.log.Note("supervision ended: %s", final.Message)
		r.log.Close()
		r.lock.Close()
		r.final = final
		// In one step, so that a Start right after finds both the run and its state ended.
		s.mu.Lock()
		s.run = nil
		s.changeLocked(func(st *State) { endState(st, final) })
		s.mu.Unlock()
		close(r.done)
	}()
	delay := restartDelay
	for attempt := 0; ; attempt++ {
		launchedAt := time.Now()
		final = s.launch(ctx, r, func(err error) {
			if attempt == 0 {
				launched <- err
			}
		})
		s.logger.Info().Str("reason", string(final.Reason)).Int("code", final.Code).Msg("the Worker ended: " + final.Message)
		if final.Reason != ExitRestart || r.isStopping() || ctx.Err() != nil {
			return
		}
		if time.Since(launchedAt) >= quickRun {
			delay = restartDelay
		}
		s.update(func(st *State) {
			exit := final
			st.Phase, st.LastExit, st.PID = Restarting, &exit, 0
			st.JobID, st.Job, st.Task = "", "", ""
		})
		r.log.Note("relaunching in %v, as the Manager asked it to restart", delay)
		select {
		case <-time.After(delay):
		case <-r.stopping:
			return
		case <-ctx.Done():
			return
		}
		delay = min(2*delay, maxRestartDelay)
	}
}

// endState is the state once a run has ended with final.
func endState(st *State, final Exit) {
	st.Active, st.PID, st.LastExit, st.StopAfterTask = false, 0, &final, false
	st.JobID, st.Job, st.Task = "", "", ""
	if final.CleanlyOffline() || final.Reason == ExitRestart {
		st.Phase, st.Problem = Offline, ""
	} else {
		st.Phase, st.Problem = Error, final.Message
	}
}

// SetAwake asks the Manager to wake the running Worker (awake) or to send it asleep; asleep and lazy,
// it finishes its current task first, otherwise the Manager requeues that task. The Worker's process
// keeps running either way, so the next wake starts rendering within seconds.
func (s *Supervisor) SetAwake(ctx context.Context, awake, lazy bool) error {
	s.mu.Lock()
	var workerID string
	if s.run != nil && !s.run.isStopping() {
		workerID = s.run.workerID
	}
	s.mu.Unlock()
	if workerID == "" { // not registered yet, or not running: the Manager cannot be asked
		return errors.New("the Worker is not registered with the Manager yet")
	}
	status := managerapi.WorkerAsleep
	if awake {
		status, lazy = managerapi.WorkerAwake, false
	}
	if err := s.cfg.API.SetWorkerStatus(ctx, workerID, status, lazy); err != nil {
		return fmt.Errorf("cannot ask the Manager to set the Worker %s: %w", status, err)
	}
	s.logger.Info().Str("worker", workerID).Str("status", string(status)).Bool("lazy", lazy).Msg("asked the Manager to change the Worker's status")
	return nil
}
