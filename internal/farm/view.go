package farm

import (
	"maps"
	"slices"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// maxTrackedOwnJobs bounds how many finished jobs of the user's (and watched ones) a view keeps.
const maxTrackedOwnJobs = 100

// view is what is known of one Manager, fed with the answers of its API. A plain type: no
// goroutines, no clock (times are passed in), so every rule of what is reported is tested by
// feeding it answers.
//
// Transitions are reported once per job and change of status, only for the user's jobs and the
// watched ones. A job first seen before the first full status is in (primed) is how things stand,
// not news; a change of a job already seen is news at any time. A job is known by its id, which a
// Manager keeps across restarts, so a restart reports nothing.
type view struct {
	manager  string
	identity Identity
	watched  map[string]bool
	started  time.Time // when watching began: a job first seen finished is news only if it ended after
	primed   bool      // transitions are reported: the first full status is in
	// letGoUpTo: the newest end among the finished jobs pruneOwn let go of; a job first seen finished
	// that ended no later was told of before (each full read lists them again).
	letGoUpTo time.Time

	jobs map[string]managerapi.Job // the last seen state of every unfinished job and of the user's finished ones

	workers            []managerapi.Worker
	workersKnown       bool
	managerFarm        managerapi.FarmState
	managerFarmPresent bool
	unfinished         map[string]managerapi.Job // every unfinished job, anyone's, by id
	unfinishedKnown    bool
	finished           map[string]managerapi.Job // the latest finished jobs, anyone's (metadata only for relevant ones)
	finishedCapped     bool                      // the finished query came back full: counts are lower bounds
	// pending are jobs first seen on the event bus, which does not say whose a job is: their owner is
	// being asked for (GET /api/v3/jobs/{id}); until then they are counted, not reported.
	pending     map[string]*pendingJob
	frames      map[string]LastFrame // the news of the user's jobs' frames, by job id
	keySeen     bool
	unavailable string
	updatedAt   time.Time
}

func newView(manager string, identity Identity, watched []string, started time.Time) *view {
	v := &view{manager: manager, identity: identity.Normalized(), started: started, jobs: make(map[string]managerapi.Job),
		unfinished: make(map[string]managerapi.Job), finished: make(map[string]managerapi.Job), pending: make(map[string]*pendingJob), frames: make(map[string]LastFrame)}
	v.setWatched(watched)
	return v
}

// setIdentity changes whose jobs are reported, at now. Jobs already known keep their state, so
// nothing is reported for them until they change; a job of the new identity first seen finished is
// news only if it ended after now: the new name's past is not news.
func (v *view) setIdentity(identity Identity, now time.Time) {
	identity = identity.Normalized()
	if identity == v.identity {
		return // Settings saved without a change of identity
	}
	v.identity = identity
	v.keySeen = false
	v.started = now
}

func (v *view) setWatched(ids []string) {
	v.watched = make(map[string]bool, len(ids))
	for _, id := range ids {
		v.watched[id] = true
	}
}

// relevant says whether changes of j are reported: the user's job, or one they watch.
func (v *view) relevant(j managerapi.Job) bool { return v.watched[j.ID] || v.identity.Owns(j) }

// see records j's current state and returns the transition it makes, if it is news.
func (v *view) see(j managerapi.Job) (JobTransition, bool) {
	if v.identity.Carries(j) {
		v.keySeen = true
	}
	previous, known := v.jobs[j.ID]
	v.jobs[j.ID] = j
	if !v.relevant(j) {
		return JobTransition{}, false
	}
	switch {
	case known && previous.Status == j.Status:
		return JobTransition{}, false
	case known:
		// Seen in another state by this tray, even during the first full status: a job that was
		// active then and ended before the first round was over is news.
		return JobTransition{Manager: v.manager, Job: j, From: previous.Status, To: j.Status}, true
	case !v.primed:
		return JobTransition{}, false // first seen during the first full status: how things stand
	case j.Status.Finished() && !j.Updated.After(v.started):
		return JobTransition{}, false // ended before watching began
	case j.Status.Finished() && !j.Updated.After(v.letGoUpTo):
		return JobTransition{}, false // told of, then let go of by pruneOwn
	}
	return JobTransition{Manager: v.manager, Job: j, To: j.Status}, true
}

// observeUnfinished takes the answer of the unfinished-jobs query. It returns the transitions, and
// the ids of the user's (and watched) jobs that were unfinished and are no longer in the set: each
// is to be asked for (observeJob, or observeJobGone on a 404) to learn how it ended.
func (v *view) observeUnfinished(jobs []managerapi.Job) (transitions []JobTransition, left []string) {
	for _, j := range jobs {
		transitions = append(transitions, v.resolveOwner(j)...)
		if t, ok := v.see(j); ok {
			transitions = append(transitions, t)
		}
	}
	clear(v.unfinished)
	for _, j := range jobs {
		v.unfinished[j.ID] = j
	}
	v.unfinishedKnown = true
	for id, j := range v.jobs {
		if _, ok := v.unfinished[id]; !ok && !j.Status.Finished() && !v.relevant(j) {
			delete(v.jobs, id) // someone else's job ended: nothing to tell, nothing to keep
		}
	}
	return transitions, v.leftUnfinished()
}

// leftUnfinished returns, sorted, the user's (and watched) jobs last seen unfinished that the
// unfinished set no longer has: each is to be asked for, to learn how it ended.
func (v *view) leftUnfinished() []string {
	var left []string
	for id, j := range v.jobs {
		if _, ok := v.unfinished[id]; !ok && !j.Status.Finished() && v.relevant(j) {
			left = append(left, id)
		}
	}
	slices.Sort(left)
	return left
}

// observeJob takes one job's current state (GET of one job): the owner of a job first seen on the
// event bus (resolveOwner), or the state of a known one.
func (v *view) observeJob(j managerapi.Job) []JobTransition {
	if _, ok := v.pending[j.ID]; ok {
		return v.resolveOwner(j)
	}
	if t, ok := v.see(j); ok {
		return []JobTransition{t}
	}
	return nil
}

// observeJobGone records that a job no longer exists (deleted): it is forgotten, without news.
func (v *view) observeJobGone(id string) {
	delete(v.jobs, id)
	delete(v.unfinished, id)
	delete(v.finished, id)
	delete(v.pending, id)
}

// observeFinished takes the latest finished jobs (anyone's), of which limit were asked for.
func (v *view) observeFinished(jobs []managerapi.Job, limit int) []JobTransition {
	clear(v.finished)
	for _, j := range jobs {
		v.finished[j.ID] = v.thin(j)
	}
	v.finishedCapped = len(jobs) >= limit
	return v.observeOwn(jobs)
}

// observeOwn sees the relevant jobs of a list (such as the user's latest jobs, found by the metadata
// filter); the others are only looked at for the key.
func (v *view) observeOwn(jobs []managerapi.Job) []JobTransition {
	var transitions []JobTransition
	for _, j := range jobs {
		transitions = append(transitions, v.resolveOwner(j)...)
		if !v.relevant(j) {
			if v.identity.Carries(j) {
				v.keySeen = true
			}
			continue
		}
		if t, ok := v.see(j); ok {
			transitions = append(transitions, t)
		}
	}
	v.pruneOwn()
	return transitions
}

// pruneOwn keeps the newest maxTrackedOwnJobs finished jobs.
func (v *view) pruneOwn() {
	var finished []managerapi.Job
	for _, j := range v.jobs {
		if j.Status.Finished() {
			finished = append(finished, j)
		}
	}
	if len(finished) <= maxTrackedOwnJobs {
		return
	}
	slices.SortFunc(finished, newestFirst)
	for _, j := range finished[maxTrackedOwnJobs:] {
		delete(v.jobs, j.ID)
		if j.Updated.After(v.letGoUpTo) {
			v.letGoUpTo = j.Updated
		}
	}
}

func (v *view) observeWorkers(workers []managerapi.Worker) {
	v.workers = slices.Clone(workers)
	v.workersKnown = true
}

func (v *view) observeFarmStatus(state managerapi.FarmState, present bool) {
	v.managerFarm, v.managerFarmPresent = state, present
}

// succeeded records a good answer at now: the farm status is available.
func (v *view) succeeded(now time.Time) {
	v.unavailable = ""
	v.updatedAt = now
}

// summary is what the view shows at now; "today" begins at midnight in loc.
func (v *view) summary(now time.Time, loc *time.Location) Summary {
	s := Summary{Manager: v.manager, Unavailable: v.unavailable, UpdatedAt: v.updatedAt,
		Workers: make(map[managerapi.WorkerStatus]int), Jobs: make(map[managerapi.JobStatus]int)}
	for _, status := range managerapi.WorkerStatuses {
		s.Workers[status] = 0
	}
	for _, w := range v.workers {
		s.Workers[w.Status]++
	}
	for _, status := range managerapi.JobStatuses {
		s.Jobs[status] = 0
	}
	for _, j := range v.unfinished {
		s.Jobs[j.Status]++
	}

	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	today := 0
	for _, j := range v.finished {
		if !j.Updated.Before(midnight) {
			s.Jobs[j.Status]++
			today++
		}
	}
	s.FailedToday = s.Jobs[managerapi.JobFailed]
	s.FinishedTodayCapped = v.finishedCapped && today == len(v.finished)

	switch {
	case v.managerFarmPresent:
		s.Farm, s.FarmFromManager = v.managerFarm, true
	case v.workersKnown && v.unfinishedKnown:
		s.Farm = ComputeFarmState(v.workers, s.Jobs)
	}

	for _, j := range v.jobs {
		if v.relevant(j) {
			s.MyJobs = append(s.MyJobs, j)
		}
	}
	slices.SortFunc(s.MyJobs, newestFirst)
	if len(s.MyJobs) > MaxMyJobs {
		s.MyJobs = s.MyJobs[:MaxMyJobs]
	}
	s.MyJobs = cloneJobs(s.MyJobs)
	s.Frames = v.framesOf(s.MyJobs)
	for _, j := range s.MyJobs {
		if !v.identity.Owns(j) {
			if s.Theirs == nil {
				s.Theirs = map[string]bool{}
			}
			s.Theirs[j.ID] = true
		}
	}

	s.Unfinished = cloneJobs(slices.Collect(maps.Values(v.unfinished)))
	slices.SortFunc(s.Unfinished, newestFirst)
	if len(s.Unfinished) > maxUnfinishedListed {
		s.Unfinished = s.Unfinished[:maxUnfinishedListed]
	}
	s.NoJobCarriesKey = !v.keySeen && !slices.ContainsFunc(slices.Collect(maps.Values(v.jobs)), v.identity.Carries)
	return s
}
