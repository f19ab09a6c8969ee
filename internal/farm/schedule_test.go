package farm

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// simulate runs a planner for span, each task taking no time, ok deciding whether it succeeds.
// It returns how many requests went out and the longest gap between two unfinished-job polls.
func simulate(p *Planner, span time.Duration, ok func(Task, time.Time) bool) (requests int, perTask [numTasks]int, maxGap time.Duration) {
	now := t0
	var lastUnfinished time.Time
	for now.Before(t0.Add(span)) {
		for _, task := range p.Due(now) {
			requests++
			perTask[task]++
			success := ok(task, now)
			if task == TaskUnfinished && success {
				if !lastUnfinished.IsZero() && now.Sub(lastUnfinished) > maxGap {
					maxGap = now.Sub(lastUnfinished)
				}
				lastUnfinished = now
			}
			p.Done(task, now, success)
			if !success {
				break
			}
		}
		wake := p.Wake()
		if !wake.After(now) {
			panic("planner wakes in the past: " + wake.String())
		}
		now = wake
	}
	return requests, perTask, maxGap
}

func TestScheduleStaysUnderTheBudgetAndWithin30s(t *testing.T) {
	t.Parallel()
	s := DefaultSchedule()
	if rate := s.RequestsPerSecond(); rate > 0.048 {
		t.Errorf("the schedule's own rate is %.4f req/s: no room left for job lookups under 0.05", rate)
	}
	if max := s.MaxInterval(TaskUnfinished); max > 28500*time.Millisecond {
		t.Errorf("unfinished jobs up to %v apart: a change could take more than 30 s to be seen", max)
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		p := NewPlanner(s, t0, rng.Float64)
		p.Disable(TaskAllJobs) // a Manager before 3.6, polled
		requests, perTask, maxGap := simulate(p, time.Hour, func(Task, time.Time) bool { return true })
		if rate := float64(requests) / 3600; rate > 0.05 {
			t.Errorf("seed %d: %d requests in an hour (%.4f/s) %v", seed, requests, rate, perTask)
		}
		if maxGap > s.MaxInterval(TaskUnfinished) {
			t.Errorf("seed %d: unfinished jobs polled %v apart", seed, maxGap)
		}
		// The first status right away: every task at the start, then on its own interval.
		if perTask[TaskWorkers] < 12 || perTask[TaskWorkers] > 14 || perTask[TaskMyRecent] > 2 {
			t.Errorf("seed %d: %v", seed, perTask)
		}
	}
}

func TestPlannerRunsEverythingFirstThenSpreadsOut(t *testing.T) {
	t.Parallel()
	p := NewPlanner(DefaultSchedule(), t0, func() float64 { return 0.5 })
	if due := p.Due(t0); len(due) != int(numTasks) || due[0] != TaskAllJobs || due[1] != TaskUnfinished {
		t.Fatalf("at the start: %v, want every task, the list of all jobs (which tells the API generation) first", due)
	}
	for _, task := range p.Due(t0) {
		p.Done(task, t0, true)
	}
	if due := p.Due(t0.Add(25 * time.Second)); len(due) != 0 {
		t.Errorf("25 s later: %v", due)
	}
	if wake := p.Wake(); wake != t0.Add(27*time.Second) {
		t.Errorf("wakes at %v, want 27 s after the start (jitter 0)", wake.Sub(t0))
	}
}

func TestPlannerJittersEachInterval(t *testing.T) {
	t.Parallel()
	for _, r := range []struct {
		random float64
		want   time.Duration
	}{{0, 25650 * time.Millisecond}, {0.5, 27 * time.Second}, {0.999999, 28350 * time.Millisecond}} {
		p := NewPlanner(DefaultSchedule(), t0, func() float64 { return r.random })
		p.Done(TaskUnfinished, t0, true)
		if got := p.next[TaskUnfinished].Sub(t0); got.Round(time.Millisecond) != r.want {
			t.Errorf("random %v: next in %v, want %v", r.random, got, r.want)
		}
	}
}

func TestPlannerBacksOffAloneOnErrors(t *testing.T) {
	t.Parallel()
	s := DefaultSchedule()
	p := NewPlanner(s, t0, func() float64 { return 0.5 })
	p.Done(TaskUnfinished, t0, false)
	if !p.Failing() || len(p.Due(t0)) != 0 {
		t.Fatalf("after an error: failing %v, due %v", p.Failing(), p.Due(t0))
	}
	var gaps []time.Duration
	now := t0
	for range 8 {
		wake := p.Wake()
		gaps = append(gaps, wake.Sub(now))
		now = wake
		if due := p.Due(now); len(due) != 1 || due[0] != TaskUnfinished {
			t.Fatalf("retry: due %v, want only the failed task", due)
		}
		p.Done(TaskUnfinished, now, false)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		10 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i := range want {
		if gaps[i] != want[i] {
			t.Errorf("gaps %v, want %v", gaps, want)
			break
		}
	}
	// It recovers: the retried task succeeds and the others, overdue, run at once.
	now = p.Wake()
	p.Done(TaskUnfinished, now, true)
	if due := p.Due(now); len(due) != int(numTasks)-1 || p.Failing() {
		t.Errorf("after recovery: due %v, failing %v", due, p.Failing())
	}
}

func TestPlannerAnHourOfErrorsCostsLittle(t *testing.T) {
	t.Parallel()
	p := NewPlanner(DefaultSchedule(), t0, rand.New(rand.NewPCG(7, 7)).Float64)
	requests, _, _ := simulate(p, time.Hour, func(Task, time.Time) bool { return false })
	if requests > 12 {
		t.Errorf("%d requests in an hour to a Manager that always fails", requests)
	}
}

func TestPlannerDisableEnableSoon(t *testing.T) {
	t.Parallel()
	p := NewPlanner(DefaultSchedule(), t0, func() float64 { return 0.5 })
	p.Disable(TaskFarmStatus)
	for _, task := range p.Due(t0) {
		if task == TaskFarmStatus {
			t.Error("a disabled task is due")
		}
		p.Done(task, t0, true)
	}
	later := t0.Add(10 * time.Second)
	p.Soon(TaskMyRecent, later)
	if due := p.Due(later); len(due) != 1 || due[0] != TaskMyRecent {
		t.Errorf("Soon: due %v", due)
	}
	p.Enable(TaskFarmStatus, later)
	if !p.Enabled(TaskFarmStatus) || len(p.Due(later)) != 2 {
		t.Errorf("Enable: due %v", p.Due(later))
	}
}

func TestPlannerAllDueForgetsTheBackoff(t *testing.T) {
	t.Parallel()
	p := NewPlanner(DefaultSchedule(), t0, func() float64 { return 0.5 })
	for _, task := range p.Due(t0) {
		p.Done(task, t0, true)
	}
	p.Done(TaskAllJobs, t0.Add(time.Minute), false) // backing off: only the failed task, later
	if due := p.Due(t0.Add(time.Minute)); len(due) != 0 {
		t.Fatalf("while backing off: %v", due)
	}
	// The event bus connected: a full status, every task, at once.
	p.AllDue(t0.Add(time.Minute))
	if due := p.Due(t0.Add(time.Minute)); len(due) != int(numTasks) {
		t.Errorf("after AllDue: %v, want every task", due)
	}
}
