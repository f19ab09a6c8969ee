package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// news is one notification the notifier decided on: a click opens Open where the desktop allows;
// one about a job's end shows the job's last rendered frame (Frame) where it can.
type news struct {
	Title, Body string
	Open        string
	Frame       frameKey // zero: none
}

// jobNews is the notification for the end of a job of mine (nil for a job that did not end): a
// click opens the job, and it shows its last rendered frame where it can.
func jobNews(m discovery.Manager, job managerapi.Job) *news {
	word, ok := endWords[job.Status]
	if !ok {
		return nil
	}
	body := fmt.Sprintf("“%s” on %s", managerapi.CleanText(job.Name, maxJobNameRunes), NotificationLabel(m))
	return &news{Title: "Job " + word, Body: body, Open: managerapi.JobURL(m.URL, job.ID), Frame: frameKey{m.URL, job.ID}}
}

// endWords name a job's ends; endOrder is the order a summary counts them in: failures first, as
// they need the user.
var (
	endWords = map[managerapi.JobStatus]string{managerapi.JobFailed: "failed", managerapi.JobCanceled: "canceled",
		managerapi.JobCompleted: "finished"}
	endOrder = []managerapi.JobStatus{managerapi.JobFailed, managerapi.JobCanceled, managerapi.JobCompleted}
)

// jobNoticeMemory is how long a notified end is remembered after it was last reported: a watcher
// may report it again after a reconnection, as may a second listing of the same Manager.
const jobNoticeMemory = 24 * time.Hour

// jobNotices decides which notifications the ends of the user's jobs make: each end once, however
// many watchers report it and whatever time they give it (3.8.5's bus and REST API differ), known
// by job ID (a UUID: one Manager may be listed twice) and ended status, until the job is seen not
// ended (requeued). Ends have their own budget; what is over it is held and sent as one ("3 jobs
// ended"), never dropped. A plain type (times passed in); notifier holds it under its lock.
type jobNotices struct {
	limit    notifyLimit
	ended    map[string]notifiedEnd // by job id
	prunedAt time.Time              // when ended was last rid of what is older than jobNoticeMemory
	pending  []pendingJobNotice
}

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

// summarizeJobEnds is one notification for many ends, in endOrder; a click opens the first named.
func summarizeJobEnds(pending []pendingJobNotice) *news {
	slices.SortStableFunc(pending, func(a, b pendingJobNotice) int {
		return slices.Index(endOrder, a.job.Status) - slices.Index(endOrder, b.job.Status)
	})
	counts := map[managerapi.JobStatus]int{}
	var names []string
	for _, p := range pending {
		counts[p.job.Status]++
		if len(names) < 3 {
			names = append(names, "“"+managerapi.CleanText(p.job.Name, maxJobNameRunes)+"”")
		}
	}
	var parts []string
	for _, status := range endOrder {
		if counts[status] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[status], endWords[status]))
		}
	}
	title := fmt.Sprintf("%d jobs ended", len(pending))
	if counts[managerapi.JobFailed] > 0 {
		title = fmt.Sprintf("%d jobs ended, %d failed", len(pending), counts[managerapi.JobFailed])
	}
	body := strings.Join(parts, ", ") + ": " + strings.Join(names, ", ")
	if len(pending) > len(names) {
		body += fmt.Sprintf(" and %d more", len(pending)-len(names))
	}
	return &news{Title: title, Body: body, Open: managerapi.JobURL(pending[0].manager.URL, pending[0].job.ID)}
}
