package lending_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/idle"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

func TestMain(m *testing.M) {
	workerstandin.MaybeRun()
	m.Run()
}

// awayAfter is the policy of the end-to-end test: the shortest the policy allows.
const awayAfter = lending.MinAwayAfter

// The whole chain on real parts: the X server's idle time (Xvfb's MIT-SCREEN-SAVER, read by
// internal/idle), a stand-in Manager over HTTP, a stand-in Worker process under the real
// Supervisor. The user is away: the Worker starts and takes a job's task. The user touches the
// mouse (XTEST): within a second the Manager is asked to send the Worker asleep, the task goes back
// to the queue, the job does not fail. Away again: the sleeping Worker is woken, not restarted.
//
// Only the wait is shortened: the X server's idle time is read shifted by awayAfter less 2 s, so
// that 4 s without input count as the policy's minute; input resets it as for real.
func TestLendingEndToEnd(t *testing.T) {
	session := trayhost.StartSession(t)
	t.Setenv("DISPLAY", session.Display)
	t.Setenv("WAYLAND_DISPLAY", "")
	source, err := idle.Open(t.Context())
	if err != nil {
		t.Fatalf("idle on Xvfb: %v", err)
	}
	defer source.Close()
	if !strings.Contains(source.Name(), "X11") {
		t.Fatalf("idle read from %q, want the X server", source.Name())
	}

	mgr := workerstandin.NewManager(t, farmstandin.WithVersion("3.8.5"))
	bin := workerstandin.Install(t, t.TempDir(), workerstandin.Poll(50*time.Millisecond))
	// Where the Supervisor keeps the Worker's directory and its log.
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: mgr.URL, API: managerapi.NewClient(mgr.URL),
		Binary: bin,
		// The Supervisor asks the Manager about its Worker every 30 s by default: the test's waits for
		// "busy" would race that poll.
		Timing: localworker.Timing{Poll: 100 * time.Millisecond},
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var told []lending.Tally
	workerLife, endWorker := context.WithCancel(context.Background())
	lender := lending.NewLender(lending.Config{
		Worker: sup,
		ReadIdle: func(ctx context.Context) (time.Duration, bool, error) {
			r, err := source.Read(ctx)
			return r.Idle + awayAfter - 4*time.Second, r.Locked, err
		},
		Policy:         lending.Policy{Enabled: true, AwayAfter: awayAfter, WhenBack: lending.StopNow},
		WorkerLifetime: workerLife,
		Logger:         zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
		OnBack:         func(tl lending.Tally) { mu.Lock(); told = append(told, tl); mu.Unlock() },
	})
	lenderCtx, stopLending := context.WithCancel(context.Background())
	var running sync.WaitGroup
	running.Go(func() { lender.Run(lenderCtx) })
	t.Cleanup(func() {
		stopLending()
		running.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sup.Stop(ctx, false)
		endWorker()
		<-sup.Done()
	})

	input := xInput(t, session.Display)
	waitState := func(what string, ok func(lending.Status) bool) lending.Status {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := lender.Status()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("not %s within 30 s: %+v", what, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	input()
	waitState("here", func(s lending.Status) bool { return s.Decision.Mode == lending.Here })
	s := waitState("lent, the Worker awake", func(s lending.Status) bool {
		return s.Lent && s.Worker.Phase == localworker.Awake
	})
	workerID := s.Worker.WorkerID
	jobID, taskID := mgr.QueueTask("shot-010 lighting", 3600)
	waitState("rendering shot-010", func(s lending.Status) bool { return s.Rendering() && s.Worker.JobID == jobID })

	back := input()
	mgr.WaitFor(t, 10*time.Second, "the Worker sent asleep", func(events []farmstandin.Event) bool {
		return farmstandin.Has(events, "setstatus", workerID, "asleep")
	})
	delay := eventAt(t, mgr.Events(), workerID, "asleep").Sub(back)
	t.Logf("input to the Manager's request: %v", delay)
	if delay > time.Second {
		t.Errorf("the Manager was asked %v after the input, want within 1 s", delay)
	}
	waitState("the Worker asleep at the Manager, its task back in the queue", func(lending.Status) bool {
		return mgr.TaskStatus(taskID) == "queued" && mgr.WorkerStatus(workerID) == "asleep"
	})
	if status := mgr.JobStatus(jobID); status == "failed" {
		t.Errorf("the job %s because its artist came back", status)
	}
	waitState("told what it rendered", func(lending.Status) bool { mu.Lock(); defer mu.Unlock(); return len(told) == 1 })

	// Away again: the same Worker process is woken.
	pid := sup.State().PID
	waitState("lent again", func(s lending.Status) bool { return s.Lent && s.Worker.Phase == localworker.Busy })
	if sup.State().PID != pid {
		t.Errorf("the Worker was restarted (pid %d, then %d), not woken", pid, sup.State().PID)
	}
	if got := mgr.EventsOf(workerID); !slices.Contains(got, "setstatus:awake") {
		t.Errorf("the Manager saw %q, want a request to wake the Worker", got)
	}
}

func eventAt(t *testing.T, events []farmstandin.Event, workerID, detail string) time.Time {
	t.Helper()
	for _, e := range events {
		if e.Kind == "setstatus" && e.WorkerID == workerID && e.Detail == detail {
			return e.At
		}
	}
	t.Fatalf("no setstatus %s for %s", detail, workerID)
	return time.Time{}
}

// xInput returns a function that moves the X server's pointer through XTEST, as a user's hand on the
// mouse does, and returns when it did.
func xInput(t *testing.T, display string) func() time.Time {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatalf("connecting to %s: %v", display, err)
	}
	t.Cleanup(conn.Close)
	if err := xtest.Init(conn); err != nil {
		t.Fatalf("XTEST: %v", err)
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	moves := 0
	return func() time.Time {
		t.Helper()
		moves++
		if err := xtest.FakeInputChecked(conn, xproto.MotionNotify, 0, 0, root, int16(10+moves%100), 10, 0).Check(); err != nil {
			t.Fatalf("XTEST input: %v", err)
		}
		return time.Now()
	}
}
