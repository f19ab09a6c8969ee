package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func TestCountsLine(t *testing.T) {
	t.Parallel()
	order := []string{"awake", "asleep", "offline"}
	for _, tc := range []struct {
		counts map[string]int
		want   string
	}{
		{map[string]int{"awake": 3, "asleep": 1, "offline": 2}, "3 awake · 1 asleep · 2 offline"},
		{map[string]int{"awake": 0, "asleep": 0, "offline": 2}, "2 offline"},
		{map[string]int{"awake": 0}, "none"},
		{map[string]int{"awake": 1, "hibernating": 4}, "1 awake · 4 hibernating"}, // a newer Manager's status
	} {
		if got := countsLine(tc.counts, order, nil); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.counts, got, tc.want)
		}
	}
	if got := countsLine(map[string]int{"failed": 1}, []string{"failed"}, map[string]string{"failed": "failed today"}); got != "1 failed today" {
		t.Errorf("label: %q", got)
	}
}

func TestFormatWatchLine(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 15, 48, 1, 0, time.UTC)
	m := watchedManager{Name: "Studio Farm", URL: "http://farm:8080/"}
	job := &jobJSON{ID: "a507", Name: "shot-010 lighting", URL: "http://farm:8080/app/jobs/a507"}
	for _, tc := range []struct {
		line watchLineJSON
		want string
	}{
		{watchLineJSON{Time: at, Manager: m, Event: "job-finished", From: "active", To: "completed", Job: job},
			"2026-11-25T15:48:01Z\tStudio Farm\tjob\tshot-010 lighting\tactive → completed\thttp://farm:8080/app/jobs/a507"},
		{watchLineJSON{Time: at, Manager: m, Event: "job", To: "queued", Job: job},
			"2026-11-25T15:48:01Z\tStudio Farm\tjob\tshot-010 lighting\tnew → queued\thttp://farm:8080/app/jobs/a507"},
		{watchLineJSON{Time: at, Manager: m, Event: "farm", From: "active", To: "idle"},
			"2026-11-25T15:48:01Z\tStudio Farm\tfarm\tactive → idle"},
		{watchLineJSON{Time: at, Manager: m, Event: "farm", From: "idle", To: "unknown", Unavailable: "the Manager did not answer in time"},
			"2026-11-25T15:48:01Z\tStudio Farm\tfarm\tidle → unknown\t(farm status unavailable: the Manager did not answer in time)"},
	} {
		if got := formatWatchLine(tc.line); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestStatusIdentityPrefersTheCommandLineThenSettings(t *testing.T) {
	t.Parallel()
	prefs := traySettings{Identity: farm.Identity{UserName: `STUDIO\bob`, MetadataKey: "artist"}}
	if id := statusIdentity(prefs, "", ""); id.UserName != "bob" || id.MetadataKey != "artist" {
		t.Errorf("from Settings: %+v", id)
	}
	if id := statusIdentity(prefs, "alice", "user.name"); id.UserName != "alice" || id.MetadataKey != "user.name" {
		t.Errorf("from the command line: %+v", id)
	}
	if id := statusIdentity(traySettings{Identity: farm.DefaultIdentity()}, "", ""); id.MetadataKey != farm.DefaultMetadataKey || id.UserName == "" {
		t.Errorf("defaults: %+v", id)
	}
}

func TestWatchPrintsAJobsProgressAtMostEveryTenSeconds(t *testing.T) {
	t.Parallel()
	throttle := progressThrottle{}
	t0 := time.Date(2026, 12, 4, 18, 31, 41, 0, time.UTC)
	job := func(done, total int, status managerapi.JobStatus) managerapi.Job {
		return managerapi.Job{ID: "cd8d7306-8dac-4c42-94e0-c9bf06c6c59c", Name: "shot-010 lighting", Status: status,
			Progress: &managerapi.Progress{Completed: done, Total: total}}
	}
	steps := []struct {
		after time.Duration
		job   managerapi.Job
		want  bool
	}{
		{0, job(0, 0, managerapi.JobQueued), false},          // no steps yet: nothing to say
		{time.Second, job(1, 3, managerapi.JobActive), true}, // the first progress
		{3 * time.Second, job(2, 3, managerapi.JobActive), false},
		{9 * time.Second, job(2, 3, managerapi.JobActive), false}, // still within 10 s of the last line
		{11 * time.Second, job(2, 3, managerapi.JobActive), true},
		{12 * time.Second, job(2, 3, managerapi.JobActive), false},    // unchanged
		{30 * time.Second, job(2, 3, managerapi.JobActive), false},    // unchanged, however late
		{31 * time.Second, job(3, 3, managerapi.JobCompleted), false}, // the end has its own line
	}
	for _, s := range steps {
		if got := throttle.due("http://farm:8080/", s.job, t0.Add(s.after)); got != s.want {
			t.Errorf("at +%v, %d/%d %s: due = %v, want %v", s.after, s.job.Progress.Completed, s.job.Progress.Total,
				s.job.Status, got, s.want)
		}
	}
	if !throttle.due("http://other:8080/", job(1, 3, managerapi.JobActive), t0.Add(12*time.Second)) {
		t.Error("a job of the same id on another Manager shares the first one's throttle")
	}
	line := formatWatchLine(watchLineJSON{Time: t0, Manager: watchedManager{Name: "Studio"}, Event: "progress", To: "active",
		Job: &jobJSON{Name: "shot-010 lighting", URL: "http://farm:8080/app/jobs/x", Progress: &managerapi.Progress{Completed: 2, Total: 3}}})
	if !strings.Contains(line, "shot-010 lighting\tactive · 2/3") {
		t.Errorf("progress line %q", line)
	}
}
