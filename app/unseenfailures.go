package app

import (
	"maps"
	"sync"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// unseenFailures are the user's jobs that failed while the tray ran (one that failed before is not
// news) and that the user has not looked at since: the icon stays red until they open the menu
// (where the panel says so), open the job from its row or notification, or act on it, or the job
// is requeued. Safe for concurrent use.
type unseenFailures struct {
	mu   sync.Mutex
	jobs map[[2]string]string // by Manager ID and job ID: the job's web page
}

func newUnseenFailures() *unseenFailures {
	return &unseenFailures{jobs: map[[2]string]string{}}
}

// event takes a farm event about one of the user's jobs of a listed Manager.
func (u *unseenFailures) event(managerID, managerURL string, e farm.Event) {
	job := e.Transition.Job
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case e.Kind == farm.JobFinished && job.Status == managerapi.JobFailed:
		u.jobs[[2]string{managerID, job.ID}] = managerapi.JobURL(managerURL, job.ID)
	case e.Kind == farm.JobChanged || e.Kind == farm.JobFinished:
		delete(u.jobs, [2]string{managerID, job.ID})
	}
}

// seen: the user looked at a job of a Manager.
func (u *unseenFailures) seen(managerID, jobID string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.jobs, [2]string{managerID, jobID})
}

// seenAt: the user opened a page, from a notification; a failed job's page counts as seeing it.
func (u *unseenFailures) seenAt(url string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	maps.DeleteFunc(u.jobs, func(_ [2]string, page string) bool { return page == url })
}

// seenAll: the user opened the menu, whose rows show every job's state.
func (u *unseenFailures) seenAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	clear(u.jobs)
}

// of returns the unseen failed jobs of a Manager, by job ID (nil: none).
func (u *unseenFailures) of(managerID string) map[string]bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	var ids map[string]bool
	for key := range u.jobs {
		if key[0] == managerID {
			if ids == nil {
				ids = map[string]bool{}
			}
			ids[key[1]] = true
		}
	}
	return ids
}
