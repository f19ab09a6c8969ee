package farm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// loop applies updates until the connection ends.
func (s *liveSession) loop(ctx context.Context) error {
	w := s.w
	for {
		if s.resyncWanted {
			if err := s.resync(ctx); err != nil {
				return fmt.Errorf("full status: %w", err)
			}
		}
		if !w.clock.Now().Before(s.workersAt) {
			s.readWorkers(ctx)
		}
		s.startLookups(ctx)
		timer := w.clock.NewTimer(s.nextWake().Sub(w.clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case item := <-s.updates:
			timer.Stop()
			if item.err != nil {
				return item.err
			}
			s.apply(item.update)
		case r := <-s.lookups:
			timer.Stop()
			s.inFlight--
			s.lookedUp(r)
		case <-w.wake:
			timer.Stop()
			s.resyncWanted = true // Settings changed whose jobs are mine
		case <-w.moved:
			timer.Stop()
			return errMoved
		case <-timer.C():
		}
		s.publishIfDue()
	}
}

// nextWake is when the loop has something to do without an update: publish, read the Workers, ask
// again for owners it could not learn.
func (s *liveSession) nextWake() time.Time {
	wake := s.workersAt
	if len(s.queue) > 0 && s.lookupsAt.Before(wake) {
		wake = s.lookupsAt
	}
	if s.dirty {
		if at := s.lastPublish.Add(publishEvery); at.Before(wake) {
			wake = at
		}
	}
	return wake
}

// resync reads the full status over HTTP while updates wait, then applies those of the waiting
// updates that the status does not already show.
func (s *liveSession) resync(ctx context.Context) error {
	w := s.w
	s.resyncWanted, s.queue = false, nil
	if err := w.fullStatus(ctx); err != nil {
		return err
	}
	var waiting []managerapi.JobUpdate
	var farmStates []managerapi.FarmStatusUpdate
	for len(s.updates) > 0 {
		item := <-s.updates
		switch {
		case item.err != nil:
			return item.err
		case item.update.Job != nil:
			waiting = append(waiting, *item.update.Job)
		case item.update.Farm != nil:
			farmStates = append(farmStates, *item.update.Farm)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.generation == genQuery {
		w.view.settlePending() // the queries found the user's jobs; the rest are not theirs
		// Jobs of mine that ended while the bus was away: the full status asked for a few; the
		// rest are asked for here, lookupsInFlight at a time, so that each end is reported.
		s.queue = w.view.leftUnfinished()
	}
	for _, f := range farmStates {
		w.view.observeFarmStatus(f.Status, true)
	}
	for _, u := range updatesAfterSnapshot(waiting, w.view.statusOf) {
		s.applyJobLocked(u)
	}
	// The full status read the Workers too.
	s.workersReadAt = w.clock.Now()
	s.workersAt = s.workersReadAt.Add(w.jittered(workersEvery))
	s.lastPublish = w.clock.Now()
	if !w.connection.Live {
		w.connection = Connection{Live: true} // the farm as read, and every change since: live
		w.log.Info().Msg("live updates from the event bus")
	}
	w.publishLocked(s.lastPublish)
	return nil
}

// apply takes one update of the bus.
func (s *liveSession) apply(u managerapi.BusEvent) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case u.Job != nil:
		s.applyJobLocked(*u.Job)
	case u.Frame != nil:
		if !w.view.observeFrame(*u.Frame, w.clock.Now()) {
			return // another's job: nothing shown changed
		}
	case u.Farm != nil:
		w.view.observeFarmStatus(u.Farm.Status, true)
		// The farm's state changed: its Workers' counts likely did too. Read them, but never sooner
		// than workersAfterStatus after the last read, however often the state changes.
		soon := w.clock.Now()
		if earliest := s.workersReadAt.Add(workersAfterStatus); soon.Before(earliest) {
			soon = earliest
		}
		if soon.Before(s.workersAt) {
			s.workersAt = soon
		}
	default:
		return // a /workers update: not subscribed to (see EventBusSubscriptions)
	}
	s.dirty = true
}

// applyJobLocked applies a job update; a job of unknown owner is queued to be asked for. w.mu held.
func (s *liveSession) applyJobLocked(u managerapi.JobUpdate) {
	w := s.w
	transitions, askOwner := w.view.observeUpdate(u)
	w.emitLocked(transitions)
	s.dirty = true
	if !askOwner {
		return
	}
	if len(w.view.pending) > maxPendingOwners {
		// A burst of new jobs: one full status tells every owner at once.
		s.resyncWanted = true
		return
	}
	s.queue = append(s.queue, u.ID)
}

// startLookups asks for the owners of queued jobs, lookupsInFlight at a time, once any back-off
// after a failed one has passed.
func (s *liveSession) startLookups(ctx context.Context) {
	if s.w.clock.Now().Before(s.lookupsAt) {
		return
	}
	for s.inFlight < lookupsInFlight && len(s.queue) > 0 && !s.resyncWanted {
		id := s.queue[0]
		s.queue = s.queue[1:]
		s.inFlight++
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			j, err := s.w.client.Job(ctx, id)
			s.lookups <- lookupResult{id: id, job: j, err: err} // buffered for every lookup in flight
		}()
	}
}

// lookedUp takes the answer about a job of unknown owner.
func (s *liveSession) lookedUp(r lookupResult) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case errors.Is(r.err, managerapi.ErrNotFound):
		w.view.observeJobGone(r.id)
	case r.err != nil:
		// Asked again later, alone: a failed side request never ends a working connection, whose
		// every reconnection costs the Manager a full read.
		s.lookupFailures++
		retry := w.jittered(min(sideRetryMin<<min(s.lookupFailures-1, 8), workersEvery))
		s.lookupsAt = w.clock.Now().Add(retry)
		s.queue = append(s.queue, r.id)
		w.log.Debug().Err(r.err).Str("job", r.id).Dur("retry", retry).Msg("cannot ask whose a job is: asking again later")
		return
	default:
		w.emitLocked(w.view.observeJob(r.job))
	}
	s.lookupFailures = 0
	s.dirty = true
}

// readWorkers reads the Workers (their counts are not followed on the bus: see
// EventBusSubscriptions). A failed read keeps the counts known and is tried again, alone, after a
// growing back-off: a failed side request never ends a working connection.
func (s *liveSession) readWorkers(ctx context.Context) {
	w := s.w
	err := w.readWorkers(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	s.workersReadAt = w.clock.Now()
	if err != nil {
		s.workersFailures++
		retry := w.jittered(min(sideRetryMin<<min(s.workersFailures-1, 8), workersEvery))
		s.workersAt = s.workersReadAt.Add(retry)
		if s.workersFailures == 1 {
			w.log.Warn().Err(err).Dur("retry", retry).Msg("cannot read the Workers: keeping their last counts, trying again later")
		}
		return
	}
	s.workersFailures = 0
	s.workersAt = s.workersReadAt.Add(w.jittered(workersEvery))
	s.dirty = true
}

// sideRetryMin is the first wait before a failed side request (the Workers, a job's owner) is asked
// again while the event bus is connected; it doubles up to workersEvery.
const sideRetryMin = 30 * time.Second

// errMoved ends a connection to a Manager that SetURL moved.
var errMoved = errors.New("the Manager moved to another address")

// publishIfDue recomputes the summary when something changed and publishEvery has passed.
func (s *liveSession) publishIfDue() {
	w := s.w
	now := w.clock.Now()
	if !s.dirty || now.Sub(s.lastPublish) < publishEvery {
		return
	}
	w.mu.Lock()
	w.view.pruneFinished(now)
	w.view.succeeded(now)
	w.publishLocked(now)
	w.mu.Unlock()
	s.dirty, s.lastPublish = false, now
}
