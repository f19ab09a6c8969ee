package farm

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

var (
	alice  = Identity{UserName: "alice"}
	start  = time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	before = start.Add(-time.Hour)
)

func job(id, user string, status managerapi.JobStatus, updated time.Time) managerapi.Job {
	j := managerapi.Job{ID: id, Name: "job " + id, Status: status, Updated: updated, Created: updated.Add(-time.Minute)}
	if user != "" {
		j.Metadata = map[string]string{"user.name": user}
	}
	return j
}

func describe(ts []JobTransition) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Job.ID+":"+string(t.From)+">"+string(t.To))
	}
	return out
}

func primedView(t *testing.T, unfinished []managerapi.Job, recent []managerapi.Job) *view {
	t.Helper()
	v := newView("http://farm:8080/", alice, nil, start)
	if ts, left := v.observeUnfinished(unfinished); len(ts) != 0 || len(left) != 0 {
		t.Fatalf("first poll reported %v, left %v", describe(ts), left)
	}
	if ts := v.observeOwn(recent); len(ts) != 0 {
		t.Fatalf("first poll reported %v", describe(ts))
	}
	v.primed = true
	return v
}

func TestViewFirstPollIsSilent(t *testing.T) {
	t.Parallel()
	v := newView("m", alice, nil, start)
	v.observeUnfinished([]managerapi.Job{job("a", "alice", managerapi.JobActive, before)})
	ts := v.observeOwn([]managerapi.Job{job("old", "alice", managerapi.JobFailed, before), job("a", "alice", managerapi.JobActive, before)})
	if len(ts) != 0 {
		t.Errorf("before the first full status: %v", describe(ts))
	}
	v.primed = true
	// Seen again, unchanged: nothing.
	if ts := v.observeOwn([]managerapi.Job{job("old", "alice", managerapi.JobFailed, before)}); len(ts) != 0 {
		t.Errorf("unchanged: %v", describe(ts))
	}
}

func TestViewReportsEachTransitionOfMyJobsOnce(t *testing.T) {
	t.Parallel()
	v := primedView(t, []managerapi.Job{job("a", "alice", managerapi.JobQueued, before), job("b", "bob", managerapi.JobQueued, before)}, nil)
	at := start.Add(time.Minute)

	ts, left := v.observeUnfinished([]managerapi.Job{job("a", "alice", managerapi.JobActive, at), job("b", "bob", managerapi.JobActive, at)})
	if got := describe(ts); !slices.Equal(got, []string{"a:queued>active"}) || len(left) != 0 {
		t.Errorf("queued → active: %v, left %v (bob's job is not news)", got, left)
	}
	// Both leave the unfinished set: only mine is asked for.
	ts, left = v.observeUnfinished(nil)
	if len(ts) != 0 || !slices.Equal(left, []string{"a"}) {
		t.Fatalf("leaving: %v, left %v", describe(ts), left)
	}
	done := job("a", "alice", managerapi.JobCompleted, at.Add(time.Minute))
	ts = v.observeJob(done)
	if got := describe(ts); !slices.Equal(got, []string{"a:active>completed"}) || !ts[0].Finished() {
		t.Errorf("active → completed: %v", got)
	}
	// The same end seen again, through every query: never again.
	for range 3 {
		v.observeJob(done)
		ts = append(ts, v.observeFinished([]managerapi.Job{done}, 50)...)
		ts = append(ts, v.observeOwn([]managerapi.Job{done})...)
		tsU, left := v.observeUnfinished(nil)
		ts = append(ts, tsU...)
		if len(left) != 0 {
			t.Errorf("a finished job is asked for again: %v", left)
		}
	}
	if len(ts) != 1 {
		t.Errorf("reported %v", describe(ts))
	}
	// Requeued and failed: two more transitions, each once.
	ts, _ = v.observeUnfinished([]managerapi.Job{job("a", "alice", managerapi.JobQueued, at.Add(2*time.Minute))})
	ts = append(ts, v.observeJob(job("a", "alice", managerapi.JobFailed, at.Add(3*time.Minute)))...)
	if got := describe(ts); !slices.Equal(got, []string{"a:completed>queued", "a:queued>failed"}) {
		t.Errorf("requeue and failure: %v", got)
	}
}

func TestViewNeverReportsOtherUsersJobs(t *testing.T) {
	t.Parallel()
	v := primedView(t, []managerapi.Job{job("b", "bob", managerapi.JobActive, before), job("n", "", managerapi.JobActive, before)}, nil)
	at := start.Add(time.Minute)
	ts, left := v.observeUnfinished([]managerapi.Job{job("c", "carol", managerapi.JobQueued, at)})
	ts = append(ts, v.observeFinished([]managerapi.Job{job("b", "bob", managerapi.JobFailed, at), job("n", "", managerapi.JobCompleted, at)}, 50)...)
	if len(ts) != 0 || len(left) != 0 {
		t.Errorf("others' jobs: %v, left %v", describe(ts), left)
	}
	if s := v.summary(at, time.UTC); len(s.MyJobs) != 0 {
		t.Errorf("my jobs: %v", s.MyJobs)
	}
}

func TestViewReportsWatchedJobs(t *testing.T) {
	t.Parallel()
	v := primedView(t, []managerapi.Job{job("b", "bob", managerapi.JobActive, before)}, nil)
	v.setWatched([]string{"b"})
	_, left := v.observeUnfinished(nil)
	if !slices.Equal(left, []string{"b"}) {
		t.Fatalf("a watched job that left is not asked for: %v", left)
	}
	ts := v.observeJob(job("b", "bob", managerapi.JobCanceled, start.Add(time.Minute)))
	if got := describe(ts); !slices.Equal(got, []string{"b:active>canceled"}) {
		t.Errorf("watched: %v", got)
	}
	if s := v.summary(start.Add(time.Minute), time.UTC); len(s.MyJobs) != 1 || s.MyJobs[0].ID != "b" {
		t.Errorf("a watched job is not among my jobs: %v", s.MyJobs)
	}
}

func TestViewNewJobsAfterTheFirstPoll(t *testing.T) {
	t.Parallel()
	v := primedView(t, nil, nil)
	at := start.Add(time.Minute)
	// Submitted since: news (From ""), not an end.
	ts, _ := v.observeUnfinished([]managerapi.Job{job("new", "alice", managerapi.JobQueued, at)})
	if got := describe(ts); !slices.Equal(got, []string{"new:>queued"}) || ts[0].Finished() {
		t.Errorf("submitted: %v", got)
	}
	// Submitted and finished between two polls: an end, once. One that ended before watching
	// began, found later (deeper in a list): not news.
	ts = v.observeFinished([]managerapi.Job{job("quick", "alice", managerapi.JobCompleted, at), job("ancient", "alice", managerapi.JobFailed, before)}, 50)
	if got := describe(ts); !slices.Equal(got, []string{"quick:>completed"}) || !ts[0].Finished() {
		t.Errorf("finished between polls: %v", got)
	}
}

// A Manager restart keeps its job ids: after it (the watcher saw errors meanwhile), the same jobs
// in the same states are no news; a job that ended during the restart is news once.
func TestViewManagerRestartDoesNotRenotify(t *testing.T) {
	t.Parallel()
	v := primedView(t, []managerapi.Job{job("a", "alice", managerapi.JobActive, before), job("b", "alice", managerapi.JobActive, before)},
		[]managerapi.Job{job("old", "alice", managerapi.JobCompleted, before)})
	v.unavailable = "the Manager cannot be reached"
	ts, left := v.observeUnfinished([]managerapi.Job{job("a", "alice", managerapi.JobActive, before)})
	ts = append(ts, v.observeOwn([]managerapi.Job{job("old", "alice", managerapi.JobCompleted, before)})...)
	if len(ts) != 0 || !slices.Equal(left, []string{"b"}) {
		t.Errorf("after the restart: %v, left %v", describe(ts), left)
	}
	ts = v.observeJob(job("b", "alice", managerapi.JobCompleted, start.Add(time.Minute)))
	if len(ts) != 1 {
		t.Errorf("the job that ended during the restart: %v", describe(ts))
	}
}

func TestViewDeletedJobIsForgotten(t *testing.T) {
	t.Parallel()
	v := primedView(t, []managerapi.Job{job("a", "alice", managerapi.JobQueued, before)}, nil)
	_, left := v.observeUnfinished(nil)
	v.observeJobGone(left[0])
	if _, left := v.observeUnfinished(nil); len(left) != 0 {
		t.Errorf("a deleted job is asked for again: %v", left)
	}
}

func TestViewSummary(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	v := newView("http://farm:8080/", alice, nil, now)
	v.observeWorkers([]managerapi.Worker{{Status: managerapi.WorkerAwake}, {Status: managerapi.WorkerAwake}, {Status: managerapi.WorkerOffline}})
	v.observeUnfinished([]managerapi.Job{job("a", "alice", managerapi.JobActive, now.Add(-time.Minute)), job("q", "bob", managerapi.JobQueued, now),
		job("q2", "bob", managerapi.JobQueued, now)})
	v.observeFinished([]managerapi.Job{
		job("f1", "bob", managerapi.JobFailed, now.Add(-time.Hour)),
		job("c1", "alice", managerapi.JobCompleted, now.Add(-2*time.Hour)),
		job("f0", "alice", managerapi.JobFailed, now.Add(-11*time.Hour)), // yesterday
	}, 50)
	v.succeeded(now)
	s := v.summary(now, time.UTC)
	wantJobs := map[managerapi.JobStatus]int{managerapi.JobActive: 1, managerapi.JobQueued: 2, managerapi.JobFailed: 1, managerapi.JobCompleted: 1}
	for _, status := range managerapi.JobStatuses {
		if got, ok := s.Jobs[status]; !ok || got != wantJobs[status] {
			t.Errorf("jobs %s: %d (present %v), want %d", status, got, ok, wantJobs[status])
		}
	}
	if s.FailedToday != 1 || s.FinishedTodayCapped || s.Workers[managerapi.WorkerAwake] != 2 || s.Workers[managerapi.WorkerOffline] != 1 ||
		len(s.Workers) != len(managerapi.WorkerStatuses) {
		t.Errorf("summary %+v", s)
	}
	if s.Farm != managerapi.FarmActive || s.FarmFromManager {
		t.Errorf("farm %q (from Manager %v)", s.Farm, s.FarmFromManager)
	}
	var mine []string
	for _, j := range s.MyJobs {
		mine = append(mine, j.ID)
	}
	if !slices.Equal(mine, []string{"a", "c1", "f0"}) {
		t.Errorf("my jobs %v, want newest first", mine)
	}
	if s.NoJobCarriesKey || len(s.Unfinished) != 3 || s.Unfinished[0].ID != "q" {
		t.Errorf("no key %v, unfinished %v", s.NoJobCarriesKey, s.Unfinished)
	}
	// The Manager's own farm status wins when it has one.
	v.observeFarmStatus(managerapi.FarmWaiting, true)
	if s := v.summary(now, time.UTC); s.Farm != managerapi.FarmWaiting || !s.FarmFromManager {
		t.Errorf("with the Manager's farm status: %q", s.Farm)
	}
}

func TestViewSummaryWithoutTheKey(t *testing.T) {
	t.Parallel()
	now := start
	v := newView("m", alice, nil, now)
	// 3.3.1's add-on sends no metadata.
	v.observeUnfinished([]managerapi.Job{job("x", "", managerapi.JobActive, now), job("y", "", managerapi.JobQueued, now)})
	v.observeFinished([]managerapi.Job{job("z", "", managerapi.JobCompleted, now)}, 1)
	s := v.summary(now, time.UTC)
	if !s.NoJobCarriesKey || len(s.MyJobs) != 0 || !s.FinishedTodayCapped {
		t.Errorf("no key %v, my jobs %v, capped %v", s.NoJobCarriesKey, s.MyJobs, s.FinishedTodayCapped)
	}
	if s.Farm != managerapi.FarmUnknown {
		t.Errorf("farm %q before the Workers are known", s.Farm)
	}
	v.setIdentity(Identity{MetadataKey: "project", UserName: "alice"}, now)
	if !v.summary(now, time.UTC).NoJobCarriesKey {
		t.Error("another key")
	}
}

func TestViewKeepsABoundedNumberOfFinishedJobs(t *testing.T) {
	t.Parallel()
	v := primedView(t, nil, nil)
	var many []managerapi.Job
	for i := range 3 * maxTrackedOwnJobs {
		many = append(many, job(string(rune('A'+i%26))+time.Duration(i).String(), "alice", managerapi.JobCompleted, before.Add(time.Duration(i)*time.Second)))
	}
	v.observeOwn(many)
	if len(v.jobs) != maxTrackedOwnJobs {
		t.Errorf("%d jobs kept", len(v.jobs))
	}
}

// 300 jobs of mine that ended while the tray was away are each news once; the view keeps only the
// newest 100, and the next complete list (each reconnection reads one) must not tell the other 200
// again.
func TestViewTellsABurstOfEndsOnceThoughItKeepsOnlyTheNewest(t *testing.T) {
	t.Parallel()
	v := primedView(t, nil, nil)
	var ended []managerapi.Job
	for i := range 3 * maxTrackedOwnJobs {
		ended = append(ended, job(fmt.Sprintf("burst-%03d", i), "alice", managerapi.JobCanceled, start.Add(time.Minute+time.Duration(i)*time.Millisecond)))
	}
	if ts := v.observeAllJobs(ended, start.Add(2*time.Minute)); len(ts) != len(ended) {
		t.Fatalf("%d ends told, want %d", len(ts), len(ended))
	}
	if ts := v.observeAllJobs(ended, start.Add(3*time.Minute)); len(ts) != 0 {
		t.Errorf("the same list again told %d ends again: %v", len(ts), describe(ts)[:min(len(ts), 3)])
	}
	later := job("after-the-burst", "alice", managerapi.JobFailed, start.Add(4*time.Minute))
	if ts := v.observeAllJobs(append(ended, later), start.Add(5*time.Minute)); !slices.Equal(describe(ts), []string{"after-the-burst:>failed"}) {
		t.Errorf("a new end after the burst: %v", describe(ts))
	}
}

// A job of mine that is active when the tray starts and ends before the first full status is in
// (one of the first round's queries failed, say) is news: the tray saw it running.
func TestViewReportsAJobThatEndsDuringTheFirstFullStatus(t *testing.T) {
	t.Parallel()
	v := newView("m", alice, nil, start)
	if ts, _ := v.observeUnfinished([]managerapi.Job{job("a", "alice", managerapi.JobActive, before), job("b", "bob", managerapi.JobActive, before)}); len(ts) != 0 {
		t.Fatalf("first sight: %v", describe(ts))
	}
	ts, left := v.observeUnfinished(nil)
	if len(ts) != 0 || !slices.Equal(left, []string{"a"}) {
		t.Fatalf("leaving: %v, left %v", describe(ts), left)
	}
	ts = v.observeJob(job("a", "alice", managerapi.JobFailed, start.Add(time.Minute)))
	if got := describe(ts); !slices.Equal(got, []string{"a:active>failed"}) {
		t.Errorf("ended before the first full status: %v", got)
	}
	// First seen finished before the first full status: how things stand, however recent.
	if ts := v.observeOwn([]managerapi.Job{job("c", "alice", managerapi.JobCompleted, start.Add(time.Minute))}); len(ts) != 0 {
		t.Errorf("first seen finished: %v", describe(ts))
	}
	v.primed = true
	if ts := v.observeJob(job("a", "alice", managerapi.JobFailed, start.Add(time.Minute))); len(ts) != 0 {
		t.Errorf("reported twice: %v", describe(ts))
	}
}

// A new user name's jobs that ended before the change are not news; its jobs that end after are.
func TestViewNewIdentityPastIsNotNews(t *testing.T) {
	t.Parallel()
	v := primedView(t, nil, nil)
	// Settings saved without a change: alice's job that ended an hour ago, first seen now, is news.
	v.setIdentity(Identity{UserName: "alice"}, start.Add(90*time.Minute))
	if got := describe(v.observeOwn([]managerapi.Job{job("a1", "alice", managerapi.JobFailed, start.Add(time.Hour))})); !slices.Equal(got, []string{"a1:>failed"}) {
		t.Errorf("the same identity saved again: %v", got)
	}
	changed := start.Add(2 * time.Hour)
	v.setIdentity(Identity{UserName: "carol"}, changed)
	ts := v.observeOwn([]managerapi.Job{
		job("c1", "carol", managerapi.JobFailed, start.Add(time.Hour)), // after the tray started, before the change
		job("c2", "carol", managerapi.JobCompleted, changed.Add(-time.Second)),
	})
	if len(ts) != 0 {
		t.Errorf("the new name's past reported: %v", describe(ts))
	}
	ts = v.observeFinished([]managerapi.Job{job("c3", "carol", managerapi.JobCompleted, changed.Add(time.Minute))}, 50)
	if got := describe(ts); !slices.Equal(got, []string{"c3:>completed"}) {
		t.Errorf("ended after the change: %v", got)
	}
}
