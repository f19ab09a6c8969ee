package farm

import "sync"

// eventQueue hands a Watcher's events to its one consumer, in order, without ever making the
// Watcher wait, and without losing what must not be lost. Its rule: an end of a job (JobFinished), a
// change of a job's status (JobChanged) and a change of the farm state (FarmStateChanged) are each
// delivered exactly once; a SummaryChanged may be dropped, but only for a newer one (a summary waiting
// behind another is replaced by it, so a slow consumer reads the newest, never a backlog of them).
// So the queue grows only with real transitions, never with a flood of updates: 10,000 jobs that end
// at once are 10,000 events, each delivered.
type eventQueue struct {
	mu     sync.Mutex
	queue  []Event
	ready  chan struct{} // 1 slot: something was queued
	closed bool
}

func newEventQueue() *eventQueue { return &eventQueue{ready: make(chan struct{}, 1)} }

// push queues e; it never waits.
func (q *eventQueue) push(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if n := len(q.queue); e.Kind == SummaryChanged && n > 0 && q.queue[n-1].Kind == SummaryChanged {
		q.queue[n-1] = e
		return
	}
	q.queue = append(q.queue, e)
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// close ends the queue: nothing is queued after it; deliver still hands over what was queued before.
func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take returns what is queued, and whether the queue is closed.
func (q *eventQueue) take() ([]Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	events := q.queue
	q.queue = nil
	return events, q.closed
}

// deliver calls handle with each event in order until the queue is closed and empty: what was queued
// before close is still delivered, so a Watcher that stops loses no end it saw.
func (q *eventQueue) deliver(handle func(Event)) {
	for {
		events, closed := q.take()
		for _, e := range events {
			handle(e)
		}
		if closed && len(events) == 0 {
			return
		}
		if len(events) > 0 {
			continue // more may have come while handling
		}
		<-q.ready
	}
}
