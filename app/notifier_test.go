package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// shownNotifications is a transport that keeps every notification shown.
type shownNotifications struct {
	mu    sync.Mutex
	shown []string
}

func (s *shownNotifications) show(n news) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shown = append(s.shown, n.Title+": "+n.Body)
}

func (s *shownNotifications) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.shown)
}

// runNotifier runs a notifier in the test's bubble until it ends.
func runNotifier(t *testing.T, c notifierConfig) (*notifier, *shownNotifications) {
	shown := &shownNotifications{}
	c.Log, c.Show = zerolog.New(zerolog.NewTestWriter(t)), shown.show
	n := newNotifier(c)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, shown
}

// The notifier sends what is within the budget at once and what is held once the budget allows, as
// one notification; none once job notifications were turned off meanwhile.
func TestNotifierSendsHeldJobNotificationsLater(t *testing.T) {
	for _, turnOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("turned off %v", turnOff), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				window := notifyWindow
				n, shown := runNotifier(t, notifierConfig{ManagersOn: true, JobsOn: true})
				studio := manager("Studio Farm", true)
				sentAt := time.Now()
				statuses := []managerapi.JobStatus{managerapi.JobCompleted, managerapi.JobCompleted, managerapi.JobCompleted,
					managerapi.JobCompleted, managerapi.JobFailed, managerapi.JobCompleted}
				for i, status := range statuses {
					n.JobEvent(studio, jobEnd(fmt.Sprint(i), fmt.Sprintf("shot %d", i), status, sentAt))
				}
				atOnce := []string{"Job finished: “shot 0” on Studio Farm — 3.3.1", "Job finished: “shot 1” on Studio Farm — 3.3.1",
					"Job finished: “shot 2” on Studio Farm — 3.3.1", "Job finished: “shot 3” on Studio Farm — 3.3.1"}
				if got := shown.all(); !slices.Equal(got, atOnce) {
					t.Fatalf("sent at once: %q, want the budget's %d", got, len(atOnce))
				}
				if turnOff {
					n.SetEnabled(true, false)
				}
				time.Sleep(window - time.Nanosecond)
				synctest.Wait()
				if got := shown.all(); len(got) != len(atOnce) {
					t.Fatalf("sent before the budget allowed: %q", got)
				}
				time.Sleep(time.Nanosecond)
				synctest.Wait()
				want := append(slices.Clone(atOnce), "2 jobs ended, 1 failed: 1 failed, 1 finished: “shot 4”, “shot 5”")
				if turnOff {
					want = atOnce
				}
				if got := shown.all(); !slices.Equal(got, want) {
					t.Errorf("sent %q, want %q", got, want)
				}
			})
		})
	}
}

// Managers found at start are the normal state: notifications about Managers start notifyAfter after
// the first search window, and then at most a few a minute; none when turned off.
func TestNotifierKeepsManagersQuietAtStartAndBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, shown := runNotifier(t, notifierConfig{ManagersOn: true, JobsOn: true})
		studio := manager("Studio Farm", true)
		n.ManagerFound(studio)
		n.SearchWindowClosed()
		n.ManagerFound(studio)
		time.Sleep(notifyAfter - time.Nanosecond)
		n.ManagerGone(studio)
		if got := shown.all(); len(got) != 0 {
			t.Fatalf("shown during the first search: %q", got)
		}
		time.Sleep(time.Nanosecond)
		n.SearchWindowClosed() // later windows do not quieten it again
		for range 6 {
			n.ManagerGone(studio)
		}
		if got := shown.all(); len(got) != 4 || got[0] != "Flamenco Manager gone: Studio Farm — 3.3.1 no longer answers" {
			t.Errorf("shown %q, want the minute's four", got)
		}
		time.Sleep(time.Minute)
		n.SetEnabled(false, true)
		n.ManagerFound(studio)
		if got := shown.all(); len(got) != 4 {
			t.Errorf("shown %q while turned off", got)
		}
	})
}

// A job requeued after it ended is news again when it ends again; its end reported again (over REST,
// with another time) is not.
func TestNotifierNotifiesARequeuedJobThatEndsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, shown := runNotifier(t, notifierConfig{JobsOn: true})
		studio := manager("Studio Farm", true)
		queuedAt := time.Now()
		n.JobEvent(studio, jobEnd("a", "shot 010", managerapi.JobFailed, queuedAt))
		n.JobEvent(studio, jobEnd("a", "shot 010", managerapi.JobFailed, queuedAt.Add(time.Second)))
		n.JobEvent(studio, jobChange("a", managerapi.JobFailed, managerapi.JobRequeueing))
		n.JobEvent(studio, jobChange("a", managerapi.JobRequeueing, managerapi.JobQueued))
		n.JobEvent(studio, jobEnd("a", "shot 010", managerapi.JobCompleted, queuedAt.Add(time.Minute)))
		n.JobEvent(studio, jobEnd("a", "shot 010", managerapi.JobCompleted, queuedAt.Add(2*time.Minute)))
		time.Sleep(time.Hour)
		synctest.Wait()
		want := []string{"Job failed: “shot 010” on Studio Farm — 3.3.1", "Job finished: “shot 010” on Studio Farm — 3.3.1"}
		if got := shown.all(); !slices.Equal(got, want) {
			t.Errorf("shown %q, want %q", got, want)
		}
	})
}

// timedNotices is a transport that keeps every notification shown, with when.
type timedNotices struct {
	mu     sync.Mutex
	titles []string
	bodies []string
	at     []time.Time
}

func (s *timedNotices) show(n news) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.titles, s.bodies, s.at = append(s.titles, n.Title), append(s.bodies, n.Body), append(s.at, time.Now())
}

// endsTold adds up the job ends the notifications told of, by status: one for "Job failed", the
// counts of "12 jobs ended, 3 failed" (its body: "3 failed, 1 canceled, 8 finished: …"), which must
// agree with its title.
func (s *timedNotices) endsTold(t *testing.T) map[managerapi.JobStatus]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	words := map[string]managerapi.JobStatus{"finished": managerapi.JobCompleted, "failed": managerapi.JobFailed,
		"canceled": managerapi.JobCanceled}
	told := map[managerapi.JobStatus]int{}
	for i, title := range s.titles {
		var word string
		if _, err := fmt.Sscanf(title, "Job %s", &word); err == nil && !strings.Contains(title, "jobs") {
			told[words[word]]++
			continue
		}
		var total, failed int
		if _, err := fmt.Sscanf(title, "%d jobs ended, %d failed", &total, &failed); err != nil {
			if _, err := fmt.Sscanf(title, "%d jobs ended", &total); err != nil {
				t.Fatalf("notification %q: %v", title, err)
			}
		}
		counts, _, _ := strings.Cut(s.bodies[i], ": ")
		sum := 0
		for part := range strings.SplitSeq(counts, ", ") {
			var count int
			if _, err := fmt.Sscanf(part, "%d %s", &count, &word); err != nil || words[word] == "" {
				t.Fatalf("notification %q: %q: %v", s.bodies[i], part, err)
			}
			told[words[word]] += count
			sum += count
			if words[word] == managerapi.JobFailed && count != failed {
				t.Errorf("%q says %d failed, its body %d", title, failed, count)
			}
		}
		if sum != total {
			t.Errorf("%q: its body %q counts %d", title, s.bodies[i], sum)
		}
	}
	return told
}

// busiestMinute is the most notifications shown within one minute.
func (s *timedNotices) busiestMinute() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	most := 0
	for i := range s.at {
		n := 0
		for j := i; j < len(s.at) && s.at[j].Sub(s.at[i]) < time.Minute; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// Every end of a job of mine is told, once, however many end at once: 10,000 ends, each over the
// bus, then again from the read after a reconnection (with another time, as Flamenco 3.8.5 gives),
// make notifications whose counts add up to exactly 10,000, each status counted right, at most 4 a
// minute.
func TestNotifierAccountsForEveryEndOfABurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shown := &timedNotices{}
		n := newNotifier(notifierConfig{Log: zerolog.Nop(), Show: shown.show, JobsOn: true})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); n.Run(ctx) }()
		defer func() { cancel(); <-done }()
		studio := manager("Studio Farm", true)
		const ends = 10_000
		statusOf := func(i int) managerapi.JobStatus {
			switch {
			case i%7 == 0:
				return managerapi.JobFailed
			case i%11 == 0:
				return managerapi.JobCanceled
			}
			return managerapi.JobCompleted
		}
		want := map[managerapi.JobStatus]int{}
		activeAt := time.Now().Add(-time.Hour)
		for i := range ends {
			want[statusOf(i)]++
			n.JobEvent(studio, jobEnd(fmt.Sprint("job-", i), fmt.Sprint("shot ", i), statusOf(i), activeAt))
		}
		time.Sleep(30 * time.Second)
		for i := range ends {
			n.JobEvent(studio, jobEnd(fmt.Sprint("job-", i), fmt.Sprint("shot ", i), statusOf(i), time.Now()))
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if got := shown.endsTold(t); !maps.Equal(got, want) {
			t.Errorf("notifications told of %v, want %v", got, want)
		}
		if most := shown.busiestMinute(); most > 4 {
			t.Errorf("%d notifications within a minute, want at most 4", most)
		}
	})
}
