package farm

import (
	"slices"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func update(id string, status managerapi.JobStatus, at time.Time) managerapi.JobUpdate {
	return managerapi.JobUpdate{ID: id, Name: "job " + id, Status: status, Updated: at}
}

// listedView is a view primed by a complete list (Flamenco 3.6+).
func listedView(t *testing.T, jobs ...managerapi.Job) *view {
	t.Helper()
	v := newView("http://farm:8080/", alice, nil, start)
	if ts := v.observeAllJobs(jobs, start); len(ts) != 0 {
		t.Fatalf("the first list reported %v", describe(ts))
	}
	v.primed = true
	return v
}

func TestAJobSubmittedAndFailedBeforeItsOwnerIsKnownIsReportedOnce(t *testing.T) {
	t.Parallel()
	v := listedView(t)
	at := start.Add(time.Minute)
	ts, ask := v.observeUpdate(update("new", managerapi.JobQueued, at))
	if len(ts) != 0 || !ask {
		t.Fatalf("first sight: %v, ask %v; want nothing reported and the owner asked for", describe(ts), ask)
	}
	// It runs and fails while the answer is on its way: counted, not reported, not asked for again.
	for _, u := range []managerapi.JobUpdate{update("new", managerapi.JobActive, at.Add(time.Second)),
		update("new", managerapi.JobFailed, at.Add(4*time.Second))} {
		if ts, ask := v.observeUpdate(u); len(ts) != 0 || ask {
			t.Fatalf("%s before the owner is known: %v, ask %v", u.Status, describe(ts), ask)
		}
	}
	if s := v.summary(at.Add(5*time.Second), time.UTC); s.Jobs[managerapi.JobFailed] != 1 || s.Jobs[managerapi.JobQueued] != 0 {
		t.Errorf("counts while the owner is asked for: %v", s.Jobs)
	}
	answer := job("new", "alice", managerapi.JobActive, at.Add(time.Second)) // the GET saw it running
	ts = v.resolveOwner(answer)
	if got, want := describe(ts), []string{"new:>queued", "new:queued>failed"}; !slices.Equal(got, want) {
		t.Fatalf("owner known: %v, want %v", got, want)
	}
	if !ts[1].Finished() || ts[1].Job.Metadata["user.name"] != "alice" {
		t.Errorf("the end: %+v", ts[1])
	}
	// The same end again (a duplicate update, a late answer) is not news.
	if ts, _ := v.observeUpdate(update("new", managerapi.JobFailed, at.Add(4*time.Second))); len(ts) != 0 {
		t.Errorf("the end twice: %v", describe(ts))
	}
	if ts := v.resolveOwner(answer); len(ts) != 0 {
		t.Errorf("a second answer: %v", describe(ts))
	}
}

func TestSomeoneElsesJobIsCountedNotReported(t *testing.T) {
	t.Parallel()
	v := listedView(t)
	at := start.Add(time.Minute)
	v.observeUpdate(update("bobs", managerapi.JobActive, at))
	v.observeUpdate(update("bobs", managerapi.JobCompleted, at.Add(time.Second)))
	if ts := v.resolveOwner(job("bobs", "bob", managerapi.JobCompleted, at)); len(ts) != 0 {
		t.Errorf("bob's job reported to alice: %v", describe(ts))
	}
	if s := v.summary(at.Add(time.Minute), time.UTC); s.Jobs[managerapi.JobCompleted] != 1 || len(s.MyJobs) != 0 {
		t.Errorf("summary: jobs %v, mine %v", s.Jobs, s.MyJobs)
	}
	// Known now: its next change needs no question and tells alice nothing.
	if ts, ask := v.observeUpdate(update("bobs", managerapi.JobRequeueing, at.Add(2*time.Minute))); ask || len(ts) != 0 {
		t.Errorf("bob's known job again: %v, ask %v", describe(ts), ask)
	}
}

func TestAKnownJobOfMineEndsOnceWithItsProgress(t *testing.T) {
	t.Parallel()
	mine := job("a", "alice", managerapi.JobActive, start)
	v := listedView(t, mine, job("old", "bob", managerapi.JobCompleted, before))
	u := update("a", managerapi.JobActive, start.Add(time.Second))
	u.Progress = &managerapi.Progress{Completed: 2, Total: 3}
	if ts, ask := v.observeUpdate(u); len(ts) != 0 || ask {
		t.Fatalf("progress: %v, ask %v", describe(ts), ask)
	}
	s := v.summary(start.Add(2*time.Second), time.UTC)
	if len(s.MyJobs) != 1 || s.MyJobs[0].Progress == nil || *s.MyJobs[0].Progress != (managerapi.Progress{Completed: 2, Total: 3}) {
		t.Fatalf("my jobs after a progress update: %+v", s.MyJobs)
	}
	done := update("a", managerapi.JobCompleted, start.Add(3*time.Second))
	ts, _ := v.observeUpdate(done)
	if got := describe(ts); !slices.Equal(got, []string{"a:active>completed"}) {
		t.Fatalf("the end: %v", got)
	}
	if ts, _ := v.observeUpdate(done); len(ts) != 0 {
		t.Errorf("the end twice: %v", describe(ts))
	}
	deleted := managerapi.JobUpdate{ID: "a", WasDeleted: true}
	v.observeUpdate(deleted)
	if s := v.summary(start.Add(time.Minute), time.UTC); len(s.MyJobs) != 0 {
		t.Errorf("a deleted job is still listed: %+v", s.MyJobs)
	}
}

func TestACompleteListAfterAReconnectionReportsWhatEndedMeanwhileOnce(t *testing.T) {
	t.Parallel()
	v := listedView(t, job("a", "alice", managerapi.JobActive, start), job("b", "bob", managerapi.JobActive, start))
	// The bus was down while a ended and b was deleted; the list read at reconnection says so.
	later := start.Add(10 * time.Minute)
	ts := v.observeAllJobs([]managerapi.Job{job("a", "alice", managerapi.JobFailed, later)}, later)
	if got := describe(ts); !slices.Equal(got, []string{"a:active>failed"}) {
		t.Fatalf("after the reconnection: %v", got)
	}
	if ts := v.observeAllJobs([]managerapi.Job{job("a", "alice", managerapi.JobFailed, later)}, later); len(ts) != 0 {
		t.Errorf("a second list: %v", describe(ts))
	}
	if s := v.summary(later, time.UTC); s.Jobs[managerapi.JobActive] != 0 || s.Jobs[managerapi.JobFailed] != 1 {
		t.Errorf("counts: %v", s.Jobs)
	}
}

func TestUpdatesReadDuringASnapshotAreReplayedOnlyPastWhatItShows(t *testing.T) {
	t.Parallel()
	at := start
	updates := []managerapi.JobUpdate{
		update("a", managerapi.JobActive, at),
		update("a", managerapi.JobCompleted, at.Add(time.Second)), // the snapshot shows this
		update("b", managerapi.JobActive, at),                     // the snapshot still had b queued
		update("c", managerapi.JobQueued, at),                     // not in the snapshot at all
		update("a", managerapi.JobRequeueing, at.Add(2*time.Second)),
	}
	statuses := map[string]managerapi.JobStatus{"a": managerapi.JobCompleted, "b": managerapi.JobQueued}
	got := updatesAfterSnapshot(updates, func(id string) (managerapi.JobStatus, bool) { s, ok := statuses[id]; return s, ok })
	var order []string
	for _, u := range got {
		order = append(order, u.ID+":"+string(u.Status))
	}
	if want := []string{"b:active", "c:queued", "a:requeueing"}; !slices.Equal(order, want) {
		t.Errorf("replayed %v, want %v", order, want)
	}
}

func TestACompleteListKeepsWhatTheMenuNeeds(t *testing.T) {
	t.Parallel()
	v := newView("http://farm:8080/", alice, []string{"watched"}, start)
	keep := v.keepFilter(start)
	for _, tc := range []struct {
		job  managerapi.Job
		want bool
	}{
		{job("running", "bob", managerapi.JobActive, start.Add(-90*24*time.Hour)), true},
		{job("today", "bob", managerapi.JobFailed, start.Add(-time.Hour)), true},
		{job("last-month", "bob", managerapi.JobCompleted, start.Add(-30*24*time.Hour)), false},
		{job("mine-last-year", "alice", managerapi.JobCompleted, start.Add(-365*24*time.Hour)), true},
		{job("watched", "bob", managerapi.JobCompleted, start.Add(-30*24*time.Hour)), true},
	} {
		if got := keep(tc.job); got != tc.want {
			t.Errorf("keep %s: %v, want %v", tc.job.ID, got, tc.want)
		}
	}
}
