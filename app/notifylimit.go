package app

import (
	"slices"
	"time"
)

// notifyLimit bounds desktop notifications: a host on the LAN can make Managers appear and go as
// fast as it likes (one machine may answer on 16 ports), and each would be a notification. A plain
// type (times are passed in), not safe for concurrent use: notifier holds it under its lock.
type notifyLimit struct {
	sent []time.Time // within the last notifyWindow, oldest first
}

// notifyWindow and notifyMax allow a burst that a real studio makes (a few Managers coming back
// after a switch restarts), and no more.
const (
	notifyWindow = time.Minute
	notifyMax    = 4
)

// allow reports whether a notification may be sent at now, and if so counts it.
func (l *notifyLimit) allow(now time.Time) bool {
	l.forget(now)
	if len(l.sent) >= notifyMax {
		return false
	}
	l.sent = append(l.sent, now)
	return true
}

// nextAllowed is the earliest time from now on when allow may say yes.
func (l *notifyLimit) nextAllowed(now time.Time) time.Time {
	l.forget(now)
	if len(l.sent) < notifyMax {
		return now
	}
	return l.sent[len(l.sent)-notifyMax].Add(notifyWindow)
}

// forget drops the notifications sent before the notifyWindow that ends at now.
func (l *notifyLimit) forget(now time.Time) {
	l.sent = slices.DeleteFunc(l.sent, func(t time.Time) bool { return now.Sub(t) >= notifyWindow })
}
