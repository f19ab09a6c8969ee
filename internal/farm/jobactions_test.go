package farm

import (
	"slices"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func TestActionsForFollowTheJobsStateAndTheManagersVersion(t *testing.T) {
	cases := []struct {
		status   managerapi.JobStatus
		canPause bool
		want     []JobAction
	}{
		{managerapi.JobActive, true, []JobAction{Pause, Cancel}},
		{managerapi.JobActive, false, []JobAction{Cancel}}, // 3.3–3.5 refuse pause-requested
		{managerapi.JobQueued, true, []JobAction{Pause, Cancel}},
		{managerapi.JobPaused, true, []JobAction{Resume, Cancel}},
		{managerapi.JobPauseRequested, true, []JobAction{Cancel}},
		{managerapi.JobRequeueing, true, []JobAction{Cancel}},
		{managerapi.JobFailed, true, []JobAction{Requeue}},
		{managerapi.JobCanceled, false, []JobAction{Requeue}},
		{managerapi.JobCompleted, true, nil},
		{managerapi.JobCancelRequested, true, nil},
		{managerapi.JobUnderConstruction, true, nil},
		{"something-new", true, nil},
	}
	for _, c := range cases {
		if got := ActionsFor(c.status, c.canPause); !slices.Equal(got, c.want) {
			t.Errorf("ActionsFor(%s, canPause %t) = %v, want %v", c.status, c.canPause, got, c.want)
		}
	}
}

func TestJobActionsAskForTheStatusesOfFlamencosWebUI(t *testing.T) {
	want := map[JobAction]managerapi.JobStatus{Pause: "pause-requested", Resume: "requeueing", Requeue: "requeueing",
		Cancel: "cancel-requested"}
	for _, a := range JobActions {
		if a.Status() != want[a] {
			t.Errorf("%s asks for %q, want %q", a, a.Status(), want[a])
		}
	}
	if got := Pause.Reason("alice"); got != "paused from Flamenco Tray by alice" {
		t.Errorf("reason %q", got)
	}
}
