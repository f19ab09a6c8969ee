package farm

import (
	"maps"
	"slices"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// The view's side of the event bus and of the complete job list (Flamenco 3.6+). Job updates on the
// bus name a job and its status but not whose it is: a job first seen there is counted at once and
// reported only once its owner is known (GET of that job, or the next complete list).

// keepFinishedFor bounds how old a finished job the view keeps for "today"'s counts.
const keepFinishedFor = 48 * time.Hour

// maxFinishedKept bounds the finished jobs kept for the counts (a farm finishing more than this in
// two days shows its counts as lower bounds).
const maxFinishedKept = 5000

// pendingJob is a job first seen on the event bus whose owner is being asked for.
type pendingJob struct {
	first  managerapi.JobStatus // its status when first seen
	latest managerapi.Job       // as its updates left it
}

// thin keeps of a job's metadata only the identity's key: enough to tell whose it is, little to hold.
// A non-nil map says the owner is known.
func (v *view) thin(j managerapi.Job) managerapi.Job {
	key := v.identity.MetadataKey
	value, ok := j.Metadata[key]
	j.Metadata = map[string]string{}
	if ok {
		j.Metadata[key] = value
	}
	return j
}

// keepFilter says which jobs of a complete list the view needs, so that the rest of a large
// database is dropped as it is read: unfinished ones, ones finished within keepFinishedFor of now,
// and the user's and the watched ones. Safe to call without the view's lock: it reads a copy.
func (v *view) keepFilter(now time.Time) func(managerapi.Job) bool {
	identity, watched := v.identity, maps.Clone(v.watched)
	return func(j managerapi.Job) bool {
		return !j.Status.Finished() || now.Sub(j.Updated) < keepFinishedFor || watched[j.ID] || identity.Owns(j)
	}
}

// observeAllJobs takes a complete job list (GET /api/v3/jobs, filtered by keepFilter): every job's
// state, and the owner of every pending one. Jobs no longer listed were deleted.
func (v *view) observeAllJobs(jobs []managerapi.Job, now time.Time) []JobTransition {
	listed := make(map[string]bool, len(jobs))
	clear(v.unfinished)
	clear(v.finished)
	for _, j := range jobs {
		listed[j.ID] = true
		if v.identity.Carries(j) {
			v.keySeen = true
		}
		if j.Status.Finished() {
			v.finished[j.ID] = v.thin(j)
		} else {
			v.unfinished[j.ID] = j
		}
	}
	for id := range v.jobs {
		if !listed[id] {
			delete(v.jobs, id)
		}
	}
	v.unfinishedKnown, v.finishedCapped = true, false
	v.pruneFinished(now)
	return v.seeListed(jobs)
}

// seeListed sees the jobs of a complete list in turn (pending ones through their first status) and
// forgets the pending jobs the list did not have.
func (v *view) seeListed(jobs []managerapi.Job) []JobTransition {
	var transitions []JobTransition
	listed := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		listed[j.ID] = true
		transitions = append(transitions, v.resolveOwner(j)...)
		if v.relevant(j) || !j.Status.Finished() {
			if t, ok := v.see(j); ok {
				transitions = append(transitions, t)
			}
		}
	}
	for id := range v.pending {
		if !listed[id] {
			delete(v.pending, id)
		}
	}
	v.pruneOwn()
	return transitions
}

// settlePending ends the wait for owners after a resync by filtered queries (before 3.6): a pending
// job that none of them returned is not the user's latest, so not theirs to hear of.
func (v *view) settlePending() {
	for id, p := range v.pending {
		j := p.latest
		j.Metadata = map[string]string{}
		v.count(j)
		delete(v.pending, id)
	}
}

// pruneFinished keeps the finished jobs of the last keepFinishedFor, at most maxFinishedKept.
func (v *view) pruneFinished(now time.Time) {
	for id, j := range v.finished {
		if now.Sub(j.Updated) >= keepFinishedFor {
			delete(v.finished, id)
		}
	}
	if len(v.finished) <= maxFinishedKept {
		return
	}
	oldest := slices.Collect(maps.Values(v.finished))
	slices.SortFunc(oldest, newestFirst)
	for _, j := range oldest[maxFinishedKept:] {
		delete(v.finished, j.ID)
	}
	v.finishedCapped = true
}

// count files a job's state among the unfinished or the finished ones.
func (v *view) count(j managerapi.Job) {
	if j.Status.Finished() {
		delete(v.unfinished, j.ID)
		if j.Metadata != nil {
			j = v.thin(j)
		}
		v.finished[j.ID] = j
		return
	}
	delete(v.finished, j.ID)
	v.unfinished[j.ID] = j
}

// known returns what the view knows of a job whose owner is known.
func (v *view) known(id string) (managerapi.Job, bool) {
	if j, ok := v.jobs[id]; ok {
		return j, true
	}
	if j, ok := v.unfinished[id]; ok && j.Metadata != nil {
		return j, true
	}
	if j, ok := v.finished[id]; ok && j.Metadata != nil {
		return j, true
	}
	return managerapi.Job{}, false
}

// observeUpdate takes one /jobs update of the event bus. It returns the transitions it makes, and
// whether the job's owner must be asked for (its first sight: call resolveOwner with the answer, or
// observeJobGone on a 404).
func (v *view) observeUpdate(u managerapi.JobUpdate) (transitions []JobTransition, askOwner bool) {
	if u.WasDeleted {
		v.observeJobGone(u.ID)
		return nil, false
	}
	base, known := v.known(u.ID)
	p, pending := v.pending[u.ID]
	if pending {
		base = p.latest
	}
	j := applyUpdate(base, u)
	v.count(j)
	switch {
	case pending:
		p.latest = j
		return nil, false
	case !known:
		v.pending[u.ID] = &pendingJob{first: j.Status, latest: j}
		return nil, true
	}
	if t, ok := v.see(j); ok {
		transitions = append(transitions, t)
	}
	if j.Status.Finished() && !v.relevant(j) {
		delete(v.jobs, j.ID) // someone else's job ended: nothing more to tell of it
	}
	return transitions, false
}

// applyUpdate is base as the update leaves it.
func applyUpdate(base managerapi.Job, u managerapi.JobUpdate) managerapi.Job {
	j := base
	j.ID, j.Status, j.Updated = u.ID, u.Status, u.Updated
	if u.Name != "" {
		j.Name = u.Name
	}
	if u.Type != "" {
		j.Type = u.Type
	}
	j.Priority = u.Priority
	if u.Progress != nil {
		progress := *u.Progress
		j.Progress = &progress
	}
	return j
}

// resolveOwner takes the answer about a pending job (GET /api/v3/jobs/{id}, or its entry in a
// complete list): its metadata says whose it is. The job is then seen as it was first seen and as it
// is now, so a job of the user's that was submitted and ended before the answer came is reported.
func (v *view) resolveOwner(answer managerapi.Job) []JobTransition {
	p, ok := v.pending[answer.ID]
	if !ok {
		return nil
	}
	delete(v.pending, answer.ID)
	latest := p.latest
	latest.Metadata, latest.Created, latest.Activity = answer.Metadata, answer.Created, answer.Activity
	if latest.Name == "" {
		latest.Name = answer.Name
	}
	if v.identity.Carries(latest) {
		v.keySeen = true
	}
	v.count(latest)
	if !v.relevant(latest) {
		return nil
	}
	first := latest
	first.Status = p.first
	var transitions []JobTransition
	if t, ok := v.see(first); ok {
		transitions = append(transitions, t)
	}
	if latest.Status != p.first {
		if t, ok := v.see(latest); ok {
			transitions = append(transitions, t)
		}
	}
	v.pruneOwn()
	return transitions
}

// updatesAfterSnapshot returns the updates, received while a snapshot of the jobs was being read, that
// the snapshot does not already show: for each job, those after the last update whose status is the
// snapshot's (statusOf), or all of them when none is. Replaying what the snapshot already shows could
// take a job back to an older status and report its end twice.
func updatesAfterSnapshot(updates []managerapi.JobUpdate, statusOf func(id string) (managerapi.JobStatus, bool)) []managerapi.JobUpdate {
	lastMatch := map[string]int{}
	for i, u := range updates {
		if status, ok := statusOf(u.ID); ok && status == u.Status {
			lastMatch[u.ID] = i
		}
	}
	var after []managerapi.JobUpdate
	for i, u := range updates {
		if last, ok := lastMatch[u.ID]; ok && i <= last {
			continue
		}
		after = append(after, u)
	}
	return after
}

// statusOf is the status the view holds for a job, for updatesAfterSnapshot.
func (v *view) statusOf(id string) (managerapi.JobStatus, bool) {
	if j, ok := v.unfinished[id]; ok {
		return j.Status, true
	}
	if j, ok := v.finished[id]; ok {
		return j.Status, true
	}
	if j, ok := v.jobs[id]; ok {
		return j.Status, true
	}
	return "", false
}
