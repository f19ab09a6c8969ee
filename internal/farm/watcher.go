package farm

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/clock"
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

// Event is a change the Watcher reports to OnEvent.
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
	Client   *managerapi.Client // or BaseURL, for a Client with the defaults
	BaseURL  string
	Identity Identity
	Watched  []string // ids of jobs the user picked to watch
	Logger   zerolog.Logger
	Clock    clock.Clock // nil: the system clock; a test's fake clock moves the timers by hand
	// OnEvent, if set, gets every Event, in order, from a goroutine of Run's (eventQueue has the
	// rule: ends and transitions are never dropped, a summary only for a newer one). It may take its
	// time, never forever: Run returns once every event queued before ctx ended was handed over.
	OnEvent func(Event)
	// Vouch, if set, is called (from the Watcher's goroutine) with true when the Watcher has just
	// heard from the Manager (its event bus connected; while polling, a round answered) and with
	// false when it no longer can say so (a request failed, the bus could not be reached again after
	// its connection ended). While the last call said true, discovery need not check the Manager over
	// HTTP.
	Vouch func(alive bool)
}

// Watcher follows one Manager until its context ends, and keeps the Summary. It prefers the
// Manager's event bus: a full status over HTTP when the bus connects (and again at each
// reconnection), then the bus's updates as they come, with a few requests on slow timers. Where the
// bus cannot be had, it polls (see Planner) and tries the bus again now and then. Summary never
// waits for the Manager, nor does the Watcher wait for OnEvent.
type Watcher struct {
	client  *managerapi.Client
	log     zerolog.Logger
	clock   clock.Clock
	vouch   func(bool)
	vouched bool // what vouch was told last; Run's goroutine only
	onEvent func(Event)

	wake   chan struct{} // 1 slot: Settings changed, plan again
	moved  chan struct{} // 1 slot: SetURL gave a new address
	events *eventQueue   // closed when Run returns; pushed to under mu, in the order of the changes

	mu         sync.Mutex
	view       *view
	planner    *Planner
	generation generation
	succeeded  [numTasks]bool
	summary    Summary
	farmState  managerapi.FarmState // for FarmStateChanged: FarmUnknown while unavailable
	connection Connection
	moveTo     string // the address SetURL gave, taken by Run
}

// generation is which jobs API a Manager has.
type generation int

const (
	genUnknown generation = iota
	genList               // Flamenco 3.6+: GET /api/v3/jobs lists every job
	genQuery              // Flamenco 3.3–3.5: POST /api/v3/jobs/query
)

// NewWatcher returns a Watcher; Run starts it.
func NewWatcher(cfg WatcherConfig) *Watcher {
	w := &Watcher{client: cfg.Client, clock: cfg.Clock, vouch: cfg.Vouch, onEvent: cfg.OnEvent,
		wake: make(chan struct{}, 1), moved: make(chan struct{}, 1), events: newEventQueue()}
	if w.client == nil {
		w.client = managerapi.NewClient(cfg.BaseURL)
	}
	if w.clock == nil {
		w.clock = clock.System{}
	}
	manager := w.client.BaseURL()
	w.log = cfg.Logger.With().Str("component", "farm").Str("manager", manager).Logger()
	now := w.clock.Now()
	w.view = newView(manager, cfg.Identity, cfg.Watched, now)
	w.planner = NewPlanner(now, rand.Float64)
	w.setGenerationLocked(genUnknown, now)
	w.summary = w.view.summary(now, time.Local)
	return w
}

// Summary returns what is known of the farm now.
func (w *Watcher) Summary() Summary {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.summary.Clone()
}

// SetIdentity changes whose jobs are "mine", without a restart: the user's latest jobs are asked
// for at once.
func (w *Watcher) SetIdentity(id Identity) {
	w.mu.Lock()
	now := w.clock.Now()
	w.view.setIdentity(id, now)
	w.setGenerationLocked(w.generation, now)
	// The new name's jobs: from the complete list (3.6+) or the filtered query, at once.
	w.planner.Soon(TaskAllJobs, now)
	w.planner.Soon(TaskMyRecent, now)
	w.publishLocked(now)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// SetWatched sets the jobs the user picked to watch (besides their own).
func (w *Watcher) SetWatched(ids []string) {
	w.mu.Lock()
	w.view.setWatched(ids)
	w.publishLocked(w.clock.Now())
	w.mu.Unlock()
}

// setGenerationLocked enables the tasks of a jobs API generation: the complete list (tried first
// while unknown) or the filtered queries. w.mu held.
func (w *Watcher) setGenerationLocked(g generation, now time.Time) {
	w.generation = g
	list := []Task{TaskAllJobs}
	queries := []Task{TaskUnfinished, TaskFinished, TaskMyRecent}
	enable, disable := list, queries
	if g == genQuery {
		enable, disable = queries, list
	}
	for _, t := range disable {
		w.planner.Disable(t)
	}
	for _, t := range enable {
		if !w.planner.Enabled(t) {
			w.planner.Enable(t, now)
		}
	}
	if w.view.identity.UserName == "" {
		w.planner.Disable(TaskMyRecent)
	}
}

// SetURL moves the Watcher to another address of the same Manager (discovery says which addresses
// are one Manager): it reconnects there and keeps what it knows, so a job that ends meanwhile is
// reported once, as on any reconnection.
func (w *Watcher) SetURL(url string) {
	w.mu.Lock()
	w.moveTo = url
	w.mu.Unlock()
	select {
	case w.moved <- struct{}{}:
	default:
	}
}

// takeMove switches to the address SetURL gave, if any; only Run's goroutine calls it, between
// connections, as it alone uses the client.
func (w *Watcher) takeMove() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.moveTo == "" || w.moveTo == w.client.BaseURL() {
		w.moveTo = ""
		return
	}
	w.client.CloseIdleConnections()
	w.client = w.client.At(w.moveTo)
	w.view.manager = w.client.BaseURL()
	w.log = w.log.With().Str("manager", w.view.manager).Logger()
	w.log.Info().Msg("following the Manager at its new address")
	w.moveTo = ""
}

// movePending says whether SetURL gave an address not taken yet.
func (w *Watcher) movePending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.moveTo != ""
}

// Run follows the Manager until ctx ends, then returns once its connections are closed and every
// event it queued has been handed to OnEvent.
func (w *Watcher) Run(ctx context.Context) {
	var delivering sync.WaitGroup
	delivering.Go(func() {
		w.events.deliver(func(e Event) {
			if w.onEvent != nil {
				w.onEvent(e)
			}
		})
	})
	defer delivering.Wait()
	defer w.events.close()
	defer func() { w.client.CloseIdleConnections() }()
	w.followLiveOrPoll(ctx)
}

// emitLocked queues the transitions for OnEvent. w.mu held.
func (w *Watcher) emitLocked(transitions []JobTransition) {
	if len(transitions) == 0 {
		return
	}
	now := w.clock.Now()
	summary := w.summaryLocked(now)
	for _, t := range transitions {
		kind := JobChanged
		if t.Finished() {
			kind = JobFinished
		}
		w.log.Info().Str("job", t.Job.ID).Str("name", t.Job.Name).Str("from", string(t.From)).Str("to", string(t.To)).
			Msg("job status changed")
		w.events.push(Event{Kind: kind, Time: now, Summary: summary, Transition: t})
	}
}

// summaryLocked is the view's summary with how the Manager is followed. w.mu held.
func (w *Watcher) summaryLocked(now time.Time) Summary {
	s := w.view.summary(now, time.Local)
	s.Connection = w.connection
	s.CanPause = w.generation == genList
	return s
}

// publishLocked recomputes the summary and queues what changed for OnEvent. w.mu held.
func (w *Watcher) publishLocked(now time.Time) {
	next := w.summaryLocked(now)
	changed := !sameContent(w.summary, next)
	w.summary = next
	farm := next.Farm
	if next.Unavailable != "" {
		farm = managerapi.FarmUnknown
	}
	if farm != w.farmState && w.view.primed {
		w.events.push(Event{Kind: FarmStateChanged, Time: now, Summary: next.Clone(), FarmFrom: w.farmState, FarmTo: farm})
	}
	w.farmState = farm
	if changed {
		w.events.push(Event{Kind: SummaryChanged, Time: now, Summary: next.Clone()})
	}
}
