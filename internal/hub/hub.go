// Package hub is the program's one publish/subscribe type: a Hub hands each published value to
// every subscriber's channel, by the same rules wherever it is used:
//
//   - Publish never waits. An event stream (New) gives each subscriber a buffer; one that falls that
//     far behind misses the newest values (it keeps the older ones, in order), with one warning per
//     stretch of drops. A late reader asks the publisher for its state, not the stream.
//   - A state stream (NewLatest) holds only the latest value per subscriber, so a slow reader sees
//     the newest, never a backlog. A value equal to the last published (by the caller's equal) is
//     not published; a new subscriber gets the current value at once.
//   - A subscriber's channel is closed when it unsubscribes and when the hub is closed, so
//     `for v := range ch` ends. Unsubscribe and Close may be called more than once; after Close, Publish
//     does nothing and Subscribe returns a closed channel.
//
// So a hub carries only what may be dropped. An end of a job must never be: a farm Watcher hands
// its events over through an ordered queue of its own (internal/farm/events.go).
//
// A Hub is safe for concurrent use. Values are sent under its lock, so each subscriber sees them
// in the order Publish was called.
package hub

import (
	"sync"

	"github.com/rs/zerolog"
)

// Hub publishes values of type T to its subscribers. Make one with New or NewLatest.
type Hub[T any] struct {
	buffer int
	log    zerolog.Logger
	equal  func(a, b T) bool // non-nil: a state stream

	mu      sync.Mutex
	subs    map[*subscriber[T]]struct{}
	current T
	closed  bool
}

type subscriber[T any] struct {
	ch       chan T
	dropping bool // in a stretch of drops: warned already
}

// New returns an event stream: every value reaches every subscriber that keeps within buffer values
// of the publisher; log (with the publisher's fields) receives the warning when one does not.
func New[T any](buffer int, log zerolog.Logger) *Hub[T] {
	return &Hub[T]{buffer: max(buffer, 1), log: log, subs: make(map[*subscriber[T]]struct{})}
}

// NewLatest returns a state stream that starts at initial: each subscriber holds only the latest
// value, and a value that equal says is the current one is not published.
func NewLatest[T any](initial T, equal func(a, b T) bool) *Hub[T] {
	return &Hub[T]{buffer: 1, equal: equal, current: initial, subs: make(map[*subscriber[T]]struct{})}
}

// Subscribe returns a channel of the published values and a function that ends the subscription
// and closes the channel.
func (h *Hub[T]) Subscribe() (<-chan T, func()) {
	sub := &subscriber[T]{ch: make(chan T, h.buffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(sub.ch)
		return sub.ch, func() {}
	}
	h.subs[sub] = struct{}{}
	if h.equal != nil {
		sub.ch <- h.current
	}
	return sub.ch, func() { h.unsubscribe(sub) }
}

func (h *Hub[T]) unsubscribe(sub *subscriber[T]) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; ok {
		delete(h.subs, sub)
		close(sub.ch)
	}
}

// Publish hands v to every subscriber without waiting (see the package's rules).
func (h *Hub[T]) Publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if h.equal != nil {
		if h.equal(h.current, v) {
			return
		}
		h.current = v
	}
	for sub := range h.subs {
		h.send(sub, v)
	}
}

// send delivers v to sub; h.mu is held.
func (h *Hub[T]) send(sub *subscriber[T], v T) {
	if h.equal != nil {
		// Only senders hold h.mu, so once the unread value is taken out the send cannot block.
		select {
		case <-sub.ch:
		default:
		}
		sub.ch <- v
		return
	}
	select {
	case sub.ch <- v:
		sub.dropping = false
	default:
		if !sub.dropping {
			sub.dropping = true
			h.log.Warn().Int("buffer", h.buffer).Msg("a subscriber is not keeping up; dropping what it has no room for")
		}
	}
}

// Close closes every subscriber's channel; nothing is published after it.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for sub := range h.subs {
		delete(h.subs, sub)
		close(sub.ch)
	}
}
