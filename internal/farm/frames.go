package farm

import (
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// LastFrame is the news that a job has a new last rendered frame: where its sizes are, and when the
// event bus told it (this computer's clock).
type LastFrame struct {
	Where managerapi.LastRendered
	At    time.Time
}

// observeFrame takes a /last-rendered event, kept only for a job of the user's (or watched): it
// says whether anything shown changed.
func (v *view) observeFrame(u managerapi.LastRenderedUpdate, now time.Time) bool {
	j, ok := v.jobs[u.JobID]
	if !ok || !v.relevant(j) {
		return false
	}
	v.frames[u.JobID] = LastFrame{Where: u.Thumbnail, At: now}
	return true
}

// framesOf returns the frames' news of jobs, and forgets that of jobs no longer listed.
func (v *view) framesOf(jobs []managerapi.Job) map[string]LastFrame {
	if len(v.frames) == 0 {
		return nil
	}
	listed := make(map[string]LastFrame, len(jobs))
	for _, j := range jobs {
		if f, ok := v.frames[j.ID]; ok {
			listed[j.ID] = f
		}
	}
	for id := range v.frames {
		if _, ok := v.jobs[id]; !ok {
			delete(v.frames, id)
		}
	}
	return listed
}
