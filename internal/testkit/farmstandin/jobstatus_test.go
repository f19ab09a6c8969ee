//go:build linux

package farmstandin_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// statusSteps reads /jobs frames as "previous→status" (refresh_tasks marked "*"), and fails on others.
func statusSteps(t *testing.T, frames []string) []string {
	t.Helper()
	var steps []string
	for _, frame := range frames {
		var parts []json.RawMessage
		var u struct {
			Status   string `json:"status"`
			Previous string `json:"previous_status"`
			Refresh  bool   `json:"refresh_tasks"`
		}
		if !strings.HasPrefix(frame, `42["/jobs"`) || json.Unmarshal([]byte(frame[2:]), &parts) != nil ||
			json.Unmarshal(parts[1], &u) != nil {
			t.Fatalf("not a /jobs frame: %q", frame)
		}
		step := u.Previous + "→" + u.Status
		if u.Refresh {
			step += "*"
		}
		steps = append(steps, step)
	}
	return steps
}

// A status change goes through the Manager's state machine, which takes any status from any status
// (Flamenco's SetJobStatus checks none): each step told with previous_status and refresh_tasks (*),
// the job's activity the reason. A pause waits for the running task of a job that was active (the
// stand-in runs none of a submitted job's tasks, so it waits until a test says); a job already in
// the status is left alone. 3.3 has no pause.
func TestSetJobStatusFollowsTheStateMachine(t *testing.T) {
	for _, tc := range []struct {
		version, from, ask string
		steps              []string
		final              string
	}{
		{"3.8.5", "active", "pause-requested", []string{"active→pause-requested*"}, "pause-requested"},
		{"3.8.5", "queued", "pause-requested", []string{"queued→pause-requested*", "pause-requested→paused"}, "paused"},
		{"3.8.5", "paused", "queued", []string{"paused→queued*"}, "queued"},
		{"3.8.5", "paused", "requeueing", []string{"paused→requeueing*", "requeueing→queued*"}, "queued"},
		{"3.8.5", "failed", "requeueing", []string{"failed→requeueing*", "requeueing→queued*"}, "queued"},
		{"3.8.5", "active", "cancel-requested", []string{"active→cancel-requested*", "cancel-requested→canceled"}, "canceled"},
		{"3.8.5", "canceled", "active", []string{"canceled→active"}, "active"},
		{"3.8.5", "queued", "queued", nil, "queued"},
		{"3.3.1", "active", "pause-requested", nil, "active"},
		{"3.3.1", "active", "paused", []string{"active→paused"}, "paused"},
		{"3.3.1", "completed", "requeueing", []string{"completed→requeueing*", "requeueing→queued*"}, "queued"},
		{"3.3.1", "queued", "cancel-requested", []string{"queued→cancel-requested*", "cancel-requested→canceled"}, "canceled"},
	} {
		name := fmt.Sprintf("%s/%s→%s", tc.version, tc.from, tc.ask)
		farm := farmstandin.New("Actions Farm", farmstandin.WithVersion(tc.version))
		job := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice", Status: tc.from})
		srv := farmstandin.Serve(t, farm)
		c := dialBus(t, srv)
		c.handshake()
		c.subscribe("subscribe", "allJobs")
		code := 0
		frames := framesOf(farm, func() {
			resp, _ := send(t, "POST", srv.URL+"api/v3/jobs/"+job+"/setstatus", `{"status":"`+tc.ask+`","reason":"asked by the test"}`)
			code = resp.StatusCode
		}, c)[0]
		frames = slices.DeleteFunc(frames, func(f string) bool { return strings.HasPrefix(f, `42["/status"`) })
		if steps := statusSteps(t, frames); !slices.Equal(steps, tc.steps) || farm.JobStatus(job) != tc.final {
			t.Errorf("%s: %d, steps %q, now %s; want %q, %s", name, code, steps, farm.JobStatus(job), tc.steps, tc.final)
		}
		_, body := send(t, "GET", srv.URL+"api/v3/jobs/"+job, "")
		activity := `"activity":"Changed to status \"` + tc.final + `\": asked by the test"`
		if tc.steps == nil {
			activity = `"activity":"Changed to status \"` + tc.from + `\": job submitted"`
		}
		if !strings.Contains(string(body), activity) {
			t.Errorf("%s: job %s, want %s", name, body, activity)
		}
		srv.Down()
	}
}

// A requeue on 3.8 counts the job's steps from its tasks: a job that told steps_total 0 tells them
// all after, and a completed job starts over; the frames tell the job as it was before.
func TestRequeueRecountsStepsFrom38(t *testing.T) {
	farm := farmstandin.New("Actions Farm", farmstandin.WithVersion("3.8.5"))
	fresh := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", Status: "failed", TaskSteps: 4})
	done := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-020", Status: "completed", Steps: 3})
	must(t, farm.SetJobProgress(done, 3))
	srv := farmstandin.Serve(t, farm)
	for job, want := range map[string]string{fresh: `"steps_completed":0,"steps_total":4`, done: `"steps_completed":0,"steps_total":3`} {
		send(t, "POST", srv.URL+"api/v3/jobs/"+job+"/setstatus", `{"status":"requeueing","reason":"again"}`)
		if _, body := send(t, "GET", srv.URL+"api/v3/jobs/"+job, ""); !strings.Contains(string(body), want) {
			t.Errorf("after the requeue: %s, want %s", body, want)
		}
	}
}

// Refusals, each version's words: a status the version lacks (the validator's, without a code), a
// body without a reason or not JSON, an id that is not a UUID, a job the Manager does not have (the
// handler's, with a code). Every request the Manager handled is listed and an event; one a hostile
// mode answered is only counted.
func TestSetJobStatusRefusesAndCounts(t *testing.T) {
	for _, version := range captureVersions {
		farm := farmstandin.New("Actions Farm", farmstandin.WithVersion(version))
		job := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice", Status: "active"})
		srv := farmstandin.Serve(t, farm)
		validator := `request body has an error: doesn't match the schema: Error at "/reason": property "reason" is missing`
		if version != "3.3.1" {
			validator = `request body has an error: doesn't match schema #/components/schemas/JobStatusChange: Error at "/reason": property "reason" is missing`
		}
		unknown := farmstandin.NewID()
		for _, tc := range []struct{ id, body, want string }{
			{job, `{"status":"failed"}`, `400 {"message":"` + strings.ReplaceAll(validator, `"`, `\"`) + `"}`},
			{job, `{"status":`, `400 {"message":"request body has an error: failed to decode request body: unexpected EOF"}`},
			{"shot-010", `{"status":"failed","reason":"x"}`, `400 {"code":400,"message":"job ID not valid"}`},
			{unknown, `{"status":"failed","reason":"x"}`, `404 {"code":404,"message":"no such job"}`},
			{job, `{"status":"requeueing","reason":"requeued by the test"}`, "204 "},
		} {
			resp, body := send(t, "POST", srv.URL+"api/v3/jobs/"+tc.id+"/setstatus", tc.body)
			if got := fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSuffix(string(body), "\n")); got != tc.want {
				t.Errorf("%s %s: %s, want %s", version, tc.body, got, tc.want)
			}
		}
		farm.WaitFor(t, 5*time.Second, "the requeue", func(events []farmstandin.Event) bool {
			return slices.ContainsFunc(events, func(e farmstandin.Event) bool {
				return e.Kind == "job-setstatus" && e.JobID == job && e.Detail == "requeueing"
			})
		})
		farm.SetMode(farmstandin.Failing)
		if resp, _ := send(t, "POST", srv.URL+"api/v3/jobs/"+job+"/setstatus", `{"status":"failed","reason":"x"}`); resp.StatusCode != 500 {
			t.Errorf("%s: failing Manager answered %d", version, resp.StatusCode)
		}
		want := []farmstandin.JobStatusRequest{
			{JobID: job, Status: "failed", Code: 400},
			{JobID: job, Code: 400},
			{JobID: "shot-010", Status: "failed", Reason: "x", Code: 400},
			{JobID: unknown, Status: "failed", Reason: "x", Code: 404},
			{JobID: job, Status: "requeueing", Reason: "requeued by the test", Code: 204},
		}
		if got := farm.JobStatusRequests(); !slices.Equal(got, want) {
			t.Errorf("%s: requests\n %+v\nwant\n %+v", version, got, want)
		}
		if n := farm.Stats().ByRoute["POST /api/v3/jobs/{id}/setstatus"]; n != 6 {
			t.Errorf("%s: %d setstatus requests counted", version, n)
		}
		srv.Down()
	}
}

// A job's tasks the stand-in runs (QueueTask's) follow its status as the real Manager's do: a pause
// pauses a queued task at once (no Worker gets it) and waits for a running one to end; "queued" alone
// leaves paused tasks paused (the web UI resumes with requeueing); a requeue queues them again; a
// cancel stops a running task (may-i-run says no).
func TestJobStatusMovesTheTasksOfARealWorker(t *testing.T) {
	farm := farmstandin.New("Actions Farm", farmstandin.WithVersion("3.8.5"))
	srv := farmstandin.Serve(t, farm)
	worker := awakeWorker(t, srv)
	setStatus := func(job, status string) {
		t.Helper()
		if resp, body := send(t, "POST", srv.URL+"api/v3/jobs/"+job+"/setstatus", `{"status":"`+status+`","reason":"test"}`); resp.StatusCode != 204 {
			t.Fatalf("setstatus %s: %d %s", status, resp.StatusCode, body)
		}
	}
	job, task := farm.QueueTask("shot-300 lighting", 60)
	setStatus(job, "pause-requested")
	if farm.JobStatus(job) != "paused" || farm.TaskStatus(task) != "paused" || worker("POST", "api/v3/worker/task", "") != "204" {
		t.Errorf("after the pause: job %s, task %s", farm.JobStatus(job), farm.TaskStatus(task))
	}
	setStatus(job, "queued")
	if farm.JobStatus(job) != "queued" || farm.TaskStatus(task) != "paused" || worker("POST", "api/v3/worker/task", "") != "204" {
		t.Errorf("after queued: job %s, task %s", farm.JobStatus(job), farm.TaskStatus(task))
	}
	setStatus(job, "requeueing")
	if got := worker("POST", "api/v3/worker/task", ""); !strings.Contains(got, task) || farm.JobStatus(job) != "active" {
		t.Fatalf("after the requeue: job %s, the Worker got %s", farm.JobStatus(job), got)
	}
	setStatus(job, "pause-requested")
	mayRun := worker("GET", "api/v3/worker/task/"+task+"/may-i-run", "")
	if farm.JobStatus(job) != "pause-requested" || mayRun != `200 {"may_keep_running":true}` {
		t.Errorf("pause while running: job %s, may-i-run %s", farm.JobStatus(job), mayRun)
	}
	worker("POST", "api/v3/worker/task/"+task, `{"task_status":"completed","activity":"done"}`)
	if farm.JobStatus(job) != "completed" {
		t.Errorf("the running task completed: job %s", farm.JobStatus(job))
	}

	job, task = farm.QueueTask("shot-310 lighting", 60)
	worker("POST", "api/v3/worker/task", "")
	setStatus(job, "cancel-requested")
	mayRun = worker("GET", "api/v3/worker/task/"+task+"/may-i-run", "")
	if farm.JobStatus(job) != "canceled" || mayRun != `200 {"may_keep_running":false,"reason":"task is in non-runnable status \"canceled\""}` {
		t.Errorf("cancel while running: job %s, may-i-run %s", farm.JobStatus(job), mayRun)
	}
}

// awakeWorker registers a Worker through the Worker API, signs it on and wakes it; it returns a
// function sending the Worker's signed requests, answering "status body".
func awakeWorker(t *testing.T, srv *farmstandin.Server) func(method, path, body string) string {
	t.Helper()
	const secret = "s3cret"
	_, registered := send(t, "POST", srv.URL+"api/v3/worker/register-worker",
		`{"name":"actions-worker","platform":"linux","secret":"`+secret+`","supported_task_types":["misc"]}`)
	var answer struct{ UUID string }
	if err := json.Unmarshal(registered, &answer); err != nil {
		t.Fatalf("register: %s", registered)
	}
	worker := func(method, path, body string) string {
		resp, data := sendSigned(t, answer.UUID, secret, method, srv.URL+path, body)
		return strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, data))
	}
	worker("POST", "api/v3/worker/sign-on", `{"name":"actions-worker","supported_task_types":["misc"],"software_version":"3.8.5","can_restart":false}`)
	worker("POST", "api/v3/worker/state-changed", `{"status":"awake"}`)
	return worker
}
