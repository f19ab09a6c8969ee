package farm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// MaxMyJobs is how many of the user's jobs a Summary lists.
const MaxMyJobs = 10

// maxUnfinishedListed is how many of the farm's unfinished jobs a Summary lists to pick from.
const maxUnfinishedListed = 20

// Summary is what the menu and `status` show of one Manager.
type Summary struct {
	Manager string               // the Manager's URL
	Farm    managerapi.FarmState // FarmUnknown until known; the last known state while Unavailable
	// FarmFromManager: Farm is the Manager's own (GET /api/v3/status, 3.5 and later), not computed here.
	FarmFromManager bool
	Workers         map[managerapi.WorkerStatus]int // every status of WorkerStatuses present, 0 when none
	// Jobs counts the jobs per status, every status of JobStatuses present: all unfinished jobs, and
	// the jobs that finished today (local time) for completed, failed and canceled.
	Jobs        map[managerapi.JobStatus]int
	FailedToday int // Jobs[JobFailed], for the menu's "1 failed today"
	// FinishedTodayCapped: more jobs finished today than one query returns; the finished counts are
	// lower bounds.
	FinishedTodayCapped bool
	// MyJobs are the user's and the watched jobs, latest update first, at most MaxMyJobs.
	MyJobs []managerapi.Job
	// Unfinished lists the farm's unfinished jobs (anyone's), latest first, at most 20: the jobs the
	// user can pick to watch when no job carries the identity's metadata key.
	Unfinished []managerapi.Job
	// NoJobCarriesKey: no job seen on this Manager has the identity's metadata key, so none can be
	// told to be the user's: the menu explains how to turn it on.
	NoJobCarriesKey bool
	// Unavailable is "" or why the farm status cannot be had now (no answer, 500, too large or
	// malformed answers, a Manager too old for this API): the menu says "farm status unavailable".
	Unavailable string
	UpdatedAt   time.Time // the last successful answer
	// Theirs are the jobs of MyJobs that are watched but not the user's: the menu offers no actions
	// on them.
	Theirs map[string]bool
	// CanPause: the Manager pauses jobs (Flamenco 3.6+, the generation that lists every job).
	CanPause bool
	// Frames are the news of new last rendered frames of the jobs of MyJobs, by job id, as the event
	// bus told them (none while polling).
	Frames map[string]LastFrame
	// Connection says whether the Manager's changes come live over its event bus, or by polling and
	// why.
	Connection Connection
}

// Known says whether anything is known of the farm yet.
func (s Summary) Known() bool { return !s.UpdatedAt.IsZero() }

// Clone returns a deep copy.
func (s Summary) Clone() Summary {
	s.Workers = maps.Clone(s.Workers)
	s.Jobs = maps.Clone(s.Jobs)
	s.MyJobs = cloneJobs(s.MyJobs)
	s.Unfinished = cloneJobs(s.Unfinished)
	s.Frames = maps.Clone(s.Frames)
	s.Theirs = maps.Clone(s.Theirs)
	return s
}

func cloneJobs(jobs []managerapi.Job) []managerapi.Job {
	if jobs == nil {
		return nil
	}
	out := make([]managerapi.Job, len(jobs))
	for i, j := range jobs {
		j.Metadata = maps.Clone(j.Metadata)
		out[i] = j
	}
	return out
}

// sameContent says whether a and b show the same, UpdatedAt aside (every poll moves it).
func sameContent(a, b Summary) bool {
	return a.Manager == b.Manager && a.Farm == b.Farm && a.FarmFromManager == b.FarmFromManager &&
		maps.Equal(a.Workers, b.Workers) && maps.Equal(a.Jobs, b.Jobs) && a.FailedToday == b.FailedToday &&
		a.FinishedTodayCapped == b.FinishedTodayCapped && slices.EqualFunc(a.MyJobs, b.MyJobs, sameJob) &&
		slices.EqualFunc(a.Unfinished, b.Unfinished, sameJob) && a.NoJobCarriesKey == b.NoJobCarriesKey &&
		a.Unavailable == b.Unavailable && a.Connection == b.Connection &&
		a.CanPause == b.CanPause && maps.Equal(a.Theirs, b.Theirs) &&
		maps.EqualFunc(a.Frames, b.Frames, func(x, y LastFrame) bool { return x.At.Equal(y.At) })
}

func sameJob(a, b managerapi.Job) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Status == b.Status && a.Activity == b.Activity &&
		a.Updated.Equal(b.Updated) && a.Priority == b.Priority && maps.Equal(a.Metadata, b.Metadata) &&
		(a.Progress == nil) == (b.Progress == nil) && (a.Progress == nil || *a.Progress == *b.Progress)
}

// newestFirst orders jobs by their last update, latest first (then by id, for a stable order).
func newestFirst(a, b managerapi.Job) int {
	if c := b.Updated.Compare(a.Updated); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// JobTransition is a change of status of one of the user's jobs, or of a job they watch.
type JobTransition struct {
	Manager string         // the Manager's URL
	Job     managerapi.Job // as last seen, in its new status
	// From is "" for a job first seen after the first poll (submitted since, or finished between
	// two polls).
	From, To managerapi.JobStatus
}

// Finished says whether the job ended with this transition (completed, failed or canceled).
func (t JobTransition) Finished() bool { return t.To.Finished() && t.From != t.To }

// Describe says what makes a farm status unavailable, in words for the menu and the log.
func Describe(err error) string {
	var apiErr *managerapi.APIError
	var netErr net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return "the Manager did not answer in time"
	case errors.Is(err, managerapi.ErrTooLarge):
		return "the Manager's answer was too large"
	case errors.Is(err, managerapi.ErrMalformed):
		return "the Manager's answer was malformed"
	case errors.As(err, &apiErr) && apiErr.StatusCode == 404:
		return "this Manager is too old for farm status (" + apiErr.Method + " " + apiErr.Path + ": 404)"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("the Manager answered %d %s", apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	}
	return "the Manager cannot be reached (" + err.Error() + ")"
}
