package app

import "time"

// notifyLimit bounds desktop notifications: a host on the LAN can make Managers appear and go as
// fast as it likes (one machine may answer on 16 ports), and each would be a notification. A plain
// type (times are passed in), not safe for concurrent use: notifier holds it under its lock.
type notifyLimit struct {
	window time.Duration
	max    int
	sent   []time.Time // within the last window, oldest first
}

// defaultNotifyLimit allows a burst that a real studio makes (a few Managers coming back after a
// switch restarts), and no more.
func defaultNotifyLimit() *notifyLimit { return &notifyLimit{window: time.Minute, max: 4} }

// allow reports whether a notification may be sent at now, and if so counts it.
func (l *notifyLimit) allow(now time.Time) bool {
	l.forget(now)
	if len(l.sent) >= l.max {
		return false
	}
	l.sent = append(l.sent, now)
	return true
}

// nextAllowed is the earliest time from now on when allow may say yes.
func (l *notifyLimit) nextAllowed(now time.Time) time.Time {
	l.forget(now)
	if len(l.sent) < l.max {
		return now
	}
	return l.sent[len(l.sent)-l.max].Add(l.window)
}

// forget drops the notifications sent before the window that ends at now.
func (l *notifyLimit) forget(now time.Time) {
	kept := l.sent[:0]
	for _, t := range l.sent {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	l.sent = kept
}
