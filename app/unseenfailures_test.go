package app

import (
	"maps"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func jobEvent(kind farm.EventKind, id string, status managerapi.JobStatus) farm.Event {
	return farm.Event{Kind: kind, Transition: farm.JobTransition{Job: job(id, id, status), To: status}}
}

func TestUnseenFailuresLastUntilTheUserLooks(t *testing.T) {
	t.Parallel()
	const url = "http://farm:8080/"
	u := newUnseenFailures()
	u.event("m", url, jobEvent(farm.JobFinished, "done", managerapi.JobCompleted))
	u.event("m", url, jobEvent(farm.JobFinished, "f1", managerapi.JobFailed))
	u.event("m", url, jobEvent(farm.JobFinished, "f2", managerapi.JobFailed))
	u.event("m", url, jobEvent(farm.JobFinished, "f3", managerapi.JobFailed))
	if got := u.of("m"); !maps.Equal(got, map[string]bool{"f1": true, "f2": true, "f3": true}) {
		t.Fatalf("unseen %v, want the three failed jobs", got)
	}
	u.seen("m", "f1")                                                        // opened from its row, or acted on
	u.seenAt(managerapi.JobURL(url, "f2"))                                   // its notification clicked
	u.event("m", url, jobEvent(farm.JobChanged, "f3", managerapi.JobQueued)) // requeued
	if got := u.of("m"); got != nil {
		t.Fatalf("unseen %v after each was looked at or requeued", got)
	}
	u.event("m", url, jobEvent(farm.JobFinished, "f4", managerapi.JobFailed))
	u.event("other", url, jobEvent(farm.JobFinished, "f5", managerapi.JobFailed))
	u.seenAll() // the menu opened
	if u.of("m") != nil || u.of("other") != nil {
		t.Fatal("failures unseen after the menu opened")
	}
}
