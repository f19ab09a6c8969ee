package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// news is one desktop notification the notifier decided on; a click opens Open where the desktop allows. One about a
// single job's end names it in Frame, whose last rendered frame it shows where it can.
type news struct {
	Title, Body string
	Open        string
	Frame       frameKey // zero: none
}

// jobNews is the notification for the end of a job of mine (nil for a job that did not end): a
// click opens the job, and it shows its last rendered frame where it can.
func jobNews(m discovery.Manager, job managerapi.Job) *news {
	titles := map[managerapi.JobStatus]string{managerapi.JobCompleted: "Job finished", managerapi.JobFailed: "Job failed",
		managerapi.JobCanceled: "Job canceled"}
	title, ok := titles[job.Status]
	if !ok {
		return nil
	}
	body := fmt.Sprintf("“%s” on %s", managerapi.CleanText(job.Name, maxJobNameRunes), NotificationLabel(m))
	return &news{Title: title, Body: body, Open: managerapi.JobURL(m.URL, job.ID), Frame: frameKey{m.URL, job.ID}}
}

// jobNoticeMemory is how long an end already notified is remembered after it was last reported: a
// working day, as a watcher may report it again whenever it reads every job anew (after a
// reconnection), as may a second watcher of the same Manager (listed twice: found and added by hand).
const jobNoticeMemory = 24 * time.Hour

// jobNotices decides which notifications the ends of the user's jobs make. Each end is notified
// once, however many watchers report it and whatever time they give it (Flamenco 3.8.5's event bus
// gives the time of the job's previous change, its REST API that of the latest, at other
// precisions): an end is known by the job and its ended status, until the job is seen not ended
// again (requeued), when its next end is news. By job id alone: Flamenco's are UUIDs, and one
// Manager may be listed twice. Ends have their own budget, apart from the Managers' notifications,
// and what is over it is never dropped: it is held and sent as one notification ("3 jobs ended")
// when the budget allows. A plain type (times are passed in), not safe for concurrent use: notifier
// holds it under its lock.
type jobNotices struct {
	limit    notifyLimit
	ended    map[string]notifiedEnd // by job id
	prunedAt time.Time              // when ended was last rid of what is older than jobNoticeMemory
	pending  []pendingJobNotice
}

// notifiedEnd is an end notified (or held to be), and when it was last reported.
type notifiedEnd struct {
	status   managerapi.JobStatus
	reported time.Time
}

type pendingJobNotice struct {
	manager discovery.Manager
	job     managerapi.Job
}

func newJobNotices() *jobNotices {
	return &jobNotices{ended: map[string]notifiedEnd{}}
}

// add takes a watcher's event about one of my jobs (JobChanged or JobFinished) at now. It returns
// the notification to send now, if any, and whether some are held back: call flush at retryAt.
func (n *jobNotices) add(now time.Time, m discovery.Manager, e farm.Event) (send *news, retryAt time.Time) {
	job := e.Transition.Job
	if !job.Status.Finished() {
		delete(n.ended, job.ID)
		return nil, n.retryAt(now)
	}
	send = jobNews(m, job)
	if e.Kind != farm.JobFinished || send == nil || n.known(now, job) {
		return nil, n.retryAt(now)
	}
	if len(n.pending) == 0 && n.limit.allow(now) {
		return send, time.Time{}
	}
	n.pending = append(n.pending, pendingJobNotice{manager: m, job: job})
	return nil, n.retryAt(now)
}

// known says whether this end of job was notified already, and remembers it as reported at now.
func (n *jobNotices) known(now time.Time, job managerapi.Job) bool {
	if now.Sub(n.prunedAt) >= time.Minute { // not at each end: a burst of them would take n² steps
		for id, end := range n.ended {
			if now.Sub(end.reported) >= jobNoticeMemory {
				delete(n.ended, id)
			}
		}
		n.prunedAt = now
	}
	end, ok := n.ended[job.ID]
	n.ended[job.ID] = notifiedEnd{status: job.Status, reported: now}
	return ok && end.status == job.Status
}

// flush sends what is held back, as one notification, if the budget allows at now.
func (n *jobNotices) flush(now time.Time) (send *news, retryAt time.Time) {
	if len(n.pending) == 0 {
		return nil, time.Time{}
	}
	if !n.limit.allow(now) {
		return nil, n.retryAt(now)
	}
	pending := n.pending
	n.pending = nil
	if len(pending) == 1 {
		return jobNews(pending[0].manager, pending[0].job), time.Time{}
	}
	return summarizeJobEnds(pending), time.Time{}
}

// retryAt is when the budget next allows a notification, if some are held back.
func (n *jobNotices) retryAt(now time.Time) time.Time {
	if len(n.pending) == 0 {
		return time.Time{}
	}
	return n.limit.nextAllowed(now)
}

// summarizeJobEnds is one notification for many ends: failures first, as they need the user. A click
// opens the first named job.
func summarizeJobEnds(pending []pendingJobNotice) *news {
	counts := map[managerapi.JobStatus]int{}
	for _, p := range pending {
		counts[p.job.Status]++
	}
	var parts []string
	for _, s := range []struct {
		status managerapi.JobStatus
		word   string
	}{{managerapi.JobFailed, "failed"}, {managerapi.JobCanceled, "canceled"}, {managerapi.JobCompleted, "finished"}} {
		if counts[s.status] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s.status], s.word))
		}
	}
	title := fmt.Sprintf("%d jobs ended", len(pending))
	if counts[managerapi.JobFailed] > 0 {
		title = fmt.Sprintf("%d jobs ended, %d failed", len(pending), counts[managerapi.JobFailed])
	}
	var names []string
	var open string
	for _, status := range []managerapi.JobStatus{managerapi.JobFailed, managerapi.JobCanceled, managerapi.JobCompleted} {
		for _, p := range pending {
			if p.job.Status == status && len(names) < 3 {
				names = append(names, "“"+managerapi.CleanText(p.job.Name, maxJobNameRunes)+"”")
				if open == "" {
					open = managerapi.JobURL(p.manager.URL, p.job.ID)
				}
			}
		}
	}
	body := strings.Join(parts, ", ") + ": " + strings.Join(names, ", ")
	if len(pending) > len(names) {
		body += fmt.Sprintf(" and %d more", len(pending)-len(names))
	}
	return &news{Title: title, Body: body, Open: open}
}
