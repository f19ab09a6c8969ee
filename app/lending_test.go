package app

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeworker"
)

// desk is the desktop's idle time as a test sets it.
type desk struct {
	mu   sync.Mutex
	idle time.Duration
	err  error
}

func (d *desk) set(idle time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.idle = idle
}

func (d *desk) Read(context.Context) (time.Duration, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.idle, false, d.err
}

// lendingFixture is a lendingSet on fakes, in a synctest bubble: its goroutines end with the test.
type lendingFixture struct {
	set      *lendingSet
	desk     *desk
	workers  map[string]*fakeworker.Worker // by Manager ID, as workerFor made them
	mu       sync.Mutex
	rebuilds int
	shown    []string // notifications shown
	noWorker error    // what workerFor fails with; nil: it makes one
	notices  *notifier
	listed   []discovery.Manager
}

func newLendingFixture(t *testing.T, policy lending.Policy, lendTo ...string) *lendingFixture {
	ctx, cancel := context.WithCancel(context.Background())
	var owned sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		owned.Wait()
	})
	f := &lendingFixture{desk: &desk{}, workers: map[string]*fakeworker.Worker{}}
	f.notices = newNotifier(notifierConfig{Log: zerolog.Nop(), ManagersOn: true, Show: func(n news) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.shown = append(f.shown, n.Title+": "+n.Body)
	}})
	f.set = newLendingSet(lendingConfig{Log: zerolog.Nop(), Ctx: ctx, GoOwned: owned.Go, Policy: policy, LendTo: lendTo,
		Listed: func() []discovery.Manager {
			f.mu.Lock()
			defer f.mu.Unlock()
			return slices.Clone(f.listed)
		},
		WorkerFor: func(m discovery.Manager) (lending.Worker, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.noWorker != nil {
				return nil, f.noWorker
			}
			if f.workers[m.ID] == nil {
				f.workers[m.ID] = fakeworker.New()
			}
			return f.workers[m.ID], nil
		},
		ReadIdle: f.desk.Read,
		OnChange: func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.rebuilds++
		},
		OnBack: f.notices.WelcomeBack,
	})
	owned.Go(f.set.Run)
	return f
}

// list lists managers, as the Browser would, and has the set follow.
func (f *lendingFixture) list(managers ...discovery.Manager) {
	f.mu.Lock()
	f.listed = managers
	f.mu.Unlock()
	f.set.requestSync()
}

func (f *lendingFixture) worker(id string) *fakeworker.Worker {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.workers[id]
}

func (f *lendingFixture) Rebuilds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rebuilds
}

func (f *lendingFixture) Shown() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.shown)
}

var tenMinutes = lending.Policy{Enabled: true, AwayAfter: 10 * time.Minute, WhenBack: lending.StopNow}

// Turning lending on for a Manager starts its Lender, which says in the menu what it does and asks
// for a rebuild; turning it off ends the Lender (it no longer follows the Worker) and its row.
func TestLendingSetLendsToAManagerWhileOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio, night := manager("Studio Farm", true), manager("Night Farm", true)
		night.URL = "http://10.0.0.2:8080/"
		f := newLendingFixture(t, tenMinutes)
		f.desk.set(6 * time.Minute)
		f.list(studio, night)
		synctest.Wait()
		if got := f.set.statuses(); len(got) != 0 {
			t.Fatalf("statuses %v before lending was turned on", got)
		}

		f.set.set(studio, true)
		synctest.Wait()
		got := f.set.statuses()
		if len(got) != 1 || got[studio.ID].MenuLine(studio.Name) != "Will lend after 10 min away (4 min to go)" {
			t.Fatalf("statuses %+v", got)
		}
		if !f.set.lendsTo(studio.URL) || f.Rebuilds() == 0 {
			t.Errorf("lends to it: %t; rebuilds asked: %d", f.set.lendsTo(studio.URL), f.Rebuilds())
		}
		if n := f.worker(studio.ID).Followers(); n != 1 {
			t.Errorf("%d follow the Worker, want its Lender", n)
		}

		f.set.set(studio, false)
		synctest.Wait()
		if got := f.set.statuses(); len(got) != 0 {
			t.Errorf("statuses %v after lending was turned off", got)
		}
		if n := f.worker(studio.ID).Followers(); n != 0 {
			t.Errorf("%d still follow the Worker: its Lender did not end", n)
		}
		if f.worker(night.ID) != nil {
			t.Error("a Worker was made for a Manager lending is off for")
		}
	})
}

// Lending turned on in an earlier run starts once its Manager is listed; Settings' policy reaches
// the running Lender at once.
func TestLendingSetAppliesThePolicyFromSettings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio := manager("Studio Farm", true)
		f := newLendingFixture(t, tenMinutes, studio.URL)
		f.desk.set(time.Minute)
		f.list(studio)
		synctest.Wait()
		if line := f.set.statuses()[studio.ID].MenuLine(studio.Name); line != "Will lend after 10 min away (9 min to go)" {
			t.Fatalf("line %q", line)
		}
		f.set.setPolicy(lending.Policy{Enabled: true, AwayAfter: 3 * time.Minute, WhenBack: lending.FinishTask})
		synctest.Wait()
		if line := f.set.statuses()[studio.ID].MenuLine(studio.Name); line != "Will lend after 3 min away (2 min to go)" {
			t.Errorf("line %q after the policy changed", line)
		}
	})
}

// Away, the Lender starts the shared Worker; back after it rendered, the Worker sleeps and the
// notifier says what it rendered, as the user's switch allows.
func TestLendingSetWelcomesTheUserBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio := manager("Studio Farm", true)
		f := newLendingFixture(t, tenMinutes, studio.URL)
		f.desk.set(11 * time.Minute)
		f.list(studio)
		synctest.Wait()
		w := f.worker(studio.ID)
		if calls := w.Calls(); !slices.Equal(calls, []string{"start"}) {
			t.Fatalf("the Worker was asked %q, want a start", calls)
		}
		w.Set(func(s *localworker.State) {
			s.Phase, s.JobID, s.Job, s.Task = localworker.Busy, "j1", "shot-010", "frames 1-10"
		})
		synctest.Wait()
		status := f.set.statuses()[studio.ID]
		if !status.Rendering() || status.MenuLine(studio.Name) != "Lending to Studio Farm: rendering shot-010" {
			t.Fatalf("while rendering: %q, rendering %t", status.MenuLine(studio.Name), status.Rendering())
		}

		f.desk.set(0)
		time.Sleep(lending.PollWhileLent)
		synctest.Wait()
		if calls := w.Calls(); !slices.Equal(calls, []string{"start", "sleep now"}) {
			t.Errorf("the Worker was asked %q, want to sleep", calls)
		}
		want := []string{"Welcome back: While you were away this computer rendered 1 task of 1 job."}
		if got := f.Shown(); !slices.Equal(got, want) {
			t.Errorf("notifications %q, want %q", got, want)
		}
	})
}

// With notifications off, the user back is not told.
func TestWelcomeBackRespectsTheNotificationsSwitch(t *testing.T) {
	var shown []string
	n := newNotifier(notifierConfig{Log: zerolog.Nop(), ManagersOn: false, JobsOn: true,
		Show: func(n news) { shown = append(shown, n.Title) }})
	n.WelcomeBack(lending.Tally{Tasks: 3, Jobs: 1})
	n.SetEnabled(true, false)
	n.WelcomeBack(lending.Tally{Tasks: 3, Jobs: 1})
	if !slices.Equal(shown, []string{"Welcome back"}) {
		t.Errorf("shown %q, want one, once notifications were on", shown)
	}
}

// When idle cannot be read, the computer is not lent, and the menu says why.
func TestLendingSetWithoutIdleSaysWhy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio := manager("Studio Farm", true)
		f := newLendingFixture(t, tenMinutes, studio.URL)
		f.desk.err = errors.New("no X server answers on this desktop")
		f.desk.set(time.Hour)
		f.list(studio)
		synctest.Wait()
		want := "Cannot lend this computer: no X server answers on this desktop"
		if line := f.set.statuses()[studio.ID].MenuLine(studio.Name); line != want {
			t.Errorf("line %q, want %q", line, want)
		}
		if calls := f.worker(studio.ID).Calls(); len(calls) != 0 {
			t.Errorf("the Worker was asked %q", calls)
		}
	})
}

// "Not tonight" reaches the Manager's Lender, and "Lend tonight after all" undoes it.
func TestLendingSetSkipsTonight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio := manager("Studio Farm", true)
		f := newLendingFixture(t, tenMinutes, studio.URL)
		f.list(studio)
		synctest.Wait()
		f.set.lender(studio.ID).NotTonight(time.Now())
		synctest.Wait()
		if status := f.set.statuses()[studio.ID]; status.Decision.Mode != lending.SkipTonight || status.NotTonightUntil.IsZero() {
			t.Errorf("after Not tonight: %q", status.MenuLine(studio.Name))
		}
		f.set.lender(studio.ID).LendTonight()
		synctest.Wait()
		if status := f.set.statuses()[studio.ID]; status.Decision.Mode != lending.Here {
			t.Errorf("after Lend tonight after all: %q", status.MenuLine(studio.Name))
		}
	})
}

// A Worker replaced between runs (the Worker program changed in Settings) gets a new Lender; the old
// one ends.
func TestLendingSetFollowsAReplacedWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio := manager("Studio Farm", true)
		f := newLendingFixture(t, tenMinutes, studio.URL)
		f.list(studio)
		synctest.Wait()
		old := f.worker(studio.ID)
		replaced := fakeworker.New()
		f.mu.Lock()
		f.workers[studio.ID] = replaced
		f.mu.Unlock()
		f.list(studio)
		synctest.Wait()
		if old.Followers() != 0 || replaced.Followers() != 1 {
			t.Errorf("followers: old Worker %d, new %d; want 0 and 1", old.Followers(), replaced.Followers())
		}
		if _, ok := f.set.statuses()[studio.ID]; !ok {
			t.Error("no status after the Worker was replaced")
		}
	})
}

// A Manager lending is on for but for which no Worker can be made says so in the menu, and is
// not lent; turned off, it says nothing more.
func TestLendingSetWithoutAWorkerSaysWhy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		studio := manager("Studio Farm", true)
		f := newLendingFixture(t, tenMinutes, studio.URL)
		f.noWorker = errors.New("where to keep the Worker's files: $HOME is not defined")
		f.list(studio)
		synctest.Wait()
		want := "Cannot lend this computer: no Worker can be run for this Manager (details in the log)"
		if line := f.set.statuses()[studio.ID].MenuLine(studio.Name); line != want {
			t.Errorf("line %q, want %q", line, want)
		}
		f.set.set(studio, false)
		synctest.Wait()
		if got := f.set.statuses(); len(got) != 0 {
			t.Errorf("statuses %v after lending was turned off", got)
		}
	})
}

// While a Worker is being made for a Manager (workerSet may wait on its lock or the disk), turning
// lending on or off, saving a policy, "Not tonight" (Fyne's main goroutine) and the menu's read of
// lending (the rebuild) return at once: none of them waits for it.
func TestLendingSetNeverWaitsForAWorkerBeingMade(t *testing.T) {
	studio, night := manager("Studio Farm", true), manager("Night Farm", true)
	night.URL = "http://10.0.0.2:8080/"
	ctx, cancel := context.WithCancel(context.Background())
	var owned sync.WaitGroup
	making, release := make(chan struct{}, 1), make(chan struct{})
	set := newLendingSet(lendingConfig{Log: zerolog.Nop(), Ctx: ctx, GoOwned: owned.Go, Policy: tenMinutes, LendTo: []string{studio.URL},
		Listed: func() []discovery.Manager { return []discovery.Manager{studio, night} },
		WorkerFor: func(discovery.Manager) (lending.Worker, error) {
			select {
			case making <- struct{}{}:
			default:
			}
			<-release
			return nil, errors.New("no Worker for the test")
		},
		ReadIdle: (&desk{}).Read, OnChange: func() {}, OnBack: func(lending.Tally) {}})
	owned.Go(set.Run)
	t.Cleanup(func() {
		close(release)
		cancel()
		owned.Wait()
	})
	set.requestSync()
	<-making

	done := make(chan struct{})
	go func() {
		defer close(done)
		set.set(night, true)
		set.setPolicy(lending.Policy{Enabled: true, AwayAfter: 3 * time.Minute})
		if l := set.lender(studio.ID); l != nil { // what "Not tonight" does
			l.NotTonight(time.Now())
		}
		set.statuses()
		set.lendsTo(night.URL)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("lending's switches and statuses waited for a Worker being made")
	}
}
