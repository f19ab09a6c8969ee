//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

const jobSetStatusRoute = "POST /api/v3/jobs/{id}/setstatus"

// oneJobFarm serves a stand-in Manager of that version with one job of alice's in status.
func oneJobFarm(t *testing.T, name, version, status string) (*farmstandin.Server, string) {
	t.Helper()
	f := farmstandin.New(name, farmstandin.WithVersion(version))
	id := f.SubmitJob(farmstandin.JobSpec{Name: "shot-010 lighting", User: "alice", Status: status})
	return farmstandin.Serve(t, f), id
}

// loginName is who the reason names: the OS user running the test.
func loginName(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Skip("no OS user name to check the reason against")
	}
	return u.Username
}

// wantReason is how the job's activity on the Manager tells each action.
var wantReason = map[string]string{"pause": "paused", "resume": "resumed", "requeue": "requeued", "cancel": "canceled"}

// Each action sends the one status change Flamenco's web UI sends, with a reason naming the user,
// on both generations of the API, and the job takes that status.
func TestJobActionsSendOneStatusChange(t *testing.T) {
	cases := []struct {
		action, from, sent, after, done string
		versions                        []string
	}{
		// A job the stand-in runs no task of: one a Worker renders stays pause-requested, the
		// others go on as the Manager's state machine takes them.
		{"pause", "active", "pause-requested", "pause-requested", "Pausing", []string{"3.8.5"}},
		{"resume", "paused", "requeueing", "queued", "Resumed", []string{"3.3.1", "3.8.5"}},
		{"requeue", "failed", "requeueing", "queued", "Requeued", []string{"3.3.1", "3.8.5"}},
		{"cancel", "active", "cancel-requested", "canceled", "Canceling", []string{"3.3.1", "3.8.5"}},
	}
	login := loginName(t)
	for _, tc := range cases {
		for _, version := range tc.versions {
			t.Run(tc.action+"/"+version, func(t *testing.T) {
				srv, id := oneJobFarm(t, "Studio Farm", version, tc.from)
				code, out, errOut := runCommand(context.Background(), "job", tc.action, id, "--manager", srv.URL)
				if code != 0 {
					t.Fatalf("exit %d, stderr:\n%s", code, errOut)
				}
				if want := tc.done + " “shot-010 lighting” on Studio Farm\n"; out != want {
					t.Errorf("stdout %q, want %q", out, want)
				}
				want := farmstandin.JobStatusRequest{JobID: id, Status: tc.sent, Reason: wantReason[tc.action] + " from Flamenco Tray by " + login,
					Code: 204}
				if got := srv.JobStatusRequests(); len(got) != 1 || got[0] != want || srv.Stats().ByRoute[jobSetStatusRoute] != 1 {
					t.Errorf("sent %+v, want only %+v", got, want)
				}
				if got := srv.JobStatus(id); got != tc.after {
					t.Errorf("job is %s, want %s", got, tc.after)
				}
			})
		}
	}
}

// Flamenco 3.3 cannot pause: its refusal is shown in its own words, with what it takes.
func TestJobPauseOnFlamenco33ShowsTheManagersRefusal(t *testing.T) {
	srv, id := oneJobFarm(t, "Old Farm", "3.3.1", "active")
	code, out, errOut := runCommand(context.Background(), "job", "--manager", srv.URL, "pause", id)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"Old Farm (" + srv.URL + ") refused to pause “shot-010 lighting”",
		`Error at "/status": value is not one of the allowed values`, "needs Flamenco 3.6 or later; this Manager runs 3.3.1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if got := srv.JobStatusRequests(); len(got) != 1 || got[0].Status != "pause-requested" || got[0].Code != 400 ||
		srv.JobStatus(id) != "active" {
		t.Errorf("sent %+v, job %s; want one pause-requested refused, the job still active", got, srv.JobStatus(id))
	}
}

// What the job's state does not allow is refused here, and nothing is sent: the Manager takes any
// status from any status (it would cancel a completed job).
func TestJobRefusesWhatTheJobsStateDoesNotAllow(t *testing.T) {
	cases := []struct{ action, from, want string }{
		{"resume", "active", "“shot-010 lighting” is active: only a paused job can be resumed"},
		{"requeue", "queued", "“shot-010 lighting” is queued: only a failed or canceled job can be requeued"},
		{"cancel", "completed", "“shot-010 lighting” is completed: only a job that is queued, active, paused, pausing or requeueing can be canceled"},
		{"pause", "paused", "“shot-010 lighting” is paused: only a queued or active job can be paused"},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			srv, id := oneJobFarm(t, "Studio Farm", "3.8.5", tc.from)
			code, out, errOut := runCommand(context.Background(), "job", tc.action, id, "--manager", srv.URL)
			if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
			}
			if n := srv.Stats().ByRoute[jobSetStatusRoute]; n != 0 || srv.JobStatus(id) != tc.from {
				t.Errorf("%d setstatus requests, job %s; want none sent", n, srv.JobStatus(id))
			}
		})
	}
}

func TestJobUnknownToTheManager(t *testing.T) {
	srv, _ := oneJobFarm(t, "Studio Farm", "3.8.5", "active")
	unknown := farmstandin.NewID()
	code, out, errOut := runCommand(context.Background(), "job", "cancel", unknown, "--manager", srv.URL)
	if code != 1 || out != "" || !strings.Contains(errOut, "Studio Farm ("+srv.URL+") has no job "+unknown) ||
		!strings.Contains(errOut, ": no such job") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if n := srv.Stats().ByRoute[jobSetStatusRoute]; n != 0 {
		t.Errorf("%d setstatus requests, want none", n)
	}
}

func TestJobOnAManagerThatDoesNotAnswer(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + listener.Addr().String() + "/"
	listener.Close()
	start := time.Now()
	code, out, errOut := runCommand(context.Background(), "job", "requeue", farmstandin.NewID(), "--manager", closed)
	if code != 1 || out != "" || !strings.Contains(errOut, "no Flamenco Manager answers at "+closed) {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if took := time.Since(start); took > managerapi.DefaultTimeout {
		t.Errorf("took %v, longer than a request may", took)
	}
}

func TestJobUsageErrors(t *testing.T) {
	id := farmstandin.NewID()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"job", "pause", "shot-010", "--manager", "http://farm:8080/"}, `"shot-010" is not a job ID`},
		{[]string{"job", "pause", id + "x"}, "is not a job ID"},
		{[]string{"job", "delete", id}, `unknown action "delete"`},
		{[]string{"job", "pause"}, "job pause|resume|requeue|cancel JOB_ID"},
		{[]string{"job", "pause", id, id}, "job pause|resume|requeue|cancel JOB_ID"},
		{[]string{"job", "cancel", id, "--manager", "file:///etc/passwd"}, `URL "file:///etc/passwd": only http and https are used`},
		{[]string{"job", "cancel", id, "--manager", "javascript:alert(1)"}, "only http and https are used"},
		{[]string{"job", "cancel", id, "--manager", "http://me:secret@farm:8080/"}, "user info is not accepted"},
	}
	for _, tc := range cases {
		code, out, errOut := runCommand(context.Background(), tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "Usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s", tc.args, code, out, errOut)
		}
	}
}

// Without --manager the job is looked for on every Manager found (here those the tray remembers; the
// LAN search finds none): the one that has it is used; none or two that have it is an exit 1.
func TestJobFindsTheManagerThatHasIt(t *testing.T) {
	netns.RequireIsolated(t)
	studio, id := oneJobFarm(t, "Studio Farm", "3.8.5", "failed")
	other, _ := oneJobFarm(t, "Other Farm", "3.3.1", "failed")
	home := trayHome(t)
	prefDir := filepath.Join(home, ".config", "fyne", app.ID)
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		t.Fatal(err)
	}
	prefs, _ := json.Marshal(map[string]any{"manualManagers": []string{other.URL, studio.URL}})
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), prefs, 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCommand(context.Background(), "job", "requeue", id)
	if code != 0 || out != "Requeued “shot-010 lighting” on Studio Farm\n" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if studio.JobStatus(id) != "queued" || studio.Stats().ByRoute[jobSetStatusRoute] != 1 ||
		other.Stats().ByRoute[jobSetStatusRoute] != 0 {
		t.Errorf("job %s; setstatus sent %d to the Manager that has it, %d to the other", studio.JobStatus(id),
			studio.Stats().ByRoute[jobSetStatusRoute], other.Stats().ByRoute[jobSetStatusRoute])
	}

	unknown := farmstandin.NewID()
	code, _, errOut = runCommand(context.Background(), "job", "cancel", unknown)
	if code != 1 || !strings.Contains(errOut, "no Manager found has job "+unknown) ||
		!strings.Contains(errOut, "Studio Farm ("+studio.URL+")") || !strings.Contains(errOut, "Other Farm ("+other.URL+")") {
		t.Errorf("an unknown job: exit %d, stderr:\n%s", code, errOut)
	}

	other.SubmitJob(farmstandin.JobSpec{ID: id, Name: "shot-010 copy", User: "alice", Status: "failed"})
	code, _, errOut = runCommand(context.Background(), "job", "cancel", id)
	if code != 1 || !strings.Contains(errOut, "more than one Manager has job "+id) || !strings.Contains(errOut, "--manager") {
		t.Errorf("a job on two Managers: exit %d, stderr:\n%s", code, errOut)
	}
	if n := studio.Stats().ByRoute[jobSetStatusRoute] + other.Stats().ByRoute[jobSetStatusRoute]; n != 1 {
		t.Errorf("%d setstatus requests in all, want only the first command's", n)
	}
}
