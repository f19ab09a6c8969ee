//go:build linux

package farm_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// The two generations of Flamenco's API every live test runs against: 3.3.1 (filtered job queries,
// no farm status) and 3.8.5 (every job listed at once, farm status, progress).
var generations = []string{"3.3.1", "3.8.5"}

// liveHarness is a Watcher on the real clock, following a stand-in Manager over real HTTP and a
// real websocket. Its reconnections wait the real back-off (1 s, then 2 s, each ±20 %); what waits
// longer (polling, the bus tried again a minute later) is tested on the fake clock (harness).
type liveHarness struct {
	t       *testing.T
	farm    *farmstandin.Farm
	server  *farmstandin.Server
	watcher *farm.Watcher
	events  <-chan farm.Event
	bus     chan bool // Vouch calls
}

func newLiveHarness(t *testing.T, version string, setup func(*farmstandin.Farm), opts ...func(*farm.WatcherConfig)) *liveHarness {
	t.Helper()
	h := &liveHarness{t: t, bus: make(chan bool, 64)}
	h.farm = farmstandin.New("Studio Farm", farmstandin.WithVersion(version))
	h.farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	if setup != nil {
		setup(h.farm)
	}
	h.server = farmstandin.Serve(t, h.farm)
	events := make(chan farm.Event, eventsRoom)
	h.events = events
	cfg := farm.WatcherConfig{
		Client:   managerapi.NewClient(h.server.URL, managerapi.WithTimeout(2*time.Second)),
		Identity: farm.Identity{UserName: "alice"},
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Vouch:    func(connected bool) { h.bus <- connected },
		OnEvent:  func(e farm.Event) { events <- e },
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	h.watcher = farm.NewWatcher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { h.watcher.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

// waitLive waits until the watcher is connected and has read the farm.
func (h *liveHarness) waitLive() {
	h.t.Helper()
	h.waitSummary("live and primed", func(s farm.Summary) bool { return s.Connection.Live && s.Known() })
}

func (h *liveHarness) waitSummary(what string, ok func(farm.Summary) bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(h.watcher.Summary()) {
		if time.Now().After(deadline) {
			h.t.Fatalf("not %s within 10 s: %+v", what, h.watcher.Summary())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextJobEvent returns the next JobFinished or JobChanged event, failing after within.
func (h *liveHarness) nextJobEvent(within time.Duration) farm.Event {
	h.t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case e, ok := <-h.events:
			if !ok {
				h.t.Fatal("the watcher stopped before a job event")
			}
			if e.Kind == farm.JobFinished || e.Kind == farm.JobChanged {
				return e
			}
		case <-timer.C:
			h.t.Fatalf("no job event within %v", within)
		}
	}
}

// ends collects job ends until the sentinel job's end arrives, so that "nothing else came" is proven
// by an event that came after, not by a wait.
func (h *liveHarness) endsUntil(sentinel string, within time.Duration) []string {
	h.t.Helper()
	var ends []string
	deadline := time.Now().Add(within)
	for {
		e := h.nextJobEvent(time.Until(deadline))
		if e.Kind != farm.JobFinished {
			continue
		}
		ends = append(ends, e.Transition.Job.Name+">"+string(e.Transition.To))
		if e.Transition.Job.ID == sentinel {
			return ends
		}
	}
}

func TestLiveEndsOfMyJobsAreNotifiedWithinTwoSeconds(t *testing.T) {
	for _, version := range generations {
		t.Run(version, func(t *testing.T) {
			var running string
			h := newLiveHarness(t, version, func(f *farmstandin.Farm) {
				running = f.SubmitJob(farmstandin.JobSpec{Name: "shot-005 running", User: "alice", Status: "active", Steps: 3})
				f.SubmitJob(farmstandin.JobSpec{Name: "shot-001 old", User: "alice", Status: "completed"})
			})
			h.waitLive()
			h.farm.ResetStats()

			// A job submitted now that fails seconds later: its owner is asked once, its end notified.
			quick := h.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-020 broken", User: "alice", Steps: 2})
			h.farm.SetJobStatus(quick, "active", "task became active")
			time.Sleep(500 * time.Millisecond) // the job runs a moment, as a misconfigured job does
			failedAt := time.Now()
			h.farm.SetJobStatus(quick, "failed", "too many tasks failed")
			e := h.nextJobEventOf(quick, farm.JobFinished, 2*time.Second)
			if latency := time.Since(failedAt); latency > 2*time.Second || e.Transition.To != managerapi.JobFailed {
				t.Errorf("the quick job's end: %s after %v", e.Transition.To, latency)
			}
			// Someone else's job says nothing; a job that was running when the tray started is news.
			bobs := h.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-099 bob", User: "bob"})
			h.farm.SetJobStatus(bobs, "completed", "all tasks completed")
			completedAt := time.Now()
			h.farm.SetJobStatus(running, "completed", "all tasks completed")
			e = h.nextJobEventOf(running, farm.JobFinished, 2*time.Second)
			if latency := time.Since(completedAt); latency > 2*time.Second {
				t.Errorf("the running job's end came %v after it", latency)
			}
			sentinel := h.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-999 sentinel", User: "alice"})
			h.farm.SetJobStatus(sentinel, "canceled", "canceled by the test")
			if ends := h.endsUntil(sentinel, 2*time.Second); strings.Join(ends, ",") != "shot-999 sentinel>canceled" {
				t.Errorf("ends after the first two: %v (nothing twice, nothing of bob's)", ends)
			}
			// Live, a tray asked whose each new job is (one GET each) and, after the farm's state
			// changed (3.5+ says so on the bus), its Workers: nothing else.
			h.waitSummary("every owner asked for", func(farm.Summary) bool { return h.farm.Stats().ByRoute["GET /api/v3/jobs/{id}"] >= 3 })
			stats := h.farm.Stats()
			workers := stats.ByRoute["GET /api/v3/worker-mgt/workers"]
			if got := stats.ByRoute["GET /api/v3/jobs/{id}"]; got != 3 || stats.Requests != 3+workers || workers > 1 {
				t.Errorf("requests while live: %v, want one GET of each of the 3 new jobs (and the Workers once, at most)", stats.ByRoute)
			}
			h.waitSummary("the ends counted", func(s farm.Summary) bool {
				return s.Jobs[managerapi.JobFailed] == 1 && s.Jobs[managerapi.JobCanceled] == 1 && s.Jobs[managerapi.JobActive] == 0 &&
					s.Jobs[managerapi.JobCompleted] == 3
			})
		})
	}
}

// nextJobEventOf returns the next event of kind for job id, skipping others.
func (h *liveHarness) nextJobEventOf(id string, kind farm.EventKind, within time.Duration) farm.Event {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		e := h.nextJobEvent(time.Until(deadline))
		if e.Transition.Job.ID == id && e.Kind == kind {
			return e
		}
	}
}

func TestLiveProgressAndFarmStateFollow(t *testing.T) {
	var job string
	h := newLiveHarness(t, "3.8.5", func(f *farmstandin.Farm) {
		job = f.SubmitJob(farmstandin.JobSpec{Name: "shot-010 lighting", User: "alice", Status: "active", Steps: 3})
	})
	h.waitLive()
	if err := h.farm.SetJobProgress(job, 2); err != nil {
		t.Fatal(err)
	}
	h.waitSummary("showing 2/3", func(s farm.Summary) bool {
		return len(s.MyJobs) == 1 && s.MyJobs[0].Progress != nil && *s.MyJobs[0].Progress == managerapi.Progress{Completed: 2, Total: 3}
	})
	h.waitSummary("active", func(s farm.Summary) bool { return s.Farm == managerapi.FarmActive })
	completedAt := time.Now()
	h.farm.SetJobStatus(job, "completed", "all tasks completed")
	h.waitSummary("idle, my job completed", func(s farm.Summary) bool {
		return s.Farm == managerapi.FarmIdle && len(s.MyJobs) == 1 && s.MyJobs[0].Status == managerapi.JobCompleted
	})
	if took := time.Since(completedAt); took > 2*time.Second {
		t.Errorf("the farm state and My jobs followed %v after the change, want within 2 s", took)
	}
}

func TestLiveReconnectsAndReportsWhatEndedMeanwhileOnce(t *testing.T) {
	for _, version := range generations {
		t.Run(version, func(t *testing.T) {
			var mine string
			h := newLiveHarness(t, version, func(f *farmstandin.Farm) {
				mine = f.SubmitJob(farmstandin.JobSpec{Name: "shot-030 night", User: "alice", Status: "active"})
			})
			h.waitLive()
			if !<-h.bus {
				t.Fatal("Vouch(false) before (true)")
			}
			// The Manager goes away; the job ends while it is down (its database keeps it).
			h.server.Down()
			if connected := <-h.bus; connected {
				t.Fatal("Vouch(true) when the Manager went away")
			}
			h.farm.SetJobStatus(mine, "failed", "too many tasks failed")
			if err := h.server.Up(); err != nil {
				t.Fatal(err)
			}
			e := h.nextJobEventOf(mine, farm.JobFinished, 10*time.Second)
			if e.Transition.From != managerapi.JobActive || e.Transition.To != managerapi.JobFailed {
				t.Errorf("after the reconnection: %s>%s", e.Transition.From, e.Transition.To)
			}
			if !<-h.bus {
				t.Error("no Vouch(true) after the reconnection")
			}
			// A drop of the websocket alone (a proxy's timeout, a laptop's sleep) as well. The
			// reconnection answers at once: the Manager stays vouched for all along.
			connections := h.farm.EventBusStats().Total
			h.farm.DropEventBus()
			h.waitSummary("live again", func(s farm.Summary) bool {
				return s.Connection.Live && h.farm.EventBusStats().Total > connections
			})
			sentinel := h.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-999 sentinel", User: "alice"})
			h.farm.SetJobStatus(sentinel, "completed", "")
			if ends := h.endsUntil(sentinel, 10*time.Second); strings.Join(ends, ",") != "shot-999 sentinel>completed" {
				t.Errorf("ends after reconnecting twice: %v (the failed job must not come again)", ends)
			}
			select {
			case alive := <-h.bus:
				t.Errorf("Vouch(%v) over a dropped connection that came back at once", alive)
			default:
			}
		})
	}
}

// A proxy that does not pass websockets: the Watcher polls, says why, still reports my job's end,
// and tries the bus again now and then (a minute, then longer): once the proxy passes it, live again.
// On the fake clock (harness), with the default schedule.
func TestLiveFallsBackToPollingWhenTheBusIsRefusedAndComesBack(t *testing.T) {
	for _, version := range generations {
		t.Run(version, func(t *testing.T) {
			var mine string
			h := newHarness(t, func(f *farmstandin.Farm, _ *fakeclock.Clock) {
				f.SetVersion(version)
				f.RefuseEventBus(400)
				mine = f.SubmitJob(farmstandin.JobSpec{Name: "shot-040 proxied", User: "alice", Status: "active"})
			})
			if s := h.watcher.Summary(); !strings.Contains(s.Connection.Fallback, "refused") || len(s.MyJobs) != 1 {
				t.Fatalf("want polling, saying why, my running job seen: %+v", s)
			}
			h.farm.SetJobStatus(mine, "completed", "all tasks completed")
			// The next poll of every job (3.6+: every 2 min) or of the unfinished ones (27 s).
			if e := h.nextJobEnd(mine, 3*time.Minute); e.Transition.To != managerapi.JobCompleted {
				t.Errorf("polled end: %+v", e.Transition)
			}
			h.farm.RefuseEventBus(0)
			h.advanceUntil("live again", 15*time.Minute, func() bool { return h.watcher.Summary().Connection.Live })
		})
	}
}

func TestLiveSkipsMalformedFramesAndSurvivesAFlood(t *testing.T) {
	var mine, flooded string
	h := newLiveHarness(t, "3.8.5", func(f *farmstandin.Farm) {
		flooded = f.SubmitJob(farmstandin.JobSpec{Name: "flooded", User: "bob", Status: "active", Steps: 100})
		mine = f.SubmitJob(farmstandin.JobSpec{Name: "shot-050 mine", User: "alice", Status: "active"})
	})
	h.waitLive()
	for _, frame := range []string{`42["/jobs",{"id":`, `4x`, `42["/jobs",{"id":"not-a-uuid","status":"active"}]`, `42["/status",{}]`, `9`} {
		h.farm.SendRawFrame(frame)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	// The menu reads the summary all along; it must never wait long for the flood.
	stopReading := make(chan struct{})
	slowest := make(chan time.Duration, 1)
	go func() {
		var worst time.Duration
		for {
			select {
			case <-stopReading:
				slowest <- worst
				return
			default:
			}
			start := time.Now()
			h.watcher.Summary()
			worst = max(worst, time.Since(start))
			time.Sleep(time.Millisecond)
		}
	}()
	floodStart := time.Now()
	h.farm.FloodJobEvents(10000, 10000) // 10,000 a second, for a second
	h.farm.SetJobStatus(mine, "completed", "all tasks completed")
	e := h.nextJobEventOf(mine, farm.JobFinished, 10*time.Second)
	close(stopReading)
	bus := h.farm.EventBusStats()
	t.Logf("10,000 updates and my job's end in %v; the slowest Summary() took %v; %d updates sent, %d connections, %d closed by the Manager's queue overflowing",
		time.Since(floodStart), <-slowest, bus.FramesByEvent["/jobs"], bus.Total, bus.Overflows)
	if e.Transition.To != managerapi.JobCompleted {
		t.Errorf("after the flood: %+v", e.Transition)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 16<<20 {
		t.Errorf("the heap grew by %d MB over a flood of 10,000 updates", grown>>20)
	}
	if now := runtime.NumGoroutine(); now > goroutines+8 {
		t.Errorf("goroutines: %d before the flood, %d after", goroutines, now)
	}
	if !h.watcher.Summary().Connection.Live || bus.Total != 1 || bus.Overflows != 0 {
		t.Errorf("the flood or the malformed frames cost the connection: %d connections, %d overflows", bus.Total, bus.Overflows)
	}
	// Every update went over the one connection, read in order: the flood's last (99 of the flooded
	// job's 100 steps) is what the summary shows.
	if sent := bus.FramesByEvent["/jobs"]; sent < 10000 {
		t.Errorf("%d of 10,000 updates sent", sent)
	}
	h.waitSummary("the flood's last update applied", func(s farm.Summary) bool {
		return slices.ContainsFunc(s.Unfinished, func(j managerapi.Job) bool {
			return j.ID == flooded && j.Progress != nil && *j.Progress == managerapi.Progress{Completed: 99, Total: 100}
		})
	})
}

func TestLiveAThousandNewJobsCostOneFullReadNotAThousandGets(t *testing.T) {
	h := newLiveHarness(t, "3.8.5", nil)
	h.waitLive()
	h.farm.ResetStats()
	for i := range 1000 {
		h.farm.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("batch-%04d", i), User: "carol"})
	}
	mine := h.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-060 mine", User: "alice"})
	h.farm.SetJobStatus(mine, "failed", "too many tasks failed")
	h.nextJobEventOf(mine, farm.JobFinished, 10*time.Second)
	h.waitSummary("every job counted", func(s farm.Summary) bool { return s.Jobs[managerapi.JobQueued] == 1000 })
	stats := h.farm.Stats()
	t.Logf("a thousand new jobs and one of mine cost %v", stats.ByRoute)
	if gets := stats.ByRoute["GET /api/v3/jobs/{id}"]; gets > 40 || stats.ByRoute["GET /api/v3/jobs"] > 3 {
		t.Errorf("a thousand new jobs cost %v", stats.ByRoute)
	}
}

// A full status that failed (the Manager answered 500 while its event bus was up) leaves the planner
// backing off; the next connection must still read everything, not only the task that failed.
func TestLiveReadsEverythingAfterAFailedFullStatus(t *testing.T) {
	for _, version := range generations {
		t.Run(version, func(t *testing.T) {
			var mine string
			h := newLiveHarness(t, version, func(f *farmstandin.Farm) {
				f.SetMode(farmstandin.Failing)
				mine = f.SubmitJob(farmstandin.JobSpec{Name: "shot-070 running", User: "alice", Status: "active"})
			})
			h.waitSummary("unavailable", func(s farm.Summary) bool { return s.Unavailable != "" })
			h.farm.SetMode(farmstandin.Normal)
			h.waitLive()
			h.farm.ResetStats()
			h.farm.SetJobStatus(mine, "completed", "all tasks completed")
			e := h.nextJobEventOf(mine, farm.JobFinished, 5*time.Second)
			if e.Transition.From != managerapi.JobActive {
				t.Errorf("the running job's end: %s>%s, want it known as active from the full status", e.Transition.From, e.Transition.To)
			}
			if gets := h.farm.Stats().ByRoute["GET /api/v3/jobs/{id}"]; gets != 0 {
				t.Errorf("%d GETs of a job the full status should have told", gets)
			}
		})
	}
}

// A bus whose connections end soon after connecting (here: every full read fails) counts toward
// polling like one that cannot be reached: each try costs the Manager a full read. After 3 such
// connections the Watcher polls, says why, and tries the bus again only after a minute.
func TestLiveConnectionsThatFailTheirFullReadFallBackToPolling(t *testing.T) {
	h := newLiveHarness(t, "3.8.5", func(f *farmstandin.Farm) { f.SetMode(farmstandin.Failing) })
	h.waitSummary("polling, saying why", func(s farm.Summary) bool {
		return strings.Contains(s.Connection.Fallback, "keeps closing soon after connecting")
	})
	if n := h.farm.EventBusStats().Total; n != 3 {
		t.Errorf("%d event-bus connections before polling, want 3", n)
	}
}

// A proxy with a short idle timeout cuts each connection seconds after the upgrade: the Watcher must
// not reconnect (and read everything) forever. It polls, says why, and still reports my job's end.
// On the fake clock, against 3.3.1, whose unfinished jobs are polled every 27 s: the end comes by
// polling, before the bus is tried again a minute later.
func TestLiveConnectionsCutSoonAfterConnectingFallBackToPolling(t *testing.T) {
	var mine string
	h := newHarness(t, func(f *farmstandin.Farm, _ *fakeclock.Clock) {
		f.RefuseEventBus(0)
		mine = f.SubmitJob(farmstandin.JobSpec{Name: "shot-080 behind a proxy", User: "alice", Status: "active"})
	})
	for n := 1; n <= 3; n++ {
		h.advanceUntil(fmt.Sprintf("live on connection %d", n), time.Minute, func() bool {
			return h.watcher.Summary().Connection.Live && h.farm.EventBusStats().Total == n
		})
		h.farm.DropEventBus()
		// The end of a connection comes over the network, not by the clock: wait for it.
		testio.WaitFor(t, 10*time.Second, func() bool { return !h.watcher.Summary().Connection.Live })
	}
	h.advanceUntil("polling, saying why", time.Minute, func() bool {
		return strings.Contains(h.watcher.Summary().Connection.Fallback, "keeps closing soon after connecting")
	})
	h.farm.SetJobStatus(mine, "completed", "all tasks completed")
	if e := h.nextJobEnd(mine, time.Minute); e.Transition.To != managerapi.JobCompleted {
		t.Errorf("polled end: %+v", e.Transition)
	}
	if n := h.farm.EventBusStats().Total; n != 3 {
		t.Errorf("%d event-bus connections, want 3: none after the fallback", n)
	}
}
