package lending

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeworker"
)

// desk is the desktop: the time of the last input, on the bubble's clock.
type desk struct {
	mu        sync.Mutex
	lastInput time.Time
	locked    bool
}

func (d *desk) input() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastInput = time.Now()
}

func (d *desk) read(context.Context) (time.Duration, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Since(d.lastInput), d.locked, nil
}

// lenderOn runs a Lender in the test's bubble with a 10-minute policy.
func lenderOn(t *testing.T, w *fakeworker.Worker, d *desk, whenBack WhenBack, onBack func(Tally)) *Lender {
	l := NewLender(Config{Worker: w, ReadIdle: d.read, Policy: Policy{Enabled: true, AwayAfter: 10 * time.Minute, WhenBack: whenBack},
		Logger: zerolog.New(zerolog.NewTestWriter(t)), OnBack: onBack, WorkerLifetime: t.Context()})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// Away after 10 minutes: the Worker starts; back: within the next poll (250 ms) the Manager is
// asked to send it asleep, at once; away again: it is woken, not started again.
func TestLenderLendsWhileAwayAndTakesBackAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		d.input()
		l := lenderOn(t, w, d, StopNow, nil)
		time.Sleep(9 * time.Minute)
		synctest.Wait()
		if s := l.Status(); s.Decision.Mode != Here || s.Decision.ToGo > time.Minute+time.Second || len(w.Calls()) != 0 {
			t.Fatalf("9 minutes without input: %+v, calls %q", s.Decision, w.Calls())
		}
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if s := l.Status(); !s.Lent || !slices.Equal(w.Calls(), []string{"start"}) {
			t.Fatalf("10 minutes without input: lent %v, calls %q", s.Lent, w.Calls())
		}
		d.input()
		time.Sleep(PollWhileLent)
		synctest.Wait()
		if !slices.Contains(w.Calls(), "sleep now") {
			t.Errorf("calls %q %v after the input, want the Worker sent asleep", w.Calls(), PollWhileLent)
		}
		time.Sleep(10*time.Minute + time.Second)
		synctest.Wait()
		if got, want := w.Calls(), []string{"start", "sleep now", "wake"}; !slices.Equal(got, want) {
			t.Errorf("calls %q, want %q", got, want)
		}
	})
}

// A locked screen is away at once; the choice "finish the current task" asks for a lazy sleep.
func TestLenderLocksAndFinishesTheTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		d.input()
		lenderOn(t, w, d, FinishTask, nil)
		d.mu.Lock()
		d.locked = true
		d.mu.Unlock()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		d.mu.Lock()
		d.locked = false
		d.mu.Unlock()
		d.input()
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := w.Calls(), []string{"start", "sleep after task"}; !slices.Equal(got, want) {
			t.Errorf("calls %q, want %q", got, want)
		}
	})
}

// When the Manager cannot be asked, the Worker is stopped here, as "Stop now" does.
func TestLenderStopsTheWorkerWhenTheManagerCannotBeAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		lenderOn(t, w, d, StopNow, nil)
		time.Sleep(time.Second)
		synctest.Wait()
		w.SetUnreachable(true)
		d.input()
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := w.Calls(), []string{"start", "unreachable", "stop"}; !slices.Equal(got, want) {
			t.Errorf("calls %q, want %q", got, want)
		}
	})
}

// A Worker the user runs themselves is not lent, nor sent asleep when they are back.
func TestLenderLeavesAWorkerRunByHandAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		w.Start(t.Context())
		w.ClearCalls()
		d.input()
		l := lenderOn(t, w, d, StopNow, nil)
		time.Sleep(11 * time.Minute)
		synctest.Wait()
		d.input()
		time.Sleep(time.Second)
		synctest.Wait()
		if got := w.Calls(); len(got) != 0 || l.Status().Lent {
			t.Errorf("calls %q, lent %v", got, l.Status().Lent)
		}
	})
}

// Back after it rendered: the user is told what it rendered, once; "Not tonight" sends the lent
// Worker asleep and keeps the computer until the morning.
func TestLenderTellsWhatItRenderedAndSkipsTonight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		var told []Tally
		l := lenderOn(t, w, d, StopNow, func(tl Tally) { told = append(told, tl) })
		time.Sleep(time.Second)
		synctest.Wait()
		for _, task := range []struct{ job, task string }{{"j1", "frames 1-10"}, {"j1", "frames 11-20"}, {"j2", "frames 1-10"}} {
			w.Set(func(s *localworker.State) { s.Phase, s.JobID, s.Task = localworker.Busy, task.job, task.task })
			synctest.Wait()
		}
		d.input()
		time.Sleep(time.Second)
		synctest.Wait()
		if len(told) != 1 || told[0].Tasks != 3 || told[0].Jobs != 2 {
			t.Fatalf("told %+v, want once: 3 tasks of 2 jobs", told)
		}
		time.Sleep(11 * time.Minute) // away again
		synctest.Wait()
		l.NotTonight(time.Now())
		time.Sleep(time.Second)
		synctest.Wait()
		if s := l.Status(); s.Decision.Mode != SkipTonight || s.Lent || s.NotTonightUntil.IsZero() {
			t.Errorf("after Not tonight: %+v", s)
		}
		if got := w.Calls(); got[len(got)-1] != "sleep now" {
			t.Errorf("calls %q: the lent Worker was not sent asleep", got)
		}
	})
}

// Lending turned off while the computer is lent: the Worker is sent asleep, as when the user is back.
func TestLenderTurnedOffWhileLentSendsTheWorkerAsleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		l := NewLender(Config{Worker: w, ReadIdle: d.read, Policy: Policy{Enabled: true, AwayAfter: time.Minute},
			Logger: zerolog.New(zerolog.NewTestWriter(t)), WorkerLifetime: t.Context()})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.Run(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		cancel()
		<-done
		if got, want := w.Calls(), []string{"start", "sleep now"}; !slices.Equal(got, want) {
			t.Errorf("calls %q, want %q", got, want)
		}
	})
}

// A lent Worker that ends (the Manager set it offline, or it failed) is not started again before
// the next absence.
func TestLenderDoesNotRelaunchAWorkerThatEndedWhileLent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		lenderOn(t, w, d, StopNow, nil)
		time.Sleep(time.Second)
		synctest.Wait()
		w.Set(func(s *localworker.State) { s.Phase, s.Active = localworker.Offline, false })
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := w.Calls(); !slices.Equal(got, []string{"start"}) {
			t.Fatalf("calls %q, want one start", got)
		}
		d.input()
		time.Sleep(11 * time.Minute)
		synctest.Wait()
		if got := w.Calls(); !slices.Equal(got, []string{"start", "start"}) {
			t.Errorf("calls %q, want a start at the next absence", got)
		}
	})
}

// The lent Worker ends while lent (the Manager set it offline): what it rendered is still told when
// the user is back, once.
func TestLenderTellsWhatAWorkerThatEndedWhileLentRendered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, d := fakeworker.New(), &desk{}
		var told []Tally
		lenderOn(t, w, d, StopNow, func(tl Tally) { told = append(told, tl) })
		time.Sleep(time.Second)
		synctest.Wait()
		for _, task := range []string{"frames 1-10", "frames 11-20"} {
			w.Set(func(s *localworker.State) { s.Phase, s.JobID, s.Task = localworker.Busy, "j1", task })
			synctest.Wait()
		}
		w.Set(func(s *localworker.State) { s.Phase, s.Active, s.JobID, s.Task = localworker.Offline, false, "", "" })
		time.Sleep(time.Minute)
		synctest.Wait()
		d.input()
		time.Sleep(time.Minute)
		synctest.Wait()
		if len(told) != 1 || told[0].Tasks != 2 || told[0].Jobs != 1 {
			t.Errorf("told %+v, want once: 2 tasks of 1 job", told)
		}
	})
}

// The Lender goes by the time of day: lending hours (19:00 to 07:00) are read on the local clock.
func TestLenderGoesByTheTimeOfDay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		evening := time.Date(now.Year(), now.Month(), now.Day(), 22, 0, 0, 0, time.Local)
		if !evening.After(now) {
			evening = evening.AddDate(0, 0, 1)
		}
		time.Sleep(time.Until(evening))
		w := fakeworker.New()
		l := NewLender(Config{Worker: w, Logger: zerolog.New(zerolog.NewTestWriter(t)), WorkerLifetime: t.Context(),
			ReadIdle: func(context.Context) (time.Duration, bool, error) { return time.Hour, false, nil },
			Policy:   Policy{Enabled: true, Hours: Hours{From: 19 * time.Hour, To: 7 * time.Hour}}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); l.Run(ctx) }()
		defer func() { cancel(); <-done }()
		synctest.Wait()
		if s := l.Status(); !s.Lent || !slices.Equal(w.Calls(), []string{"start"}) {
			t.Fatalf("away at 22:00: lent %v, calls %q", s.Lent, w.Calls())
		}
		time.Sleep(9*time.Hour + PollWhileLent) // 07:00 the next morning: the hours are over
		synctest.Wait()
		if got := w.Calls(); !slices.Equal(got, []string{"start", "sleep now"}) {
			t.Errorf("at 07:00, calls %q, want the Worker sent asleep", got)
		}
		if s := l.Status(); s.Lent || s.Decision.Mode != OutsideHours {
			t.Errorf("at 07:00: lent %v, %+v", s.Lent, s.Decision)
		}
	})
}
