package farm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// How a Watcher uses the Manager's event bus.
const (
	// reconnectMin and reconnectMax bound the jittered back-off between reconnections.
	reconnectMin, reconnectMax = time.Second, time.Minute
	// fallbackAfter failed connections in a row (or one refusal) make the Watcher poll.
	fallbackAfter = 3
	// retryMin and retryMax bound, while polling, the wait before the next try of the bus.
	retryMin, retryMax = time.Minute, 10 * time.Minute
	// workersEvery is how often the Workers are read while live. A farm-state update on the bus
	// reads them too, at most every workersAfterStatus.
	workersEvery, workersAfterStatus = 5 * time.Minute, time.Minute
	// publishEvery bounds how often the summary is recomputed under a flood of updates. A job of
	// mine that changes is reported at once, whatever the pace.
	publishEvery = 100 * time.Millisecond
	// maxPendingOwners: more jobs of unknown owner at once than this (a thousand submitted together)
	// are learnt by one full status instead of one GET each.
	maxPendingOwners = 32
	// lookupsInFlight bounds the GETs of single jobs at once.
	lookupsInFlight = 2
)

// Connection says how a Watcher follows its Manager, for About and `status`.
type Connection struct {
	// Live: the event bus is connected; changes show within a second or two.
	Live bool
	// Fallback is why the Watcher polls instead, "" while live or trying to be.
	Fallback string
}

// followLiveOrPoll follows the Manager until ctx ends: live while the event bus connects, polling
// while it cannot, trying it again now and then. Connections that keep ending young (a proxy with a
// short idle timeout, a full read that fails) count toward polling like failed ones: each costs the
// Manager a full read.
func (w *Watcher) followLiveOrPoll(ctx context.Context) {
	// failures counts the dials in a row that failed; youngEnds the connections in a row that ended
	// within youngConnection (a Manager's restart is one of each, not three).
	failures, youngEnds, retry := 0, 0, retryMin
	for ctx.Err() == nil {
		w.takeMove()
		bus, err := connectEventBus(ctx, w.client.BaseURL(), w.log)
		if err == nil {
			failures, retry = 0, retryMin
			if lasted := w.followLive(ctx, bus); lasted >= youngConnection || w.movePending() {
				youngEnds = 0
				continue
			}
			if youngEnds++; youngEnds < fallbackAfter {
				w.sleep(ctx, w.backoff(youngEnds))
				continue
			}
			err = fmt.Errorf("%w: %d connections in a row ended within %v", errEndsYoung, youngEnds, youngConnection)
		}
		if ctx.Err() != nil {
			return
		}
		refused := errors.Is(err, managerapi.ErrEventBusRefused)
		if !errors.Is(err, errEndsYoung) {
			failures++
			w.log.Debug().Err(err).Int("failures", failures).Msg("cannot connect to the event bus")
			if !refused {
				w.heard(false) // nothing answered: discovery checks the Manager at once
			}
		}
		if refused || failures >= fallbackAfter || youngEnds >= fallbackAfter {
			w.fallBack(err)
			w.pollUntil(ctx, w.clock.Now().Add(w.jittered(retry)))
			retry = min(2*retry, retryMax)
			continue
		}
		w.sleep(ctx, w.backoff(failures))
	}
}

// youngConnection: an event-bus connection that ends sooner counts as failed.
const youngConnection = time.Minute

// errEndsYoung says why the Watcher polls when its connections keep ending young.
var errEndsYoung = errors.New("the event bus keeps closing soon after connecting (a proxy's idle timeout?)")

// fallBack says, in the log once and in the summary, that the Watcher polls and why.
func (w *Watcher) fallBack(err error) {
	reason := "polling: the Manager's event bus cannot be reached (" + err.Error() + ")"
	if errors.Is(err, managerapi.ErrEventBusRefused) {
		reason = "polling: the event bus was refused (" + err.Error() + "); a proxy that does not pass websockets?"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.connection.Fallback != reason {
		w.log.Warn().Err(err).Msg("no live updates from the Manager: polling instead, trying the event bus again now and then")
	}
	w.connection = Connection{Fallback: reason}
	w.publishLocked(w.clock.Now())
}

// backoff is the jittered wait before reconnection attempt n (1, 2, …).
func (w *Watcher) backoff(n int) time.Duration {
	d := reconnectMin << min(max(n-1, 0), 16)
	return w.jittered(min(d, reconnectMax))
}

// jittered spreads d by ±20 %, so that the trays of a studio do not reconnect in step after a
// Manager restart.
func (w *Watcher) jittered(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (w *Watcher) sleep(ctx context.Context, d time.Duration) {
	timer := w.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C():
	case <-w.moved: // the loop takes the move
	}
}

// pollUntil polls on the Planner's schedule until ctx ends or until (zero: never).
func (w *Watcher) pollUntil(ctx context.Context, until time.Time) {
	for {
		w.round(ctx) // its error is in the Summary
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		wake := w.planner.Wake()
		if !until.IsZero() && until.Before(wake) {
			wake = until
		}
		wait := wake.Sub(w.clock.Now())
		w.mu.Unlock()
		timer := w.clock.NewTimer(max(wait, 0))
		moved := false
		select {
		case <-ctx.Done():
		case <-timer.C():
		case <-w.wake:
		case <-w.moved:
			moved = true
		}
		timer.Stop()
		if moved || ctx.Err() != nil || !until.IsZero() && !w.clock.Now().Before(until) {
			return
		}
	}
}

// followLive follows one event-bus connection until it ends, and returns how long it lasted.
func (w *Watcher) followLive(ctx context.Context, bus *managerapi.EventBus) time.Duration {
	started := w.clock.Now()
	w.setLive(true)
	defer w.setLive(false)
	s := &liveSession{w: w, bus: bus, updates: make(chan liveItem, liveBuffer),
		lookups: make(chan lookupResult, lookupsInFlight)}
	err := s.run(ctx)
	if ctx.Err() == nil {
		w.log.Info().Err(err).Msg("event bus connection ended: reconnecting")
	}
	return w.clock.Now().Sub(started)
}

// setLive records that the event bus connected (the summary says Live once the farm is read:
// liveSession.resync) or that the connection ended. An end alone does not stop the vouching: the
// reconnection right after tells (a proxy that cuts connections would otherwise have discovery
// check the Manager at each cut); a reconnection that fails stops it.
func (w *Watcher) setLive(connected bool) {
	if connected {
		w.log.Debug().Msg("event bus connected")
		w.heard(true)
		return
	}
	w.mu.Lock()
	w.connection = Connection{}
	w.publishLocked(w.clock.Now())
	w.mu.Unlock()
}

// heard tells Vouch when what the Watcher can say of the Manager changed: that it just heard from it,
// or that it no longer can say so. Only Run's goroutine calls it.
func (w *Watcher) heard(alive bool) {
	if w.vouched == alive {
		return
	}
	w.vouched = alive
	if w.vouch != nil {
		w.vouch(alive)
	}
}

// liveBuffer is how many updates wait while a full status is read; past it the reader waits, and
// the Manager's own queue for this connection takes the rest.
const liveBuffer = 1024

type liveItem struct {
	update managerapi.BusEvent
	err    error
}

type lookupResult struct {
	id  string
	job managerapi.Job
	err error
}

// liveSession is one event-bus connection: a reader goroutine feeds updates in order; the session's
// goroutine applies them, asks for the owners of new jobs (at most lookupsInFlight at once) and
// reads the Workers on a slow timer. It owns every goroutine it starts.
type liveSession struct {
	w       *Watcher
	bus     *managerapi.EventBus
	updates chan liveItem
	lookups chan lookupResult

	wg              sync.WaitGroup
	queue           []string  // jobs whose owner is to be asked for
	lookupsAt       time.Time // not before then, after a failed one
	lookupFailures  int       // in a row
	inFlight        int
	resyncWanted    bool
	dirty           bool // the summary is to be published
	lastPublish     time.Time
	workersAt       time.Time // the next read of the Workers
	workersReadAt   time.Time // the last
	workersFailures int       // in a row
}

func (s *liveSession) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer s.wg.Wait()
	defer s.bus.Close()
	defer cancel()
	s.wg.Add(1)
	go s.read(ctx)
	if err := s.resync(ctx); err != nil {
		return fmt.Errorf("full status after connecting: %w", err)
	}
	return s.loop(ctx)
}

// read hands the bus's updates over in order until the connection ends.
func (s *liveSession) read(ctx context.Context) {
	defer s.wg.Done()
	for {
		update, err := s.bus.Next(ctx)
		select {
		case s.updates <- liveItem{update: update, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}
