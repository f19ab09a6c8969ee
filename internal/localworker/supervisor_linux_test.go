//go:build linux

package localworker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	ws "github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

// fastTiming keeps the supervisor's own delays short; the stand-in Worker's are set by ws.Poll.
var fastTiming = localworker.Timing{
	OfflineGrace: 10 * time.Second, // long enough never to pass before a polling stand-in notices
	KillAfter:    10 * time.Second,
	Poll:         100 * time.Millisecond,
}

type fixture struct {
	mgr *farmstandin.Server
	api *managerapi.Client
	sup *localworker.Supervisor
	dir string
}

type fixtureOption func(*localworker.Config)

func withTiming(t localworker.Timing) fixtureOption {
	return func(c *localworker.Config) { c.Timing = t }
}

func withAPITimeout(d time.Duration) fixtureOption {
	return func(c *localworker.Config) { c.API = managerapi.NewClient(c.ManagerURL, managerapi.WithTimeout(d)) }
}

// newFixture makes a stand-in Manager and a Supervisor of a stand-in Worker with workerOpts.
func newFixture(t *testing.T, workerOpts []ws.Option, opts ...fixtureOption) *fixture {
	t.Helper()
	mgr := ws.NewManager(t)
	return newFixtureFor(t, mgr, workerOpts, opts...)
}

// userDirs points the user's data and cache directories, where a Supervisor keeps its Worker's
// directory and log, at directories of the test's.
func userDirs(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

func newFixtureFor(t *testing.T, mgr *farmstandin.Server, workerOpts []ws.Option, opts ...fixtureOption) *fixture {
	t.Helper()
	userDirs(t)
	bin := ws.Install(t, t.TempDir(), workerOpts...)
	api := managerapi.NewClient(mgr.URL, managerapi.WithTimeout(5*time.Second))
	cfg := localworker.Config{
		ManagerURL: mgr.URL, API: api, Binary: bin,
		Logger: zerolog.New(zerolog.NewTestWriter(t)), Timing: fastTiming,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	sup, err := localworker.NewSupervisor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{mgr: mgr, api: api, sup: sup, dir: sup.State().Dir}
	t.Cleanup(func() {
		// Whatever the test did, no Worker outlives it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sup.Stop(ctx, false); err != nil && !strings.Contains(err.Error(), "killed") {
			t.Logf("cleanup stop: %v", err)
		}
		<-sup.Done()
	})
	return f
}

func (f *fixture) start(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := f.sup.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// waitState waits until the Supervisor's state satisfies ok, and returns that state.
func waitState(t *testing.T, sup *localworker.Supervisor, within time.Duration, what string, ok func(localworker.State) bool) localworker.State {
	t.Helper()
	states, cancel := sup.Subscribe()
	defer cancel()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	var last localworker.State
	for {
		select {
		case last = <-states:
			if ok(last) {
				return last
			}
		case <-deadline.C:
			t.Fatalf("state not %s within %v; last: %+v", what, within, last)
		}
	}
}

func waitDone(t *testing.T, sup *localworker.Supervisor, within time.Duration) localworker.State {
	t.Helper()
	select {
	case <-sup.Done():
	case <-time.After(within):
		t.Fatalf("the Worker still runs after %v: %+v", within, sup.State())
	}
	return sup.State()
}

func awake(s localworker.State) bool { return s.Phase == localworker.Awake && s.WorkerID != "" }

// trayWorkerName is the name the Worker has at the Manager: this computer's, marked as the tray's.
func trayWorkerName(t *testing.T) string {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return host + "-tray"
}

func TestStartRegistersWorkerAndShowsItAwake(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	state := waitState(t, f.sup, 20*time.Second, "awake", awake)
	name := trayWorkerName(t)

	events := f.mgr.Events()
	if farmstandin.Count(events, "register", "") != 1 || !farmstandin.Has(events, "sign-on", state.WorkerID, name) ||
		!farmstandin.Has(events, "state-changed", state.WorkerID, "awake") {
		t.Errorf("the Manager saw %v; want one register, then sign-on and awake of %s", events, state.WorkerID)
	}
	id, err := localworker.ReadWorkerID(f.dir)
	if err != nil || id != state.WorkerID {
		t.Errorf("credentials in %s: id %q (%v), state says %q", f.dir, id, err, state.WorkerID)
	}
	cfg, err := localworker.ReadConfig(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg["manager_url"] != f.mgr.URL || cfg["worker_name"] != name || cfg["restart_exit_code"] != localworker.DefaultRestartExitCode {
		t.Errorf("flamenco-worker.yaml: %v", cfg)
	}
	if dataDir := filepath.Join(os.Getenv("XDG_DATA_HOME"), "flamenco-tray", "workers"); filepath.Dir(f.dir) != dataDir {
		t.Errorf("the Worker's directory %s is not in %s", f.dir, dataDir)
	}
	if logDir := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "flamenco-tray"); filepath.Dir(state.LogPath) != logDir {
		t.Errorf("the Worker's log %s is not in %s, beside the tray's", state.LogPath, logDir)
	}
	if state.PID == 0 || !state.Active || state.Dir != f.dir || state.WorkerName != name {
		t.Errorf("state: %+v", state)
	}
	// The Worker's log: its own lines, without its colour codes, and this program's notes.
	data, err := os.ReadFile(f.sup.State().LogPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	for _, want := range []string{"registered at Manager", "Saved configuration file", "Flamenco Tray: started"} {
		if !strings.Contains(log, want) {
			t.Errorf("the Worker's log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "\x1b[") {
		t.Errorf("the Worker's log keeps colour codes:\n%q", log)
	}
}

func TestManagerSettingWorkerOfflineEndsItWithoutRelaunch(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID

	// As from the web UI: the Manager sets the Worker offline.
	if err := f.api.SetWorkerStatus(context.Background(), id, managerapi.WorkerOffline, false); err != nil {
		t.Fatal(err)
	}
	state := waitDone(t, f.sup, 20*time.Second)
	if state.Phase != localworker.Offline || state.LastExit == nil || state.LastExit.Reason != localworker.ExitOffline || state.LastExit.Code != 0 {
		t.Fatalf("after the Manager set it offline: %+v (exit %+v)", state, state.LastExit)
	}
	events := f.mgr.Events()
	if n := farmstandin.Count(events, "sign-on", id); n != 1 {
		t.Errorf("signed on %d times, want once (no relaunch): %v", n, events)
	}
	if status := f.mgr.WorkerStatus(id); status != "offline" {
		requested, _, _ := f.mgr.RequestedStatus(id)
		t.Errorf("the Manager has it %s (requested %q)", status, requested)
	}
}

func TestRestartExitCodeRelaunchesWorker(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID

	if err := f.api.SetWorkerStatus(context.Background(), id, managerapi.WorkerRestart, false); err != nil {
		t.Fatal(err)
	}
	f.mgr.WaitFor(t, 20*time.Second, "a second sign-on", func(events []farmstandin.Event) bool {
		return farmstandin.Count(events, "sign-on", id) == 2
	})
	state := waitState(t, f.sup, 20*time.Second, "awake after the restart", func(s localworker.State) bool {
		return awake(s) && s.LastExit != nil
	})
	if state.LastExit == nil || state.LastExit.Reason != localworker.ExitRestart || state.LastExit.Code != localworker.DefaultRestartExitCode {
		t.Errorf("last exit: %+v", state.LastExit)
	}
	if state.WorkerID != id || farmstandin.Count(f.mgr.Events(), "register", "") != 1 {
		t.Errorf("relaunched as %s, registered %d times; want the same Worker %s", state.WorkerID,
			farmstandin.Count(f.mgr.Events(), "register", ""), id)
	}
	if n := farmstandin.Count(f.mgr.Events(), "sign-on", id); n != 2 {
		t.Errorf("signed on %d times, want twice: relaunched once", n)
	}
}

func TestStopSetsWorkerOfflineThroughAPI(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID

	if err := f.sup.Stop(context.Background(), false); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	state := f.sup.State()
	if state.Phase != localworker.Offline || state.LastExit.Reason != localworker.ExitOffline || state.Active {
		t.Errorf("after Stop: %+v, exit %+v", state, state.LastExit)
	}
	if got := f.mgr.EventsOf(id); !slices.Contains(got, "setstatus:offline") || !slices.Contains(got, "sign-off:") {
		t.Errorf("the Manager saw %v; want setstatus offline then sign-off", got)
	}
	if status := f.mgr.WorkerStatus(id); status != "offline" {
		t.Errorf("the Manager has it %s", status)
	}
}

func TestBusyWorkerShowsItsJobAndStopsNow(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID
	jobID, _ := f.mgr.QueueTask("shot-010 lighting", 3600)

	state := waitState(t, f.sup, 20*time.Second, "busy", func(s localworker.State) bool { return s.Phase == localworker.Busy && s.Job != s.JobID })
	if state.Job != "shot-010 lighting" || state.JobID != jobID || state.Task != "sleep" {
		t.Errorf("busy state: %+v", state)
	}
	if summary := state.Summary(); summary != `busy on "shot-010 lighting"` {
		t.Errorf("summary %q", summary)
	}
	// Stop now: the Worker gives up its task (the Manager requeues it) and signs off.
	if err := f.sup.Stop(context.Background(), false); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got := f.mgr.EventsOf(id); slices.Contains(got, "task-update:completed") || !slices.Contains(got, "sign-off:") {
		t.Errorf("the Manager saw %v; want the task left unfinished and a sign-off", got)
	}
	if exit := f.sup.State().LastExit; exit.Reason != localworker.ExitOffline {
		t.Errorf("exit %+v", exit)
	}
}

func TestStopAfterThisTaskLetsTaskFinish(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID
	f.mgr.QueueTask("shot-020 comp", 2)
	f.mgr.WaitFor(t, 20*time.Second, "the task handed out", func(events []farmstandin.Event) bool {
		return farmstandin.Has(events, "task-assigned", id, "")
	})

	if err := f.sup.Stop(context.Background(), true); err != nil {
		t.Fatalf("Stop after this task: %v", err)
	}
	got := f.mgr.EventsOf(id)
	order := func(event string) int { return slices.Index(got, event) }
	if lazy, done, off := order("setstatus:offline lazy"), order("task-update:completed"), order("sign-off:"); lazy < 0 || done < lazy || off < done {
		t.Errorf("the Manager saw %v; want the lazy request, then the task completed, then the sign-off", got)
	}
	if exit := f.sup.State().LastExit; exit.Reason != localworker.ExitOffline {
		t.Errorf("exit %+v", exit)
	}
}

func TestStopInterruptsWorkerWhenAPIDoesNotTakeRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode farmstandin.Mode
	}{{"500", farmstandin.Failing}, {"no answer", farmstandin.Slow}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)}, withAPITimeout(500*time.Millisecond))
			f.start(t, context.Background())
			id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID
			f.mgr.SetStatusAnswers(tc.mode)

			if err := f.sup.Stop(context.Background(), false); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			exit := f.sup.State().LastExit
			if exit.Reason != localworker.ExitSignedOff || exit.Code != 1 {
				t.Errorf("exit %+v, want signed off after the interrupt (code 1)", exit)
			}
			if got := f.mgr.EventsOf(id); !slices.Contains(got, "sign-off:") || slices.Contains(got, "setstatus:offline") {
				t.Errorf("the Manager saw %v; want a sign-off, no setstatus", got)
			}
		})
	}
}

func TestStopAfterThisTaskKeepsWorkerWhenAPIFails(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	f.start(t, context.Background())
	waitState(t, f.sup, 20*time.Second, "awake", awake)
	f.mgr.SetStatusAnswers(farmstandin.Failing)

	err := f.sup.Stop(context.Background(), true)
	if err == nil || !strings.Contains(err.Error(), "keeps running") {
		t.Fatalf("Stop after this task with the API failing: %v", err)
	}
	if state := f.sup.State(); !state.Active || state.Phase == localworker.Stopping {
		t.Errorf("after the failed request: %+v", state)
	}
}

func TestStopInterruptsWorkerThatDoesNotGoOfflineInTime(t *testing.T) {
	timing := fastTiming
	timing.OfflineGrace = 300 * time.Millisecond
	// A Worker that does not ask for work again within the test: it never learns of the request.
	f := newFixture(t, []ws.Option{ws.Poll(time.Hour)}, withTiming(timing))
	f.start(t, context.Background())
	f.mgr.WaitFor(t, 20*time.Second, "the Worker awake", func(events []farmstandin.Event) bool {
		return farmstandin.Has(events, "state-changed", "", "awake")
	})
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID

	if err := f.sup.Stop(context.Background(), false); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if exit := f.sup.State().LastExit; exit.Reason != localworker.ExitSignedOff {
		t.Errorf("exit %+v, want signed off after the interrupt", exit)
	}
	if got := f.mgr.EventsOf(id); !slices.Contains(got, "setstatus:offline") || !slices.Contains(got, "sign-off:") {
		t.Errorf("the Manager saw %v", got)
	}
}

func TestStopKillsWorkerThatIgnoresInterrupt(t *testing.T) {
	timing := fastTiming
	timing.KillAfter = 500 * time.Millisecond
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond), ws.IgnoreInterrupt()}, withTiming(timing))
	f.start(t, context.Background())
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID
	f.mgr.SetStatusAnswers(farmstandin.Failing)

	err := f.sup.Stop(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop: %v, want an error saying it was killed", err)
	}
	state := f.sup.State()
	if state.Phase != localworker.Error || state.LastExit.Reason != localworker.ExitKilled || state.PID != 0 {
		t.Errorf("after the kill: %+v, exit %+v", state, state.LastExit)
	}
	if got := f.mgr.EventsOf(id); slices.Contains(got, "sign-off:") {
		t.Errorf("a killed Worker signed off: %v", got)
	}
	log, _ := os.ReadFile(f.sup.State().LogPath)
	if !strings.Contains(string(log), "ignoring it") || !strings.Contains(string(log), "killing the Worker") {
		t.Errorf("the log does not tell the story:\n%s", log)
	}
}

func TestWorkerForcingItsShutdownIsReported(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond), ws.SlowSignOff(time.Hour), ws.ShutdownLimit(200 * time.Millisecond)})
	f.start(t, context.Background())
	waitState(t, f.sup, 20*time.Second, "awake", awake)
	f.mgr.SetStatusAnswers(farmstandin.Failing)

	if err := f.sup.Stop(context.Background(), false); err == nil {
		t.Fatal("Stop: no error for a Worker that did not sign off")
	}
	if exit := f.sup.State().LastExit; exit.Reason != localworker.ExitForced || exit.Code != 254 {
		t.Errorf("exit %+v, want forced (254)", exit)
	}
}

func TestOwnerLeavingInterruptsWorker(t *testing.T) {
	f := newFixture(t, []ws.Option{ws.Poll(50 * time.Millisecond)})
	ctx, cancel := context.WithCancel(context.Background())
	f.start(t, ctx)
	id := waitState(t, f.sup, 20*time.Second, "awake", awake).WorkerID

	cancel() // the tray quits
	state := waitDone(t, f.sup, 20*time.Second)
	if state.LastExit.Reason != localworker.ExitSignedOff || state.Phase != localworker.Offline {
		t.Errorf("after quitting: %+v, exit %+v", state, state.LastExit)
	}
	if got := f.mgr.EventsOf(id); !slices.Contains(got, "sign-off:") {
		t.Errorf("the Manager saw %v; want a sign-off", got)
	}
}

func TestWorkerThatCannotRegisterIsAnError(t *testing.T) {
	mgr := ws.NewManager(t)
	f := newFixtureFor(t, mgr, nil, func(c *localworker.Config) {
		// Nothing listens there: the Worker cannot register, and exits 1 as the real one does.
		c.ManagerURL = "http://127.0.0.1:1/"
		c.API = managerapi.NewClient(c.ManagerURL)
	})
	f.start(t, context.Background())
	state := waitDone(t, f.sup, 30*time.Second)
	if state.Phase != localworker.Error || state.LastExit.Reason != localworker.ExitFailed || !strings.Contains(state.Problem, "see its log") {
		t.Errorf("state %+v, exit %+v", state, state.LastExit)
	}
}

func TestMissingBinaryIsClearError(t *testing.T) {
	userDirs(t)
	mgr := ws.NewManager(t)
	sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: mgr.URL, API: managerapi.NewClient(mgr.URL),
		Binary: filepath.Join(t.TempDir(), "flamenco-worker")})
	if err != nil {
		t.Fatal(err)
	}
	err = sup.Start(context.Background())
	if !errors.Is(err, localworker.ErrBinaryNotFound) {
		t.Fatalf("Start: %v, want ErrBinaryNotFound", err)
	}
	if state := sup.State(); state.Phase != localworker.Error || state.Active || !strings.Contains(state.Problem, "flamenco-worker not found") {
		t.Errorf("state %+v", state)
	}
	if len(mgr.Events()) != 0 {
		t.Errorf("the Manager saw %v", mgr.Events())
	}
}

func TestTwoManagersGetTwoDirectoriesAndCredentials(t *testing.T) {
	userDirs(t)
	first, second := ws.NewManager(t), ws.NewManager(t)
	bin := ws.Install(t, t.TempDir(), ws.Poll(50*time.Millisecond))
	newSup := func(mgr *farmstandin.Server) *localworker.Supervisor {
		sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: mgr.URL, API: managerapi.NewClient(mgr.URL),
			Binary: bin, Logger: zerolog.New(zerolog.NewTestWriter(t)), Timing: fastTiming})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sup.Stop(context.Background(), false) })
		return sup
	}
	a, b := newSup(first), newSup(second)
	dirA, dirB := a.State().Dir, b.State().Dir
	if dirA == dirB || filepath.Dir(dirA) != filepath.Join(os.Getenv("XDG_DATA_HOME"), "flamenco-tray", "workers") {
		t.Fatalf("directories %s and %s", dirA, dirB)
	}
	for _, sup := range []*localworker.Supervisor{a, b} {
		if err := sup.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	idA := waitState(t, a, 20*time.Second, "awake", awake).WorkerID
	idB := waitState(t, b, 20*time.Second, "awake", awake).WorkerID
	if idA == idB || !farmstandin.Has(first.Events(), "register", idA, "") || !farmstandin.Has(second.Events(), "register", idB, "") {
		t.Errorf("Worker %s at the first Manager (%v), %s at the second (%v)", idA, first.Events(), idB, second.Events())
	}
	for sup, want := range map[*localworker.Supervisor]string{a: idA, b: idB} {
		if id, err := localworker.ReadWorkerID(sup.State().Dir); id != want || err != nil {
			t.Errorf("credentials in %s: %q %v, want %s", sup.State().Dir, id, err, want)
		}
	}

	// A second supervisor of the first Manager's Worker (a second tray) is refused.
	again := newSup(first)
	if err := again.Start(context.Background()); !errors.Is(err, localworker.ErrAlreadyRunning) {
		t.Errorf("second Start for one Manager: %v, want ErrAlreadyRunning", err)
	}

	// The Worker's process holds the directory's lock itself, so a Worker that outlives its tray
	// (macOS and Windows have no parent-death signal) still keeps a second one out.
	lockPath := filepath.Join(dirA, ".flamenco-tray.lock")
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", a.State().PID))
	if err != nil {
		t.Fatal(err)
	}
	holds := false
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", a.State().PID, fd.Name())); err == nil && target == lockPath {
			holds = true
		}
	}
	if !holds {
		t.Errorf("the Worker (pid %d) does not hold %s", a.State().PID, lockPath)
	}
}

func TestStopWhenNotRunningDoesNothing(t *testing.T) {
	userDirs(t)
	mgr := ws.NewManager(t)
	sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: mgr.URL, API: managerapi.NewClient(mgr.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Stop(context.Background(), false); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if state := sup.State(); state.Phase != localworker.NotRunning || state.Active {
		t.Errorf("state %+v", state)
	}
}
