package farm

import (
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// The news of a new frame is kept for the user's jobs only, shown for the jobs the summary lists,
// and forgotten with the job.
func TestViewKeepsTheNewsOfMyJobsFramesOnly(t *testing.T) {
	mine := job("a1", "alice", managerapi.JobActive, start)
	theirs := job("b1", "bob", managerapi.JobActive, start)
	v := primedView(t, []managerapi.Job{mine, theirs}, []managerapi.Job{mine})
	frame := func(id string) managerapi.LastRenderedUpdate {
		return managerapi.LastRenderedUpdate{JobID: id, Thumbnail: managerapi.LastRendered{Base: "/job-files/job-" + id + "/" + id,
			Suffixes: []string{managerapi.FrameTiny}}}
	}
	at := start.Add(time.Minute)
	if !v.observeFrame(frame("a1"), at) {
		t.Error("a frame of my job changed nothing shown")
	}
	if v.observeFrame(frame("b1"), at) || v.observeFrame(frame("zz"), at) {
		t.Error("a frame of another's job, or of a job unknown, changed what is shown")
	}
	s := v.summary(at, time.UTC)
	if got, ok := s.Frames["a1"]; !ok || !got.At.Equal(at) || got.Where.Base != "/job-files/job-a1/a1" || len(s.Frames) != 1 {
		t.Fatalf("frames %+v, want my job's news alone", s.Frames)
	}
	v.observeJobGone("a1")
	if s := v.summary(at, time.UTC); len(s.Frames) != 0 || len(v.frames) != 0 {
		t.Errorf("the news of a deleted job's frame is kept: %+v", v.frames)
	}
}
