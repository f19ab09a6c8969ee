// Package fakeclock is a clock.Clock whose time moves only when a test says so.
package fakeclock

import (
	"sort"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/clock"
)

// Clock is a manual clock, safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed, and replaced, whenever a timer is made, stopped or fired
}

var _ clock.Clock = (*Clock)(nil)

// New returns a clock set to start.
func New(start time.Time) *Clock { return &Clock{now: start, changed: make(chan struct{})} }

// Changed returns a channel closed at the next change of the clock's timers: one made, stopped or
// fired. A test waits on it, instead of sleeping, until the code under test has gone back to
// waiting on the clock.
func (c *Clock) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// signal must be called with c.mu held.
func (c *Clock) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock reaches now+d.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{clock: c, when: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.signal()
	return t
}

// Advance moves the clock forward by d, firing the timers that fall due, in order.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].when.Before(c.timers[j].when) })
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.when.After(c.now) {
			t.ch <- t.when
			continue
		}
		kept = append(kept, t)
	}
	c.timers = kept
	c.signal()
}

// Waiting returns how many timers have not fired yet.
func (c *Clock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type timer struct {
	clock *Clock
	when  time.Time
	ch    chan time.Time
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	for i, other := range t.clock.timers {
		if other == t {
			t.clock.timers = append(t.clock.timers[:i], t.clock.timers[i+1:]...)
			t.clock.signal()
			return true
		}
	}
	return false
}
