package farm

import (
	"fmt"
	"time"
)

// Task is one kind of request the Watcher makes on its schedule.
type Task int

// The Watcher's tasks, the most urgent first.
const (
	// TaskAllJobs: every job (GET /api/v3/jobs, Flamenco 3.6+), read as a stream keeping what the menu
	// needs. Tried first: a Manager before 3.6 answers that it has no such endpoint, and the Watcher
	// then uses the filtered queries below instead. While the event bus is connected it is read only
	// when the bus (re)connects, never on a timer.
	TaskAllJobs Task = iota
	// TaskUnfinished: every job not finished yet (status_in active, queued, …), with its metadata:
	// the user's running jobs, and the counts. A job of the user's that leaves this set is then
	// asked for once (GET /api/v3/jobs/{id}) to learn how it ended.
	TaskUnfinished
	// TaskWorkers: the Workers, for their counts and the farm state.
	TaskWorkers
	// TaskFarmStatus: the farm state as the Manager computes it (3.5 and later; disabled after a 404).
	TaskFarmStatus
	// TaskFinished: the latest finished jobs (status_in completed, failed, canceled; -updated_at;
	// a small limit), for "failed today" and the user's jobs that finished between two polls.
	TaskFinished
	// TaskMyRecent: the user's latest jobs by the metadata filter, for "My jobs".
	TaskMyRecent
	numTasks
)

var taskNames = [numTasks]string{"all jobs", "unfinished jobs", "workers", "farm status", "finished jobs", "my recent jobs"}

func (t Task) String() string {
	if t < 0 || t >= numTasks {
		return fmt.Sprintf("task %d", int(t))
	}
	return taskNames[t]
}

// pollEvery is how often each task runs while the Manager's event bus cannot be had (behind a proxy
// that does not pass websockets): at most 0.1 requests a second, all included, with a change of the
// user's job seen within 30 s before 3.6 and something asked at least every 28.4 s, so that a Manager
// that stops answering is known within 45 s (see WatcherConfig.Vouch). Job lookups and the bus's
// retries come on top. See TestPollingStaysUnderTheBudgetAndHearsFromTheManagerOften and
// BenchmarkTrayLoadOnAManager.
var pollEvery = [numTasks]time.Duration{
	TaskAllJobs:    2 * time.Minute, // 1,000 jobs are 370 KB: 3 KB a second
	TaskUnfinished: 27 * time.Second,
	TaskWorkers:    5 * time.Minute,
	TaskFarmStatus: 25 * time.Second, // a few hundred bytes
	TaskFinished:   10 * time.Minute,
	TaskMyRecent:   time.Hour,
}

// Each interval varies by ±pollJitter so that the trays of a studio, started together at 9:00,
// spread out. A failed task is retried after pollRetryMin, doubled at each further error up to
// pollRetryMax.
const (
	pollJitter   = 0.05
	pollRetryMin = 30 * time.Second
	pollRetryMax = 10 * time.Minute
)

// Planner decides when each task runs: all at once at the start (the first status right after a
// Manager is listed), then each on its interval with jitter. After an error only the failed task
// is retried, alone, with exponential backoff, until it succeeds. A plain type: time and chance
// are passed in, so it is tested without a clock.
type Planner struct {
	random   func() float64 // in [0, 1)
	next     [numTasks]time.Time
	disabled [numTasks]bool
	failures int
	retry    Task
	retryAt  time.Time
}

// NewPlanner returns a planner with every task due at now. random returns numbers in [0, 1).
func NewPlanner(now time.Time, random func() float64) *Planner {
	p := &Planner{random: random}
	for t := range p.next {
		p.next[t] = now
	}
	return p
}

// Due returns the tasks to run at now, the most urgent first.
func (p *Planner) Due(now time.Time) []Task {
	if p.failures > 0 {
		if !now.Before(p.retryAt) {
			return []Task{p.retry}
		}
		return nil
	}
	var due []Task
	for t := range numTasks {
		if !p.disabled[t] && !now.Before(p.next[t]) {
			due = append(due, t)
		}
	}
	return due
}

// Wake returns when the next task falls due.
func (p *Planner) Wake() time.Time {
	if p.failures > 0 {
		return p.retryAt
	}
	var wake time.Time
	for t := range numTasks {
		if !p.disabled[t] && (wake.IsZero() || p.next[t].Before(wake)) {
			wake = p.next[t]
		}
	}
	return wake
}

// Done records that task t ran at now and whether it succeeded.
func (p *Planner) Done(t Task, now time.Time, ok bool) {
	if !ok {
		p.failures++
		p.retry = t
		p.retryAt = now.Add(p.jittered(min(pollRetryMin<<min(p.failures-1, 20), pollRetryMax)))
		return
	}
	p.failures = 0
	p.next[t] = now.Add(p.jittered(pollEvery[t]))
}

func (p *Planner) jittered(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 + pollJitter*(2*p.random()-1)))
}

// Disable stops task t (the Manager has no farm status endpoint; no user to ask jobs for).
func (p *Planner) Disable(t Task) { p.disabled[t] = true }

// Enable runs task t again, due at now.
func (p *Planner) Enable(t Task, now time.Time) {
	p.disabled[t] = false
	p.next[t] = now
}

// Enabled says whether task t is scheduled.
func (p *Planner) Enabled(t Task) bool { return !p.disabled[t] }

// AllDue makes every enabled task due at now and forgets the backoff: a full status is wanted (the
// event bus connected), whatever failed before.
func (p *Planner) AllDue(now time.Time) {
	p.failures = 0
	for t := range numTasks {
		if !p.disabled[t] {
			p.next[t] = now
		}
	}
}

// Soon makes task t due at now (the user changed who they are: ask for their jobs).
func (p *Planner) Soon(t Task, now time.Time) {
	if !p.disabled[t] {
		p.next[t] = now
	}
}
