//go:build linux

package farm_test

import (
	"context"
	"fmt"
	"net/http"
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
)

// eventsRoom is the room the test harnesses give a Watcher's events: more than any test makes, so
// that a test reads them when it likes.
const eventsRoom = 100000

// harness is a Watcher on a fake clock against a stand-in Manager served over real HTTP. These tests
// are of polling, the fallback where the event bus cannot be had: the stand-in refuses it as a proxy
// that does not pass websockets does (502), unless setup says otherwise (live_test.go has the bus).
type harness struct {
	t       *testing.T
	clock   *fakeclock.Clock
	farm    *farmstandin.Farm
	server  *farmstandin.Server
	watcher *farm.Watcher
	events  <-chan farm.Event
	stop    func()
	// delivered gets a value when the mark queued by drain is handed over: every event queued
	// before it was, too.
	delivered chan struct{}
}

// deliveredMark is the kind of the mark drain queues behind the watcher's events.
const deliveredMark farm.EventKind = "test: delivered"

func newHarness(t *testing.T, setup func(f *farmstandin.Farm, clock *fakeclock.Clock), opts ...func(*farm.WatcherConfig)) *harness {
	t.Helper()
	h := &harness{t: t, clock: fakeclock.New(time.Date(2026, 11, 25, 9, 0, 0, 0, time.Local))}
	h.farm = farmstandin.New("Studio Farm", farmstandin.WithClock(h.clock.Now))
	h.farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	h.farm.AddWorker(farmstandin.WorkerSpec{Name: "render-02", Status: "asleep"})
	h.farm.RefuseEventBus(http.StatusBadGateway)
	if setup != nil {
		setup(h.farm, h.clock)
	}
	h.server = farmstandin.Serve(t, h.farm)
	cfg := farm.WatcherConfig{
		Client:   managerapi.NewClient(h.server.URL, managerapi.WithTimeout(2*time.Second)),
		Identity: farm.Identity{UserName: "alice"},
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Clock:    h.clock,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	events := make(chan farm.Event, eventsRoom)
	h.events = events
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(e farm.Event) { events <- e }
	}
	h.delivered = make(chan struct{})
	forward := cfg.OnEvent
	cfg.OnEvent = func(e farm.Event) {
		if e.Kind == deliveredMark {
			h.delivered <- struct{}{}
			return
		}
		forward(e)
	}
	h.watcher = farm.NewWatcher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.watcher.Run(ctx); close(done) }()
	h.stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(func() {
		if h.stop != nil {
			h.stop()
		}
	})
	h.settle()
	return h
}

// settle waits until the watcher has finished its round and waits on the fake clock. No sleeps:
// the watcher makes a timer only after its round (or a dial of the bus), and the clock says when one
// is made; a timer that fired is gone from the clock until the watcher makes the next.
func (h *harness) settle() {
	h.t.Helper()
	waitUntil(h.t, h.clock, func() bool { return true })
}

// advance moves the clock in steps of a second, settling after each: a task falls due at most a
// second before it runs, however its interval was jittered.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	for d > 0 {
		step := min(d, time.Second)
		h.clock.Advance(step)
		h.settle()
		d -= step
	}
}

// advanceUntil moves the clock in steps of 5 s, settling after each, until ok; it fails after limit.
func (h *harness) advanceUntil(what string, limit time.Duration, ok func() bool) {
	h.t.Helper()
	for start := h.clock.Now(); !ok(); h.advance(5 * time.Second) {
		if h.clock.Now().Sub(start) > limit {
			h.t.Fatalf("not %s within %v: %+v", what, limit, h.watcher.Summary())
		}
	}
}

// nextJobEnd advances the clock until the end of job id is handed over, and returns it.
func (h *harness) nextJobEnd(id string, limit time.Duration) farm.Event {
	h.t.Helper()
	var end farm.Event
	h.advanceUntil("the end of job "+id, limit, func() bool {
		for _, e := range h.drain(farm.JobFinished) {
			if e.Transition.Job.ID == id {
				end = e
				return true
			}
		}
		return false
	})
	return end
}

// drain returns the events queued so far of the given kinds, once they have been handed over.
func (h *harness) drain(kinds ...farm.EventKind) []farm.Event {
	h.t.Helper()
	farm.QueueBehind(h.watcher, farm.Event{Kind: deliveredMark})
	select {
	case <-h.delivered:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the watcher's events were not handed over within 10 s")
	}
	var got []farm.Event
	for {
		select {
		case e, ok := <-h.events:
			if !ok { // the watcher has stopped
				return got
			}
			if slices.Contains(kinds, e.Kind) {
				got = append(got, e)
			}
		default:
			return got
		}
	}
}

func jobLines(events []farm.Event) []string {
	var lines []string
	for _, e := range events {
		lines = append(lines, fmt.Sprintf("%s %s:%s>%s", e.Kind, e.Transition.Job.Name, e.Transition.From, e.Transition.To))
	}
	return lines
}

func myJobNames(s farm.Summary) []string {
	var names []string
	for _, j := range s.MyJobs {
		names = append(names, j.Name+"="+string(j.Status))
	}
	return names
}

func TestWatcherFollowsMyJobsAndNoOneElses(t *testing.T) {
	var mine, theirs string
	h := newHarness(t, func(f *farmstandin.Farm, clock *fakeclock.Clock) {
		old := f.SubmitJob(farmstandin.JobSpec{Name: "yesterday", User: "alice"})
		f.SetJobStatus(old, "failed", "too many tasks failed")
		clock.Advance(time.Hour)
		mine = f.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice"})
		theirs = f.SubmitJob(farmstandin.JobSpec{Name: "shot-020", User: "bob"})
	})
	s := h.watcher.Summary()
	if got := myJobNames(s); !slices.Equal(got, []string{"shot-010=queued", "yesterday=failed"}) {
		t.Errorf("my jobs at the start: %v", got)
	}
	if s.Farm != managerapi.FarmWaiting || s.Jobs[managerapi.JobQueued] != 2 || s.Workers[managerapi.WorkerAwake] != 1 || s.Unavailable != "" {
		t.Errorf("summary at the start: %+v", s)
	}
	if got := h.drain(farm.JobChanged, farm.JobFinished, farm.FarmStateChanged); len(got) != 0 {
		t.Errorf("the first poll reported %v: what had ended before is no news", jobLines(got))
	}

	start := h.clock.Now()
	h.farm.SetJobStatus(mine, "active", "task became active")
	h.farm.SetJobStatus(theirs, "active", "task became active")
	h.advance(unfinishedEvery)
	if got := jobLines(h.drain(farm.JobChanged, farm.JobFinished)); !slices.Equal(got, []string{"job shot-010:queued>active"}) {
		t.Errorf("queued → active: %v", got)
	}

	h.farm.SetJobStatus(mine, "completed", "all tasks completed")
	h.farm.SetJobStatus(theirs, "failed", "too many tasks failed")
	h.advance(unfinishedEvery)
	finished := h.drain(farm.JobFinished, farm.JobChanged)
	if got := jobLines(finished); !slices.Equal(got, []string{"job-finished shot-010:active>completed"}) {
		t.Fatalf("active → completed within %v: %v", unfinishedEvery, got)
	}
	if e := finished[0]; e.Transition.Manager != h.server.URL || e.Transition.Job.ID != mine {
		t.Errorf("transition %+v", e.Transition)
	}

	// An hour more: every kind of query comes round again, and nothing is reported twice.
	h.advance(time.Hour)
	if s := h.watcher.Summary(); s.FailedToday != 2 || s.Jobs[managerapi.JobCompleted] != 1 || s.Jobs[managerapi.JobActive] != 0 {
		t.Errorf("today: %v", s.Jobs)
	}
	if got := h.drain(farm.JobFinished, farm.JobChanged); len(got) != 0 {
		t.Errorf("reported again: %v", jobLines(got))
	}
	stats := h.farm.Stats()
	if stats.Unfiltered != 0 {
		t.Errorf("%d unfiltered job queries", stats.Unfiltered)
	}
	elapsed := h.clock.Now().Sub(start)
	if rate := float64(stats.Requests) / elapsed.Seconds(); rate > 0.05 {
		t.Errorf("%d requests in %v: %.4f/s %v", stats.Requests, elapsed, rate, stats.ByRoute)
	}
}

// unfinishedEvery is the longest time between two polls of the unfinished jobs: 27 s + 5 % (see
// pollEvery), rounded up.
const unfinishedEvery = 29 * time.Second

func TestWatcherReportsAJobThatEndsBetweenTwoPolls(t *testing.T) {
	h := newHarness(t, nil)
	h.clock.Advance(time.Second)
	quick := h.farm.SubmitJob(farmstandin.JobSpec{Name: "quick", User: "alice"})
	h.farm.SetJobStatus(quick, "canceled", "canceled by alice")
	// The finished jobs come round every 10 minutes (± jitter).
	h.advance(11 * time.Minute)
	if got := jobLines(h.drain(farm.JobFinished, farm.JobChanged)); !slices.Equal(got, []string{"job-finished quick:>canceled"}) {
		t.Errorf("a job submitted and canceled between two polls: %v", got)
	}
}

func TestWatcherFollowsWatchedJobs(t *testing.T) {
	var theirs string
	h := newHarness(t, func(f *farmstandin.Farm, _ *fakeclock.Clock) {
		theirs = f.SubmitJob(farmstandin.JobSpec{Name: "no-metadata", Status: "active"})
	}, func(cfg *farm.WatcherConfig) { cfg.Identity = farm.Identity{UserName: "alice"} })
	if s := h.watcher.Summary(); !s.NoJobCarriesKey || len(s.Unfinished) != 1 || s.Unfinished[0].ID != theirs {
		t.Fatalf("no key %v, unfinished %v", s.NoJobCarriesKey, s.Unfinished)
	}
	h.watcher.SetWatched([]string{theirs})
	h.farm.SetJobStatus(theirs, "completed", "all tasks completed")
	h.advance(unfinishedEvery)
	if got := jobLines(h.drain(farm.JobFinished)); !slices.Equal(got, []string{"job-finished no-metadata:active>completed"}) {
		t.Errorf("watched job: %v", got)
	}
}

func TestWatcherSetIdentityWithoutRestart(t *testing.T) {
	h := newHarness(t, func(f *farmstandin.Farm, clock *fakeclock.Clock) {
		done := f.SubmitJob(farmstandin.JobSpec{Name: "carol's done", User: "Carol"})
		f.SetJobStatus(done, "completed", "")
		clock.Advance(time.Minute)
		f.SubmitJob(farmstandin.JobSpec{Name: "carol's running", User: "Carol", Status: "active"})
	})
	if s := h.watcher.Summary(); len(s.MyJobs) != 0 || s.NoJobCarriesKey {
		t.Fatalf("alice has no jobs: %v (no key: %v)", myJobNames(s), s.NoJobCarriesKey)
	}
	// The change asks for Carol's latest jobs at once: a round of its own, over once the watcher
	// waits on the clock again (the timer it waited on before was stopped when it woke).
	const myJobsQuery = "POST /api/v3/jobs/query"
	queries := h.farm.Stats().ByRoute[myJobsQuery]
	h.watcher.SetIdentity(farm.Identity{UserName: `STUDIO\Carol`})
	waitUntil(t, h.clock, func() bool { return h.farm.Stats().ByRoute[myJobsQuery] > queries })
	if got := myJobNames(h.watcher.Summary()); !slices.Equal(got, []string{"carol's running=active", "carol's done=completed"}) {
		t.Errorf("after SetIdentity: %v", got)
	}
	if got := h.drain(farm.JobFinished, farm.JobChanged); len(got) != 0 {
		t.Errorf("a change of identity reported %v", jobLines(got))
	}
}

// waitUntil waits until ok and the watcher waits on the clock.
func waitUntil(t testing.TB, clock *fakeclock.Clock, ok func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		changed := clock.Changed()
		if ok() && clock.Waiting() > 0 {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("condition not met (%d timers on the clock)", clock.Waiting())
		}
	}
}

// A Manager that restarts keeps its job ids: nothing is reported again; a job that ended while it
// was down is reported once it is back.
func TestWatcherManagerRestartDoesNotRenotify(t *testing.T) {
	var running, other string
	h := newHarness(t, func(f *farmstandin.Farm, _ *fakeclock.Clock) {
		running = f.SubmitJob(farmstandin.JobSpec{Name: "overnight", User: "alice", Status: "active"})
		other = f.SubmitJob(farmstandin.JobSpec{Name: "second", User: "alice", Status: "active"})
		done := f.SubmitJob(farmstandin.JobSpec{Name: "done", User: "alice"})
		f.SetJobStatus(done, "completed", "")
	})
	h.server.Down()
	h.advance(30 * time.Second)
	s := h.watcher.Summary()
	if s.Unavailable == "" || !strings.Contains(s.Unavailable, "cannot be reached") {
		t.Errorf("while down: %q", s.Unavailable)
	}
	farmEvents := h.drain(farm.FarmStateChanged)
	if len(farmEvents) != 1 || farmEvents[0].FarmFrom != managerapi.FarmActive || farmEvents[0].FarmTo != managerapi.FarmUnknown {
		t.Errorf("farm events while down: %+v", farmEvents)
	}
	h.farm.SetJobStatus(other, "failed", "too many tasks failed")
	if err := h.server.Up(); err != nil {
		t.Fatal(err)
	}
	h.advance(2 * time.Minute) // past the backoff
	if s := h.watcher.Summary(); s.Unavailable != "" {
		t.Fatalf("after the restart: %q", s.Unavailable)
	}
	if got := jobLines(h.drain(farm.JobFinished, farm.JobChanged)); !slices.Equal(got, []string{"job-finished second:active>failed"}) {
		t.Errorf("after the restart: %v (only the job that ended meanwhile)", got)
	}
	_ = running
}

func TestWatcherBadAnswersCostOneBoundedRequest(t *testing.T) {
	for _, tc := range []struct {
		mode farmstandin.Mode
		want string
	}{
		{farmstandin.Slow, "did not answer in time"},
		{farmstandin.Failing, "500 Internal Server Error"},
		// 16 MB of JSON that never ends: within the list of every job's own limit (64 MB), so the
		// answer is read to its end and found malformed; the limit itself is managerapi's test.
		{farmstandin.Huge, "malformed"},
		{farmstandin.Malformed, "malformed"},
		{farmstandin.TooOld, "too old"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			h := newHarness(t, func(f *farmstandin.Farm, _ *fakeclock.Clock) { f.SetMode(tc.mode) },
				func(cfg *farm.WatcherConfig) {
					cfg.Client = managerapi.NewClient(cfg.Client.BaseURL(), managerapi.WithTimeout(300*time.Millisecond))
				})
			s := h.watcher.Summary()
			if !strings.Contains(s.Unavailable, tc.want) {
				t.Errorf("unavailable %q, want %q", s.Unavailable, tc.want)
			}
			// One request, or two where the first says the Manager has no list of every job (a 404 to
			// everything): the others wait for one to succeed.
			if n, want := h.farm.Stats().Requests, map[bool]int{true: 2, false: 1}[tc.mode == farmstandin.TooOld]; n != want {
				t.Errorf("%d requests in the first round, want %d: the others wait for one to succeed", n, want)
			}
			// Half an hour of a bad Manager: a handful of requests, backing off.
			h.advance(30 * time.Minute)
			if n := h.farm.Stats().Requests; n > 8 {
				t.Errorf("%d requests in 30 minutes to a failing Manager", n)
			}
			h.farm.SetMode(farmstandin.Normal)
			h.advance(11 * time.Minute)
			if s := h.watcher.Summary(); s.Unavailable != "" || s.Farm == managerapi.FarmUnknown {
				t.Errorf("once it answers again: %+v", s)
			}
		})
	}
}

// While a request hangs, Summary and the events are there at once: no lock is held across a request.
func TestWatcherNeverBlocksItsReaders(t *testing.T) {
	h := newHarness(t, nil, func(cfg *farm.WatcherConfig) {
		cfg.Client = managerapi.NewClient(cfg.Client.BaseURL(), managerapi.WithTimeout(time.Hour))
	})
	h.farm.SetMode(farmstandin.Slow)
	h.clock.Advance(30 * time.Second) // the next poll starts and hangs
	var wg sync.WaitGroup
	answered := make(chan struct{})
	wg.Go(func() {
		for range 100 {
			h.watcher.Summary()
		}
		close(answered)
	})
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("Summary blocked while a request hangs")
	}
	wg.Wait()
	h.stop() // cancels the hanging request
	h.stop = nil
}

// A consumer of the events that does not return (the desktop's notification service hangs) costs the
// Watcher nothing: it follows the farm all the same.
func TestWatcherWithAConsumerThatNeverReturns(t *testing.T) {
	stuck := make(chan struct{})
	h := newHarness(t, nil, func(cfg *farm.WatcherConfig) {
		cfg.OnEvent = func(farm.Event) { <-stuck }
	})
	defer close(stuck) // before the harness stops the watcher: Run returns once its events are handed over
	for i := range 100 {
		id := h.farm.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("burst-%d", i), User: "alice"})
		h.farm.SetJobStatus(id, "active", "")
	}
	h.advance(30 * time.Second)
	if s := h.watcher.Summary(); s.Jobs[managerapi.JobActive] != 100 {
		t.Errorf("%d active", s.Jobs[managerapi.JobActive])
	}
}

func TestWatcherUsesTheFarmStatusOfA35Manager(t *testing.T) {
	h := newHarness(t, nil)
	if s := h.watcher.Summary(); s.FarmFromManager || s.Farm != managerapi.FarmIdle {
		t.Errorf("3.3.1: %q from Manager %v", s.Farm, s.FarmFromManager)
	}
	// The Manager is upgraded to 3.5 while down: once back, it is asked for its own farm status.
	h.server.Down()
	h.advance(30 * time.Second)
	h.farm.SetVersion("3.5.0")
	h.farm.SubmitJob(farmstandin.JobSpec{Name: "queued", User: "bob"})
	if err := h.server.Up(); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute)
	if s := h.watcher.Summary(); !s.FarmFromManager || s.Farm != managerapi.FarmWaiting {
		t.Errorf("3.5: %q from Manager %v", s.Farm, s.FarmFromManager)
	}
	// 3.3.1 was asked once (404), 3.5 once after the restart, then every 25 s ± 5% while polling
	// (it tells the Manager is alive): about 30 in 12 minutes.
	h.advance(11 * time.Minute)
	if n := h.farm.Stats().ByRoute["GET /api/v3/status"]; n < 27 || n > 32 {
		t.Errorf("farm status asked %d times", n)
	}
}

// The Manager compares metadata with = (case-sensitive): the query for my latest jobs sends a
// LIKE pattern, so a job stored as "Alice" or as "STUDIO\alice" is found by its own query, even
// when it is older than the latest finished jobs of everyone; "malice" is not alice's.
func TestWatcherFindsMyOlderJobsWhateverTheCase(t *testing.T) {
	h := newHarness(t, func(f *farmstandin.Farm, clock *fakeclock.Clock) {
		for i, user := range []string{"Alice", `STUDIO\alice`} {
			id := f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("old-%d", i), User: user})
			f.SetJobStatus(id, "completed", "")
			clock.Advance(time.Minute)
		}
		for i := range 12 { // more than "My jobs" shows, all newer, matched by the pattern too
			id := f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("malice-%d", i), User: "malice"})
			f.SetJobStatus(id, "completed", "")
			clock.Advance(time.Minute)
		}
		for i := range 60 { // more than the finished query's limit, all newer
			id := f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("bob-%d", i), User: "bob"})
			f.SetJobStatus(id, "completed", "")
			clock.Advance(time.Second)
		}
	})
	if got := myJobNames(h.watcher.Summary()); !slices.Equal(got, []string{"old-1=completed", "old-0=completed"}) {
		t.Errorf("my older jobs: %v", got)
	}
}

// While polling (no event bus), the Watcher vouches for the Manager as its rounds are answered, so
// that discovery need not check it too; a Manager that stops answering is handed back to discovery
// by the next request, within 28.4 s (see pollEvery), and vouched for again once it answers.
func TestPollingVouchesForTheManagerUntilARequestFails(t *testing.T) {
	vouches := make(chan bool, 16)
	h := newHarness(t, nil, func(cfg *farm.WatcherConfig) {
		cfg.Vouch = func(alive bool) { vouches <- alive }
	})
	next := func() (bool, bool) {
		select {
		case alive := <-vouches:
			return alive, true
		default:
			return false, false
		}
	}
	if alive, ok := next(); !ok || !alive {
		t.Fatalf("after the first round: vouched %v (%v), want alive", alive, ok)
	}
	h.advance(2 * time.Minute)
	if alive, ok := next(); ok {
		t.Fatalf("vouched %v again while the Manager kept answering", alive)
	}
	h.server.Down()
	start := h.clock.Now()
	for {
		h.advance(time.Second)
		if alive, ok := next(); ok {
			if alive {
				t.Fatal("vouched alive for a Manager that is down")
			}
			break
		}
		if waited := h.clock.Now().Sub(start); waited > 30*time.Second {
			t.Fatalf("still vouched for %v after the Manager went down", waited)
		}
	}
	t.Logf("handed back to discovery %v after the Manager went down", h.clock.Now().Sub(start))
	if err := h.server.Up(); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute) // the failed task's retry: 30 s
	if alive, ok := next(); !ok || !alive {
		t.Errorf("once it answers again: vouched %v (%v), want alive", alive, ok)
	}
}
