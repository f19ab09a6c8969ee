package app

import (
	"fmt"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func jobEnd(id, name string, status managerapi.JobStatus, updated time.Time) farm.Event {
	j := managerapi.Job{ID: id, Name: name, Status: status, Updated: updated}
	return farm.Event{Kind: farm.JobFinished, Transition: farm.JobTransition{Job: j, From: managerapi.JobActive, To: status}}
}

func jobChange(id string, from, to managerapi.JobStatus) farm.Event {
	j := managerapi.Job{ID: id, Status: to}
	return farm.Event{Kind: farm.JobChanged, Transition: farm.JobTransition{Job: j, From: from, To: to}}
}

// One end of a job is notified once however it arrives: over the event bus (Flamenco 3.8.5's /jobs
// event carries the time of the job's previous change), again from a read over REST (the time of
// this change, at another precision), and from a second watcher of the same Manager (listed twice:
// found and added by hand). Requeued and ending again, the job is news again.
func TestJobNoticesNotifyEachEndOnceHoweverItArrives(t *testing.T) {
	now := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	found := manager("Studio Farm", true)
	byHand := found
	byHand.ID, byHand.URL, byHand.Manual = "manual:studio", "http://render.studio.lan:8080/", true
	n := newJobNotices()
	activeAt, endedAt := now.Add(-time.Hour), now.Add(-time.Second+123456789*time.Nanosecond)
	if send, _ := n.add(now, found, jobEnd("a", "shot 010", managerapi.JobFailed, activeAt)); send == nil || send.Title != "Job failed" ||
		send.Open != found.URL+"app/jobs/a" {
		t.Fatalf("first report: %+v", send)
	}
	again := []struct {
		how     string
		m       discovery.Manager
		updated time.Time
	}{
		{"over REST", found, endedAt},
		{"over REST, to the millisecond", found, endedAt.Truncate(time.Millisecond)},
		{"by the other listing's bus", byHand, activeAt},
		{"by the other listing over REST", byHand, endedAt},
	}
	for i, r := range again {
		if send, retry := n.add(now.Add(time.Duration(i+1)*10*time.Minute), r.m, jobEnd("a", "shot 010", managerapi.JobFailed, r.updated)); send != nil || !retry.IsZero() {
			t.Errorf("reported again %s: %+v, retry %v", r.how, send, retry)
		}
	}
	n.add(now.Add(time.Hour), found, jobChange("a", managerapi.JobFailed, managerapi.JobQueued))
	n.add(now.Add(time.Hour), found, jobChange("a", managerapi.JobQueued, managerapi.JobActive))
	if send, _ := n.add(now.Add(2*time.Hour), found, jobEnd("a", "shot 010", managerapi.JobFailed, now.Add(time.Hour))); send == nil {
		t.Error("a second failure after a requeue was not notified")
	}
	if send, _ := n.add(now.Add(2*time.Hour), byHand, jobEnd("a", "shot 010", managerapi.JobFailed, now.Add(2*time.Hour))); send != nil {
		t.Errorf("the second failure, reported again: %+v", send)
	}
	if send, _ := n.add(now.Add(2*time.Hour), found, jobChange("b", "", managerapi.JobActive)); send != nil {
		t.Errorf("a job that started: %+v", send)
	}
}

// Job ends have their own budget (4 a minute); more are held and sent as one notification, failures
// first, once the budget allows: none is dropped.
func TestJobNoticesHoldWhatIsOverTheBudget(t *testing.T) {
	now := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	studio := manager("Studio Farm", true)
	n := newJobNotices()
	var sent int
	for i := range 4 {
		if send, retry := n.add(now, studio, jobEnd(fmt.Sprint(i), fmt.Sprintf("shot %d", i), managerapi.JobCompleted, now)); send == nil || !retry.IsZero() {
			t.Fatalf("end %d within the budget: %+v, retry %v", i, send, retry)
		}
		sent++
	}
	var retryAt time.Time
	for i, status := range []managerapi.JobStatus{managerapi.JobCompleted, managerapi.JobFailed, managerapi.JobCanceled, managerapi.JobCompleted, managerapi.JobFailed} {
		send, retry := n.add(now.Add(time.Second), studio, jobEnd(fmt.Sprint(10+i), fmt.Sprintf("late %d", i), status, now))
		if send != nil {
			t.Fatalf("over the budget, sent %+v", send)
		}
		retryAt = retry
	}
	if want := now.Add(time.Minute); !retryAt.Equal(want) {
		t.Errorf("retry at %v, want %v", retryAt, want)
	}
	if send, retry := n.flush(now.Add(30 * time.Second)); send != nil || !retry.Equal(now.Add(time.Minute)) {
		t.Errorf("flushed early: %+v, retry %v", send, retry)
	}
	send, retry := n.flush(now.Add(time.Minute))
	if send == nil || !retry.IsZero() {
		t.Fatalf("flush: %+v, retry %v", send, retry)
	}
	if want := (news{Title: "5 jobs ended, 2 failed", Body: "2 failed, 1 canceled, 2 finished: “late 1”, “late 4”, “late 2” and 2 more",
		Open: studio.URL + "app/jobs/11"}); *send != want {
		t.Errorf("summary %+v, want %+v", *send, want)
	}
	if send, _ := n.flush(now.Add(2 * time.Minute)); send != nil {
		t.Errorf("sent twice: %+v", send)
	}
	// One held alone is sent as itself.
	for i := range 5 {
		n.add(now.Add(2*time.Minute), studio, jobEnd(fmt.Sprint(20+i), fmt.Sprintf("night %d", i), managerapi.JobFailed, now))
	}
	if send, _ := n.flush(now.Add(3 * time.Minute)); send == nil || send.Title != "Job failed" || send.Body != "“night 4” on Studio Farm — 3.3.1" {
		t.Errorf("one held: %+v", send)
	}
}

func TestJobNews(t *testing.T) {
	studio := manager("Studio Farm", true)
	for _, tc := range []struct {
		status      managerapi.JobStatus
		title, body string
	}{
		{managerapi.JobCompleted, "Job finished", "“shot 010” on Studio Farm — 3.3.1"},
		{managerapi.JobFailed, "Job failed", "“shot 010” on Studio Farm — 3.3.1"},
		{managerapi.JobCanceled, "Job canceled", "“shot 010” on Studio Farm — 3.3.1"},
		{managerapi.JobActive, "", ""},
	} {
		got := jobNews(studio, managerapi.Job{ID: "a", Name: "shot\u00a0010\u202e", Status: tc.status})
		want := &news{Title: tc.title, Body: tc.body, Open: studio.URL + "app/jobs/a", Frame: frameKey{studio.URL, "a"}}
		if tc.title == "" {
			want = nil
		}
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s: %+v, want %+v", tc.status, got, want)
		}
	}
}
