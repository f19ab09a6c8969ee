//go:build linux

package farm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

const workersRoute = "GET /api/v3/worker-mgt/workers"

// sideFailures makes the Workers read and single-job reads of a Manager fail (500) while on, in front
// of the stand-in's handler (the event bus passes), and counts those it failed.
type sideFailures struct {
	on            atomic.Bool
	workers, jobs atomic.Int64
}

func (s *sideFailures) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.on.Load() && r.Method == http.MethodGet {
			switch {
			case r.URL.Path == "/api/v3/worker-mgt/workers":
				s.workers.Add(1)
				http.Error(w, `{"code":500,"message":"database is locked"}`, http.StatusInternalServerError)
				return
			case strings.HasPrefix(r.URL.Path, "/api/v3/jobs/") && strings.Count(r.URL.Path, "/") == 4:
				s.jobs.Add(1)
				http.Error(w, `{"code":500,"message":"database is locked"}`, http.StatusInternalServerError)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// liveOnAFakeClock is a Watcher following a 3.8.5 stand-in over real HTTP and a real websocket, its
// timers on a fake clock.
type liveOnAFakeClock struct {
	clock   *fakeclock.Clock
	farm    *farmstandin.Farm
	watcher *farm.Watcher
	events  chan farm.Event
	failing *sideFailures
}

func newLiveOnAFakeClock(t *testing.T) *liveOnAFakeClock {
	t.Helper()
	h := &liveOnAFakeClock{clock: fakeclock.New(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)),
		events: make(chan farm.Event, eventsRoom), failing: &sideFailures{}}
	h.farm = farmstandin.New("Busy Farm", farmstandin.WithVersion("3.8.5"), farmstandin.WithClock(h.clock.Now))
	h.farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	server := httptest.NewServer(h.failing.wrap(h.farm.Handler()))
	t.Cleanup(server.Close)
	h.watcher = farm.NewWatcher(farm.WatcherConfig{
		Client:   managerapi.NewClient(server.URL, managerapi.WithTimeout(2*time.Second)),
		Identity: farm.Identity{UserName: "alice"},
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Clock:    h.clock,
		OnEvent:  func(e farm.Event) { h.events <- e },
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { h.watcher.Run(ctx) })
	t.Cleanup(func() { cancel(); server.CloseClientConnections(); wg.Wait() })
	testio.WaitFor(t, 10*time.Second, func() bool { s := h.watcher.Summary(); return s.Connection.Live && s.Known() })
	return h
}

// waitAdvancing waits until ok, moving the clock on by 100 ms at a time meanwhile: the summary is
// published at most every 100 ms of the Watcher's clock.
func (h *liveOnAFakeClock) waitAdvancing(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %+v", h.watcher.Summary())
		}
		h.clock.Advance(100 * time.Millisecond)
		time.Sleep(5 * time.Millisecond)
	}
}

// A busy farm: a job starts or ends every 10 s, and the Manager pushes /status each time. The Workers
// are read at most once a minute for it, whatever the pace (a tray read them every 10 to 20 s).
func TestLiveReadsTheWorkersAtMostOnceAMinuteHoweverOftenTheFarmChanges(t *testing.T) {
	h := newLiveOnAFakeClock(t)
	job := h.farm.SubmitJob(farmstandin.JobSpec{Name: "someone's shot", User: "bob"})
	h.farm.ResetStats()
	const steps = 60 // ten minutes
	for i := range steps {
		h.clock.Advance(10 * time.Second)
		status, state := "active", managerapi.FarmActive
		if i%2 == 1 {
			status, state = "completed", managerapi.FarmIdle
		}
		if err := h.farm.SetJobStatus(job, status, ""); err != nil {
			t.Fatal(err)
		}
		h.waitAdvancing(t, func() bool { return h.watcher.Summary().Farm == state })
	}
	reads := h.farm.Stats().ByRoute[workersRoute]
	t.Logf("%d reads of the Workers in 10 minutes of a farm whose state changed every 10 s", reads)
	if reads > 11 {
		t.Errorf("%d reads of the Workers in 10 minutes, want at most one a minute", reads)
	}
	if reads < 8 {
		t.Errorf("%d reads of the Workers in 10 minutes: the farm's changes should have them read about once a minute", reads)
	}
}

// A side request that fails (the Workers, the owner of a new job) is asked again later, alone: it
// never ends a working connection, each of whose reconnections would cost a Manager slow under load
// a full read of every job.
func TestLiveAFailedSideRequestKeepsTheConnection(t *testing.T) {
	h := newLiveOnAFakeClock(t)
	h.failing.on.Store(true)
	mine := h.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-090 mine", User: "alice"})
	h.clock.Advance(6 * time.Minute) // the Workers are due: every 5 min ± 20 %
	testio.WaitFor(t, 10*time.Second, func() bool { return h.failing.workers.Load() > 0 && h.failing.jobs.Load() > 0 })
	if err := h.farm.SetJobStatus(mine, "completed", "all tasks completed"); err != nil {
		t.Fatal(err)
	}
	h.failing.on.Store(false)
	h.clock.Advance(time.Minute) // past the retries
	timeout := time.After(10 * time.Second)
	for ended := false; !ended; {
		select {
		case e := <-h.events:
			ended = e.Kind == farm.JobFinished && e.Transition.Job.ID == mine
		case <-timeout:
			t.Fatal("the end of my job was not reported once its owner could be asked for")
		}
	}
	bus := h.farm.EventBusStats()
	if bus.Total != 1 || !h.watcher.Summary().Connection.Live {
		t.Errorf("%d event-bus connections (live: %v) after failed side requests, want the first one kept", bus.Total, h.watcher.Summary().Connection.Live)
	}
	if reads := h.farm.Stats().ByRoute["GET /api/v3/jobs"]; reads != 1 {
		t.Errorf("every job was read %d times, want once (at the connection)", reads)
	}
}
