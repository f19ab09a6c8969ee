package app

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
)

// lendingSet lends this computer to the farms the user chose while they are away: one
// lending.Lender per Manager that lending is on for, driving the Worker Supervisor of workerSet, so
// that "Run a Worker here" and lending share one Worker. A Lender runs from when its Manager is
// listed with lending on until lending to it is turned off or the tray quits.
//
// Concurrency: Run, a goroutine of the tray's owner, alone starts and stops Lenders (sync), making
// them holding no lock and recording them under mu. mu guards the fields below it and is never held
// while calling another component. Each Lender runs in goroutines of the owner (GoOwned), ended by
// its own cancel or by the tray's context.
type lendingSet struct {
	cfg     lendingConfig
	log     zerolog.Logger
	syncNow chan struct{}  // 1 slot: Run syncs the Lenders with the Managers listed
	applied lending.Policy // the policy every Lender has; Run's goroutine only

	mu        sync.Mutex
	urls      map[string]bool         // the Managers' URLs lending is on for (settings.LendTo)
	policy    lending.Policy          // Settings' latest
	byManager map[string]*lenderEntry // by Manager ID; written by Run's goroutine alone
	problems  map[string]string       // why a Manager lending is on for has no Lender; each logged once
}

// lendingConfig configures a lendingSet.
type lendingConfig struct {
	Log     zerolog.Logger
	Ctx     context.Context // the tray's: Lenders and the Workers they start live within it
	GoOwned func(func())
	Listed  func() []discovery.Manager // the Browser's
	// WorkerFor is the Worker a Lender drives for m; it changes with the Worker program in Settings.
	WorkerFor func(m discovery.Manager) (lending.Worker, error)
	ReadIdle  func(ctx context.Context) (time.Duration, bool, error)
	// LendTo are the URLs of the Managers lending is on for; Policy is Settings'.
	LendTo []string
	Policy lending.Policy
	// OnChange asks for a menu rebuild; OnBack tells a user back what was rendered. Neither blocks.
	OnChange func()
	OnBack   func(lending.Tally)
}

// lenderEntry is one Manager's Lender and what stops it.
type lenderEntry struct {
	lender *lending.Lender
	worker lending.Worker
	url    string
	stop   context.CancelFunc
	done   chan struct{} // closed once its Run and the following of its statuses have returned
}

func newLendingSet(c lendingConfig) *lendingSet {
	l := &lendingSet{cfg: c, log: c.Log.With().Str("component", "lending").Logger(), syncNow: make(chan struct{}, 1),
		applied: c.Policy, urls: map[string]bool{}, policy: c.Policy, byManager: map[string]*lenderEntry{},
		problems: map[string]string{}}
	for _, url := range c.LendTo {
		l.urls[url] = true
	}
	return l
}

// Run syncs the Lenders with the Managers listed whenever asked (requestSync), until the tray's
// context ends.
func (l *lendingSet) Run() {
	forEach(l.cfg.Ctx, l.syncNow, func(struct{}) { l.sync(l.cfg.Listed()) })
}

// requestSync has Run sync the Lenders soon: after the list of Managers, lending's switches or the
// Worker program changed. It never waits; requests made before Run gets to them merge.
func (l *lendingSet) requestSync() {
	poke(l.syncNow)
}

// lendsTo says whether lending to the Manager at url is on.
func (l *lendingSet) lendsTo(url string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.urls[url]
}

// set turns lending to m on or off; Run starts or stops its Lender.
func (l *lendingSet) set(m discovery.Manager, on bool) {
	l.mu.Lock()
	if on {
		l.urls[m.URL] = true
	} else {
		delete(l.urls, m.URL)
	}
	l.mu.Unlock()
	l.requestSync()
}

// sync starts, restarts (for a new Worker) and stops Lenders as lending's switches and the listed
// Managers say, and gives every Lender the policy saved last. Only Run's goroutine calls it.
func (l *lendingSet) sync(listed []discovery.Manager) {
	if l.cfg.Ctx.Err() != nil {
		return
	}
	l.mu.Lock()
	urls, known, policy := maps.Clone(l.urls), maps.Clone(l.problems), l.policy
	l.mu.Unlock()
	made := map[string]*lenderEntry{} // new Lenders, not started, by Manager ID
	problems := map[string]string{}
	for _, m := range listed {
		if !urls[m.URL] {
			continue
		}
		worker, err := l.cfg.WorkerFor(m)
		if err != nil {
			if known[m.ID] == "" {
				l.log.Error().Err(err).Str("manager", m.URL).Msg("cannot lend this computer: no Worker for this Manager")
			}
			problems[m.ID] = "no Worker can be run for this Manager (details in the log)"
			continue
		}
		// byManager is written by this goroutine alone: reading it here needs no lock.
		if e := l.byManager[m.ID]; e == nil || e.worker != worker || e.url != m.URL {
			made[m.ID] = l.newEntry(m, worker, policy)
		}
	}
	stopping, changed := l.apply(listed, made, problems)
	for _, e := range stopping {
		e.stop()
	}
	if policy != l.applied {
		for _, e := range l.byManager {
			e.lender.SetPolicy(policy)
		}
		l.applied = policy
	}
	if changed {
		l.cfg.OnChange()
	}
}

// newEntry makes a Lender of m's worker, for apply to start.
func (l *lendingSet) newEntry(m discovery.Manager, worker lending.Worker, policy lending.Policy) *lenderEntry {
	// The load is measured only under a policy's LoadLimit.
	readLoad := lending.NewLoadMeter(func() int { return worker.State().PID }).Read
	return &lenderEntry{worker: worker, url: m.URL, done: make(chan struct{}),
		lender: lending.NewLender(lending.Config{Worker: worker, ReadIdle: l.cfg.ReadIdle, ReadLoad: readLoad, Policy: policy,
			Logger: l.log.With().Str("manager", m.URL).Logger(), OnBack: l.cfg.OnBack, WorkerLifetime: l.cfg.Ctx})}
}

// apply records what sync found as lending's switches stand now (a later change has its own sync
// on the way): it starts the Lenders made, returns those to stop, and whether the menu changed.
func (l *lendingSet) apply(listed []discovery.Manager, made map[string]*lenderEntry, problems map[string]string) (stopping []*lenderEntry, changed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, e := range l.byManager {
		if !l.urls[e.url] {
			stopping = append(stopping, e)
			delete(l.byManager, id)
		}
	}
	for id, e := range made {
		if !l.urls[e.url] {
			continue // turned off meanwhile: never started
		}
		previous := l.byManager[id]
		if previous != nil {
			stopping = append(stopping, previous)
		}
		ctx, stop := context.WithCancel(l.cfg.Ctx)
		e.stop = stop
		l.byManager[id] = e
		l.log.Info().Str("manager", e.url).Msg("lending this computer to this Manager's farm while you are away")
		l.cfg.GoOwned(func() { l.run(ctx, e, previous) })
	}
	before := maps.Clone(l.problems)
	for _, m := range listed {
		if problem := problems[m.ID]; problem != "" && l.urls[m.URL] {
			l.problems[m.ID] = problem
		} else {
			delete(l.problems, m.ID)
		}
	}
	return stopping, len(stopping) > 0 || !maps.Equal(before, l.problems)
}

// run runs e's Lender once the one it replaced has ended (it may be sending the Worker asleep), and
// asks for a rebuild on each change of its status, until ctx ends.
func (l *lendingSet) run(ctx context.Context, e, previous *lenderEntry) {
	defer close(e.done)
	if previous != nil {
		select {
		case <-previous.done:
		case <-ctx.Done():
			return
		}
	}
	statuses, unsubscribe := e.lender.Subscribe()
	defer unsubscribe()
	var following sync.WaitGroup // ends when ctx does
	following.Go(func() { forEach(ctx, statuses, func(lending.Status) { l.cfg.OnChange() }) })
	if err := e.lender.Run(ctx); err != nil {
		l.log.Error().Err(err).Str("manager", e.url).Msg("lending stopped")
	}
	following.Wait()
}

// setPolicy takes Settings' policy; Run gives it to every Lender.
func (l *lendingSet) setPolicy(p lending.Policy) {
	l.mu.Lock()
	l.policy = p
	l.mu.Unlock()
	l.requestSync()
}

// lender is the Lender of a Manager, nil for none.
func (l *lendingSet) lender(managerID string) *lending.Lender {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byManager[managerID]; e != nil {
		return e.lender
	}
	return nil
}

// statuses are the Lenders' statuses for the menu, by Manager ID; a Manager without a Lender says
// why, as one whose idle cannot be read does.
func (l *lendingSet) statuses() map[string]lending.Status {
	l.mu.Lock()
	lenders := make(map[string]*lending.Lender, len(l.byManager))
	for id, e := range l.byManager {
		lenders[id] = e.lender
	}
	statuses := make(map[string]lending.Status, len(lenders)+len(l.problems))
	for id, problem := range l.problems {
		statuses[id] = lending.Status{Decision: lending.Decision{Mode: lending.NoIdle, Reason: problem}}
	}
	l.mu.Unlock()
	for id, lender := range lenders {
		statuses[id] = lender.Status()
	}
	return statuses
}
