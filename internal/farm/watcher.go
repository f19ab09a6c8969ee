package farm

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Limits of the Watcher's queries.
const (
	// unfinishedLimit bounds the unfinished-jobs query (newest first): a farm rarely has more.
	unfinishedLimit = 1000
	// finishedLimit bounds the finished-jobs query: enough for a day of a small farm's failures.
	finishedLimit = 50
	// myRecentLimit: the LIKE pattern for the user's jobs also matches longer names that end in
	// theirs; of these, MaxMyJobs are shown.
	myRecentLimit = 5 * MaxMyJobs
	// maxLookupsPerRound bounds the GETs of single jobs after one poll; the rest wait for the next.
	maxLookupsPerRound = 4
	// eventBuffer is each subscriber's channel size; a subscriber that falls further behind loses
	// events (logged), never slows the Watcher.
	eventBuffer = 64
)

// EventKind says what an Event reports.
type EventKind string

// The kinds of Event.
const (
	SummaryChanged   EventKind = "summary"      // Summary() shows something else
	JobChanged       EventKind = "job"          // one of my (or watched) jobs changed status, not to an end
	JobFinished      EventKind = "job-finished" // one of my (or watched) jobs completed, failed or was canceled
	FarmStateChanged EventKind = "farm"         // the farm state changed, or became (un)available
)

// Event is a change the Watcher reports to subscribers.
type Event struct {
	Kind       EventKind
	Time       time.Time
	Summary    Summary       // the summary after the change
	Transition JobTransition // for JobChanged and JobFinished
	// For FarmStateChanged: the state before and after; FarmUnknown while unavailable (Summary tells
	// why).
	FarmFrom, FarmTo managerapi.FarmState
}

// WatcherConfig configures a Watcher.
type WatcherConfig struct {
	Client *managerapi. // or BaseURL, for a Client with the defaults
		Client
	BaseURL  string
	Identity Identity
	Watched  []string // ids of jobs the user picked to watch
	Logger   zerolog.Logger
	Clock    discovery.Clock // nil: the system clock
	Schedule Schedule        // zero: DefaultSchedule()
	Random   func() float64  // in [0, 1), for jitter; nil: math/rand
	Location *time.Location  // where "today" is; nil: time.Local
}

// Watcher polls one Manager until its context ends: the first full status right after it starts,
// then only filtered queries on the Planner's schedule, and keeps the Summary. Summary and
// Subscribe never wait for the Manager.
type Watcher struct {
	client *managerapi.Client
	log    zerolog.Logger
	clock  discovery.Clock
	loc    *time.Location

	wake chan struct{} // 1 slot: Settings changed, plan again

	mu          sync.Mutex
	view        *view
	planner     *Planner
	succeeded   [numTasks]bool
	summary     Summary
	farmState   managerapi.FarmState // for FarmStateChanged: FarmUnknown while unavailable
	subscribers map[*subscriber]struct{}
	stats       WatcherStats
}

// WatcherStats counts what a Watcher did, for tests and the benchmark.
type WatcherStats struct {
	Requests int
	Rounds   int
	Waiting  bool // between rounds, waiting for the clock or a change of Settings
}

type subscriber struct {
	ch      chan Event
	dropped bool
}

// NewWatcher returns a Watcher; Run starts it.
func NewWatcher(cfg WatcherConfig) *Watcher {
	w := &Watcher{client: cfg.Client, clock: cfg.Clock, loc: cfg.Location, wake: make(chan struct{}, 1),
		subscribers: make(map[*subscriber]struct{})}
	if w.client == nil {
		w.client = managerapi.NewClient(cfg.BaseURL)
	}
	if w.clock == nil {
		w.clock = discovery.SystemClock{}
	}
	if w.loc == nil {
		w.loc = time.Local
	}
	schedule := cfg.Schedule
	if schedule == (Schedule{}) {
		schedule = DefaultSchedule()
	}
	random := cfg.Random
	if random == nil {
		random = rand.Float64
	}
	manager := w.client.BaseURL()
	w.log = cfg.Logger.With().Str("component", "farm").Str("manager", manager).Logger()
	now := w.clock.Now()
	w.view = newView(manager, cfg.Identity, cfg.Watched, now)
	w.planner = NewPlanner(schedule, now, random)
	if w.view.identity.UserName == "" {
		w.planner.Disable(TaskMyRecent)
	}
	w.summary = w.view.summary(now, w.loc)
	return w
}

// Summary returns what is known of the farm now.
func (w *Watcher) Summary() Summary {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.summary.Clone()
}

// Stats returns the Watcher's counts.
func (w *Watcher) Stats() WatcherStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Subscribe returns a channel of Events and a function that ends the subscription. Events are
// never waited for: a subscriber more than 64 events behind loses the newest (logged).
func (w *Watcher) Subscribe() (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, eventBuffer)}
	w.mu.Lock()
	w.subscribers[s] = struct{}{}
	w.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.subscribers, s)
			w.mu.Unlock()
		})
	}
}

// SetIdentity changes whose jobs are "mine", without a restart: the user's latest jobs are asked
// for at once.
func (w *Watcher) SetIdentity(id Identity) {
	w.mu.Lock()
	now := w.clock.Now()
	w.view.setIdentity(id, now)
	if w.view.identity.UserName == "" {
		w.planner.Disable(TaskMyRecent)
	} else {
		w.planner.Enable(TaskMyRecent, now)
	}
	w.publishLocked(now)
	w.mu.Unlock()
	w.poke()
}

// SetWatched sets the jobs the user picked to watch (besides their own).
func (w *Watcher) SetWatched(ids []string) {
	w.mu.Lock()
	w.view.setWatched(ids)
	w.publishLocked(w.clock.Now())
	w.mu.Unlock()
}

func (w *Watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run polls until ctx ends and returns nil then, with the Client's kept connections closed.
func (w *Watcher) Run(ctx context.Context) error {
	defer w.client.CloseIdleConnections()
	for {
		w.round(ctx) // its error is in the Summary
		if ctx.Err() != nil {
			return nil
		}
		w.mu.Lock()
		wait := w.planner.Wake().Sub(w.clock.Now())
		w.stats.Waiting = true
		w.mu.Unlock()
		timer := w.clock.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C():
		case <-w.wake:
			timer.Stop()
		}
		w.mu.Lock()
		w.stats.Waiting = false
		w.mu.Unlock()
	}
}

// Once asks for the first full status (every task once, at once) and returns the Summary, for a
// one-shot report such as `flamenco-tray status`. The error is the first that made the farm status
// unavailable (the Summary says so too); the tasks after it are not run.
func (w *Watcher) Once(ctx context.Context) (Summary, error) {
	err := w.round(ctx)
	if err == nil {
		err = ctx.Err()
	}
	return w.Summary(), err
}

// round runs the tasks that are due, in order, and stops at the first error (the Planner then
// retries that one alone, later), which it returns.
func (w *Watcher) round(ctx context.Context) error {
	w.mu.Lock()
	due := w.planner.Due(w.clock.Now())
	w.stats.Rounds++
	w.mu.Unlock()
	for _, task := range due {
		if ctx.Err() != nil {
			return nil
		}
		err := w.run(ctx, task)
		if ctx.Err() != nil {
			return nil // cancelled mid-request: not the Manager's fault
		}
		w.mu.Lock()
		now := w.clock.Now()
		w.planner.Done(task, now, err == nil)
		if err != nil {
			reason := Describe(err)
			if w.view.unavailable != reason {
				w.log.Warn().Err(err).Str("task", task.String()).Msg("farm status unavailable")
			}
			w.view.failed(reason)
			w.publishLocked(now)
			w.mu.Unlock()
			return err
		}
		if w.view.unavailable != "" {
			w.log.Info().Msg("farm status available again")
			// The Manager may have been upgraded meanwhile: ask for its farm status again.
			w.planner.Enable(TaskFarmStatus, now)
		}
		w.succeeded[task] = true
		w.view.succeeded(now)
		if !w.view.primed && w.allSucceededLocked() {
			w.view.prime()
		}
		w.publishLocked(now)
		w.mu.Unlock()
	}
	return nil
}

func (w *Watcher) allSucceededLocked() bool {
	for t := range numTasks {
		if w.planner.Enabled(t) && !w.succeeded[t] {
			return false
		}
	}
	return true
}

// run makes one task's requests and feeds the answers to the view.
func (w *Watcher) run(ctx context.Context, task Task) error {
	switch task {
	case TaskUnfinished:
		return w.pollUnfinished(ctx)
	case TaskWorkers:
		workers, err := w.request(func() (any, error) { return w.client.Workers(ctx) })
		if err == nil {
			w.mu.Lock()
			w.view.observeWorkers(workers.([]managerapi.Worker))
			w.mu.Unlock()
		}
		return err
	case TaskFarmStatus:
		var present bool
		state, err := w.request(func() (any, error) {
			state, p, err := w.client.FarmStatus(ctx)
			present = p
			return state, err
		})
		if err == nil {
			w.mu.Lock()
			w.view.observeFarmStatus(state.(managerapi.FarmState), present)
			if !present {
				w.log.Debug().Msg("no farm status endpoint (a Manager before 3.5): the farm state is computed here")
				w.planner.Disable(TaskFarmStatus)
			}
			w.mu.Unlock()
		}
		return err
	case TaskFinished:
		q := managerapi.JobQuery{StatusIn: []managerapi.JobStatus{managerapi.JobCompleted, managerapi.JobFailed, managerapi.JobCanceled}, OrderBy: managerapi.OrderUpdatedNewest, Limit: finishedLimit}
		jobs, err := w.request(func() (any, error) { return w.client.QueryJobs(ctx, q) })
		if err == nil {
			w.mu.Lock()
			w.emitLocked(w.view.observeFinished(jobs.([]managerapi.Job), finishedLimit))
			w.mu.Unlock()
		}
		return err
	case TaskMyRecent:
		w.mu.Lock()
		id := w.view.identity
		w.mu.Unlock()
		if id.UserName == "" {
			return nil
		}
		// The key quoted (the Client does it). A value with a % makes the Manager compare with SQL
		// LIKE, which ignores ASCII case and, with the % in front, finds DOMAIN\user too; the view
		// keeps only the jobs Identity.Owns ("malice" is not alice's, nor "jordan" dan's), so more are
		// asked for than are shown.
		q := managerapi.JobQuery{Metadata: map[string]string{id.MetadataKey: "%" + id.UserName}, OrderBy: managerapi.OrderUpdatedNewest, Limit: myRecentLimit}
		jobs, err := w.request(func() (any, error) { return w.client.QueryJobs(ctx, q) })
		if err == nil {
			w.mu.Lock()
			w.emitLocked(w.view.observeMyRecent(jobs.([]managerapi.Job)))
			w.mu.Unlock()
		}
		return err
	}
	return nil
}

// pollUnfinished asks for the unfinished jobs, then for each of mine that left them, how it ended.
func (w *Watcher) pollUnfinished(ctx context.Context) error {
	q := managerapi.JobQuery{StatusIn: managerapi.UnfinishedJobStatuses, OrderBy: managerapi.OrderUpdatedNewest, Limit: unfinishedLimit}
	answer, err := w.request(func() (any, error) { return w.client.QueryJobs(ctx, q) })
	if err != nil {
		return err
	}
	w.mu.Lock()
	transitions, left := w.view.observeUnfinished(answer.([]managerapi.Job))
	w.emitLocked(transitions)
	w.mu.Unlock()
	for _, id := range left[:min(len(left), maxLookupsPerRound)] {
		j, err := w.request(func() (any, error) { return w.client.Job(ctx, id) })
		w.mu.Lock()
		switch {
		case errors.Is(err, managerapi.ErrNotFound):
			w.view.observeJobGone(id)
		case err == nil:
			w.emitLocked(w.view.observeJob(j.(managerapi.Job)))
		}
		w.mu.Unlock()
		if err != nil && !errors.Is(err, managerapi.ErrNotFound) {
			return err
		}
	}
	return nil
}

// request makes one request, counted.
func (w *Watcher) request(do func() (any, error)) (any, error) {
	w.mu.Lock()
	w.stats.Requests++
	w.mu.Unlock()
	return do()
}

// emitLocked sends the transitions to subscribers. w.mu held.
func (w *Watcher) emitLocked(transitions []JobTransition) {
	if len(transitions) == 0 {
		return
	}
	now := w.clock.Now()
	summary := w.view.summary(now, w.loc)
	for _, t := range transitions {
		kind := JobChanged
		if t.Finished() {
			kind = JobFinished
		}
		w.log.Info().Str("job", t.Job.ID).Str("name", t.Job.Name).Str("from", string(t.From)).Str("to", string(t.To)).
			Msg("job status changed")
		w.sendLocked(Event{Kind: kind, Time: now, Summary: summary, Transition: t})
	}
}

// publishLocked recomputes the summary and tells subscribers what changed. w.mu held.
func (w *Watcher) publishLocked(now time.Time) {
	next := w.view.summary(now, w.loc)
	changed := !sameContent(w.summary, next)
	w.summary = next
	farm := next.Farm
	if next.Unavailable != "" {
		farm = managerapi.FarmUnknown
	}
	if farm != w.farmState && w.view.primed {
		w.sendLocked(Event{Kind: FarmStateChanged, Time: now, Summary: next.Clone(), FarmFrom: w.farmState, FarmTo: farm})
	}
	w.farmState = farm
	if changed {
		w.sendLocked(Event{Kind: SummaryChanged, Time: now, Summary: next.Clone()})
	}
}

func (w *Watcher) sendLocked(e Event) {
	for s := range w.subscribers {
		select {
		case s.ch <- e:
			s.dropped = false
		default:
			if !s.dropped {
				w.log.Warn().Str("event", string(e.Kind)).Msg("a subscriber of farm events is behind: events dropped")
				s.dropped = true
			}
		}
	}
}

// Watched returns the ids of the watched jobs, sorted.
func (w *Watcher) Watched() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for id := range w.view.watched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
