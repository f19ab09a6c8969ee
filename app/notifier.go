package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
)

// notifyAfter is how long after the first search window Managers' notifications stay quiet:
// Managers found at start are the normal state, not news.
const notifyAfter = 3 * time.Second

// notifier decides which notifications are shown, and when: a Manager found or gone only after the
// first search and a few a minute (notifyLimit); each end of my jobs once (jobNotices). The
// transport (notifytransport.go) only shows.
//
// Concurrency: the fields below mu are guarded by mu, never held while showing. Run, one goroutine,
// owns the timer that sends what is held.
type notifier struct {
	log  zerolog.Logger
	show func(news)    // the transport; must not block
	wake chan struct{} // 1 slot: Run looks at flushAt again

	mu           sync.Mutex
	managersOn   bool
	jobsOn       bool
	quietUntil   time.Time // zero until the first search window closed
	managerLimit notifyLimit
	jobs         *jobNotices
	flushAt      time.Time // zero, or when Run sends what jobs holds
}

type notifierConfig struct {
	Log                zerolog.Logger
	Show               func(news) // must not block
	ManagersOn, JobsOn bool       // the Settings' switches
}

func newNotifier(c notifierConfig) *notifier {
	return &notifier{log: c.Log, show: c.Show, wake: make(chan struct{}, 1), managersOn: c.ManagersOn,
		jobsOn: c.JobsOn, jobs: newJobNotices()}
}

// SetEnabled takes the Settings' switches. Job ends held back while jobs are turned off are not
// sent.
func (n *notifier) SetEnabled(managers, jobs bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.managersOn, n.jobsOn = managers, jobs
}

// SearchWindowClosed starts the Managers' notifications notifyAfter after the first search window.
func (n *notifier) SearchWindowClosed() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.quietUntil.IsZero() {
		n.quietUntil = time.Now().Add(notifyAfter)
	}
}

// ManagerFound notifies that m appeared; a click opens its web UI.
func (n *notifier) ManagerFound(m discovery.Manager) {
	n.managerNews("Flamenco Manager found", fmt.Sprintf("%s at %s", NotificationLabel(m), m.URL), m.URL)
}

// ManagerGone notifies that m no longer answers.
func (n *notifier) ManagerGone(m discovery.Manager) {
	n.managerNews("Flamenco Manager gone", fmt.Sprintf("%s no longer answers", NotificationLabel(m)), "")
}

// managerNews shows a notification about Managers, unless the user turned those off, the first
// search is still running, or too many were shown this minute.
func (n *notifier) managerNews(title, body, openURL string) {
	n.mu.Lock()
	now := time.Now()
	quiet := n.quietUntil.IsZero() || now.Before(n.quietUntil) || !n.managersOn
	limited := !quiet && !n.managerLimit.allow(now)
	n.mu.Unlock()
	switch {
	case quiet:
	case limited:
		n.log.Info().Str("title", title).Str("content", body).Msg("too many notifications this minute; not showing this one")
	default:
		n.show(news{Title: title, Body: body, Open: openURL})
	}
}

// JobEvent takes a farm watcher's event about one of my (or a watched) jobs: see jobNotices.
func (n *notifier) JobEvent(m discovery.Manager, e farm.Event) {
	if e.Kind != farm.JobFinished && e.Kind != farm.JobChanged {
		return
	}
	n.mu.Lock()
	on := n.jobsOn
	var send *news
	if on || e.Kind == farm.JobChanged { // even while off: an end after turning on again is news
		var retryAt time.Time
		send, retryAt = n.jobs.add(time.Now(), m, e)
		n.flushLaterLocked(retryAt)
	}
	n.mu.Unlock()
	if e.Kind != farm.JobFinished {
		return
	}
	n.log.Info().Str("job", e.Transition.Job.ID).Str("status", string(e.Transition.Job.Status)).Str("manager", m.URL).
		Bool("notify", on).Msg("a job of mine ended")
	if send != nil {
		n.show(*send)
	}
}

// flushLaterLocked has Run send what is held at at (zero: nothing is held), unless it already
// will. n.mu is held.
func (n *notifier) flushLaterLocked(at time.Time) {
	if at.IsZero() || !n.flushAt.IsZero() {
		return
	}
	n.flushAt = at
	select {
	case n.wake <- struct{}{}:
	default: // a wake already waits: Run reads flushAt, which holds the time, not the wake
	}
}

// Run sends the job notifications held back, when the budget allows, until ctx ends.
func (n *notifier) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
			n.mu.Lock()
			timer.Reset(time.Until(n.flushAt))
			n.mu.Unlock()
		case <-timer.C:
			n.flush()
		}
	}
}

func (n *notifier) flush() {
	n.mu.Lock()
	n.flushAt = time.Time{}
	send, retryAt := n.jobs.flush(time.Now())
	if !n.jobsOn { // turned off meanwhile: what was held is dropped
		send, retryAt = nil, time.Time{}
	}
	n.flushLaterLocked(retryAt)
	n.mu.Unlock()
	if send != nil {
		n.show(*send)
	}
}

// WelcomeBack tells a user back what this computer rendered for a farm while they were away, unless
// they turned notifications off (the Settings' first switch, as for Managers found or gone).
func (n *notifier) WelcomeBack(t lending.Tally) {
	n.mu.Lock()
	on := n.managersOn
	n.mu.Unlock()
	n.log.Info().Int("tasks", t.Tasks).Int("jobs", t.Jobs).Bool("notify", on).
		Msg("back after this computer rendered for the farm")
	if on {
		title, body := t.BackNotice()
		n.show(news{Title: title, Body: body})
	}
}
