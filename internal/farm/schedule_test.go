package farm

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// simulate runs a planner for span, each task taking no time, ok deciding whether it succeeds.
// It returns how many requests went out, the longest gap between two unfinished-job polls and the
// longest between any two requests.
func simulate(p *Planner, span time.Duration, ok func(Task, time.Time) bool) (requests int, perTask [numTasks]int, maxGap, maxQuiet time.Duration) {
	now := t0
	var lastUnfinished, lastRequest time.Time
	for now.Before(t0.Add(span)) {
		for _, task := range p.Due(now) {
			requests++
			perTask[task]++
			if !lastRequest.IsZero() {
				maxQuiet = max(maxQuiet, now.Sub(lastRequest))
			}
			lastRequest = now
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
	return requests, perTask, maxGap, maxQuiet
}

// Polling (no event bus) costs a Manager at most 0.1 requests a second, all included: the schedule
// leaves room for job lookups and the bus's retries, and asks something at least every 28.4 s, so that
// a Manager that stops answering is noticed (and handed to discovery) well within 45 s, while
// discovery does not check it at all. A change of my job is seen within 30 s before 3.6.
func TestPollingStaysUnderTheBudgetAndHearsFromTheManagerOften(t *testing.T) {
	t.Parallel()
	if max := maxInterval(TaskUnfinished); max > 28500*time.Millisecond {
		t.Errorf("unfinished jobs up to %v apart: a change could take more than 30 s to be seen", max)
	}
	for _, gen := range []struct {
		name     string
		disabled []Task
		budget   float64
	}{
		{"3.3-3.4", []Task{TaskAllJobs, TaskFarmStatus}, 0.05},
		{"3.5", []Task{TaskAllJobs}, 0.09},
		{"3.6+", []Task{TaskUnfinished, TaskFinished, TaskMyRecent}, 0.06},
	} {
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 1))
			p := NewPlanner(t0, rng.Float64)
			for _, task := range gen.disabled {
				p.Disable(task)
			}
			requests, perTask, maxGap, maxQuiet := simulate(p, time.Hour, func(Task, time.Time) bool { return true })
			if rate := float64(requests) / 3600; rate > gen.budget {
				t.Errorf("%s, seed %d: %d requests in an hour (%.4f/s, budget %.2f) %v", gen.name, seed, requests, rate, gen.budget, perTask)
			}
			if p.Enabled(TaskUnfinished) && maxGap > maxInterval(TaskUnfinished) {
				t.Errorf("%s, seed %d: unfinished jobs polled %v apart", gen.name, seed, maxGap)
			}
			if maxQuiet > maxInterval(TaskUnfinished) {
				t.Errorf("%s, seed %d: %v without a request", gen.name, seed, maxQuiet)
			}
			// The first status right away: every task at the start, then on its own interval.
			if perTask[TaskWorkers] < 12 || perTask[TaskWorkers] > 14 || perTask[TaskMyRecent] > 2 {
				t.Errorf("%s, seed %d: %v", gen.name, seed, perTask)
			}
		}
	}
}

// maxInterval is the longest time between two runs of task t without errors.
func maxInterval(t Task) time.Duration {
	return time.Duration(float64(pollEvery[t]) * (1 + pollJitter))
}

func TestPlannerRunsEverythingFirstThenSpreadsOut(t *testing.T) {
	t.Parallel()
	p := NewPlanner(t0, func() float64 { return 0.5 })
	if due := p.Due(t0); len(due) != int(numTasks) || due[0] != TaskAllJobs || due[1] != TaskUnfinished {
		t.Fatalf("at the start: %v, want every task, the list of all jobs (which tells the API generation) first", due)
	}
	for _, task := range p.Due(t0) {
		p.Done(task, t0, true)
	}
	if due := p.Due(t0.Add(24 * time.Second)); len(due) != 0 {
		t.Errorf("24 s later: %v", due)
	}
	if wake := p.Wake(); wake != t0.Add(25*time.Second) {
		t.Errorf("wakes at %v, want 25 s after the start, for the farm status (jitter 0)", wake.Sub(t0))
	}
}

func TestPlannerJittersEachInterval(t *testing.T) {
	t.Parallel()
	for _, r := range []struct {
		random float64
		want   time.Duration
	}{{0, 25650 * time.Millisecond}, {0.5, 27 * time.Second}, {0.999999, 28350 * time.Millisecond}} {
		p := NewPlanner(t0, func() float64 { return r.random })
		p.Done(TaskUnfinished, t0, true)
		if got := p.next[TaskUnfinished].Sub(t0); got.Round(time.Millisecond) != r.want {
			t.Errorf("random %v: next in %v, want %v", r.random, got, r.want)
		}
	}
}

func TestPlannerBacksOffAloneOnErrors(t *testing.T) {
	t.Parallel()
	p := NewPlanner(t0, func() float64 { return 0.5 })
	p.Done(TaskUnfinished, t0, false)
	if p.failures == 0 || len(p.Due(t0)) != 0 {
		t.Fatalf("after an error: %d failures, due %v", p.failures, p.Due(t0))
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
	if due := p.Due(now); len(due) != int(numTasks)-1 || p.failures != 0 {
		t.Errorf("after recovery: due %v, %d failures", due, p.failures)
	}
}

func TestPlannerAnHourOfErrorsCostsLittle(t *testing.T) {
	t.Parallel()
	p := NewPlanner(t0, rand.New(rand.NewPCG(7, 7)).Float64)
	requests, _, _, _ := simulate(p, time.Hour, func(Task, time.Time) bool { return false })
	if requests > 12 {
		t.Errorf("%d requests in an hour to a Manager that always fails", requests)
	}
}

func TestPlannerDisableEnableSoon(t *testing.T) {
	t.Parallel()
	p := NewPlanner(t0, func() float64 { return 0.5 })
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
	p := NewPlanner(t0, func() float64 { return 0.5 })
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
