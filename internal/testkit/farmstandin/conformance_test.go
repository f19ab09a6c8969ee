//go:build linux

package farmstandin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

func loadCapture(t *testing.T, name string) farmstandin.Capture {
	t.Helper()
	c, err := farmstandin.LoadCapture(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// importJob seeds the farm with the job of a captured answer of GET /api/v3/jobs/{id}.
func importJob(t *testing.T, f *farmstandin.Farm, capture string) string {
	t.Helper()
	id, err := f.ImportJob(loadCapture(t, capture).Body)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// importWorkers seeds the farm with the Workers of a captured answer of the Workers list.
func importWorkers(t *testing.T, f *farmstandin.Farm, capture string) string {
	t.Helper()
	var list struct{ Workers []json.RawMessage }
	if err := json.Unmarshal(loadCapture(t, capture).Body, &list); err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, raw := range list.Workers {
		var err error
		if id, err = f.ImportWorker(raw); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

const (
	captureWorkerID = "0fb15e79-a2e0-49ce-9b5d-3727b7424391"
	activeJobID     = "a507a4ef-4244-40aa-b844-9d6b9a161a5b"
	failedJobID     = "bde1f222-4e12-4ac7-b02d-60aa563d4f6e"
)

var unfinished = `["active","queued","paused","cancel-requested","requeueing","under-construction"]`

// Each captured answer of the real Manager, and the request that, on a stand-in holding the same
// farm, must be answered the same: status, Content-Type, Vary, and the body byte for byte (fields,
// their order, types, the newline the Manager's framework adds).
var exchanges = []struct {
	capture      string
	setup        func(t *testing.T, f *farmstandin.Farm)
	method, path string
	body         string
}{
	{capture: "version", method: "GET", path: "api/v3/version"},
	{capture: "workers-none", method: "GET", path: "api/v3/worker-mgt/workers"},
	{capture: "workers-awake", method: "GET", path: "api/v3/worker-mgt/workers",
		setup: func(t *testing.T, f *farmstandin.Farm) { importWorkers(t, f, "workers-awake") }},
	{capture: "workers-busy", method: "GET", path: "api/v3/worker-mgt/workers",
		setup: func(t *testing.T, f *farmstandin.Farm) { importWorkers(t, f, "workers-busy") }},
	{capture: "workers-asleep", method: "GET", path: "api/v3/worker-mgt/workers",
		setup: func(t *testing.T, f *farmstandin.Farm) { importWorkers(t, f, "workers-asleep") }},
	{capture: "workers-offline", method: "GET", path: "api/v3/worker-mgt/workers",
		setup: func(t *testing.T, f *farmstandin.Farm) { importWorkers(t, f, "workers-offline") }},
	{capture: "worker-busy", method: "GET", path: "api/v3/worker-mgt/workers/" + captureWorkerID,
		setup: func(t *testing.T, f *farmstandin.Farm) {
			if _, err := f.ImportWorker(loadCapture(t, "worker-busy").Body); err != nil {
				t.Fatal(err)
			}
		}},
	{capture: "setstatus-asleep", method: "POST", path: "api/v3/worker-mgt/workers/" + captureWorkerID + "/setstatus",
		body:  `{"status":"asleep","is_lazy":false}`,
		setup: func(t *testing.T, f *farmstandin.Farm) { importWorkers(t, f, "workers-awake") }},
	{capture: "setstatus-offline", method: "POST", path: "api/v3/worker-mgt/workers/" + captureWorkerID + "/setstatus",
		body:  `{"status":"offline","is_lazy":false}`,
		setup: func(t *testing.T, f *farmstandin.Farm) { importWorkers(t, f, "workers-asleep") }},
	{capture: "job-active", method: "GET", path: "api/v3/jobs/" + activeJobID,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-active") }},
	{capture: "job-completed", method: "GET", path: "api/v3/jobs/" + activeJobID,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-completed") }},
	{capture: "job-failed", method: "GET", path: "api/v3/jobs/" + failedJobID,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-failed") }},
	// The request body of query-all was not recorded; its order (the failed job, updated last, first)
	// is that of -updated_at, which is what is sent here.
	{capture: "query-all", method: "POST", path: "api/v3/jobs/query", body: `{"order_by":["-updated_at"]}`,
		setup: func(t *testing.T, f *farmstandin.Farm) {
			importJob(t, f, "job-completed")
			importJob(t, f, "job-failed")
		}},
	{capture: "query-unfinished", method: "POST", path: "api/v3/jobs/query", body: `{"status_in":` + unfinished + `}`,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-active") }},
	{capture: "query-mine-quoted-key", method: "POST", path: "api/v3/jobs/query",
		body:  `{"metadata":{"\"user.name\"":"alice"},"order_by":["-updated_at"],"limit":10}`,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-active") }},
	{capture: "query-mine-dotted-key", method: "POST", path: "api/v3/jobs/query",
		body:  `{"metadata":{"user.name":"alice"}}`,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-active") }},
	{capture: "query-bad-order", method: "POST", path: "api/v3/jobs/query", body: `{"order_by":["-nonexistent"]}`,
		setup: func(t *testing.T, f *farmstandin.Farm) { importJob(t, f, "job-active") }},
	{capture: "status-404", method: "GET", path: "api/v3/status"},
}

func send(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	return sendSigned(t, "", "", method, url, body)
}

// sendSigned sends a request as the Worker with id and secret (HTTP basic auth), as a Worker does.
func sendSigned(t *testing.T, id, secret, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func TestStandInAnswersLikeTheRealManager(t *testing.T) {
	for _, ex := range exchanges {
		t.Run(ex.capture, func(t *testing.T) {
			want := loadCapture(t, ex.capture)
			farm := farmstandin.New("Capture Farm")
			if ex.setup != nil {
				ex.setup(t, farm)
			}
			srv := farmstandin.Serve(t, farm)
			resp, body := send(t, ex.method, srv.URL+ex.path, ex.body)
			answersLike(t, want, resp, body)
		})
	}
}

// answersLike checks an answer against a capture: status, Content-Type, Vary, and the body byte for
// byte (fields, their order, types, the newline the Manager's framework adds).
func answersLike(t *testing.T, want farmstandin.Capture, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != want.StatusCode {
		t.Errorf("%s: status %d, the real Manager answered %d", want.Name, resp.StatusCode, want.StatusCode)
	}
	for _, header := range []string{"Content-Type", "Vary"} {
		if got := resp.Header.Get(header); got != want.Header.Get(header) {
			t.Errorf("%s: %s %q, the real Manager sent %q", want.Name, header, got, want.Header.Get(header))
		}
	}
	if !bytes.Equal(body, want.Body) {
		t.Errorf("%s: body differs from the real Manager's:\n got  %q\n want %q", want.Name, body, want.Body)
	}
}

// A Worker asked to go offline signs off: the list then shows it as workers-offline.txt does, with
// the status it had before as the change requested of it (so that it comes back as it was).
func TestStandInWorkerSignOffLooksLikeTheCapture(t *testing.T) {
	farm := farmstandin.New("Capture Farm")
	id := importWorkers(t, farm, "workers-asleep")
	srv := farmstandin.Serve(t, farm)
	if resp, _ := send(t, "POST", srv.URL+"api/v3/worker-mgt/workers/"+id+"/setstatus", `{"status":"offline","is_lazy":false}`); resp.StatusCode != 204 {
		t.Fatalf("setstatus: %d", resp.StatusCode)
	}
	if status, lazy, ok := farm.RequestedStatus(id); !ok || status != "offline" || lazy {
		t.Fatalf("requested %q lazy %v (%v)", status, lazy, ok)
	}
	if err := farm.ApplyStatusChange(id); err != nil {
		t.Fatal(err)
	}
	_, body := send(t, "GET", srv.URL+"api/v3/worker-mgt/workers", "")
	withoutLastSeen := func(data []byte) map[string]any {
		var list struct{ Workers []map[string]any }
		if err := json.Unmarshal(data, &list); err != nil || len(list.Workers) != 1 {
			t.Fatalf("workers %s: %v", data, err)
		}
		delete(list.Workers[0], "last_seen")
		return list.Workers[0]
	}
	got, want := withoutLastSeen(body), withoutLastSeen(loadCapture(t, "workers-offline").Body)
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("after sign-off\n got  %s\n want %s", gotJSON, wantJSON)
	}
}

// A Worker that registers and works on the stand-in is listed as the real Manager listed the captured
// Worker at each step of the captured session (awake, busy, asleep, then offline after signing off):
// byte for byte, its id (which the Manager draws at random) and address put back as captured. The
// stand-in's clock is set to the capture's times, which the answers carry as last_seen.
func TestStandInAnswersForARegisteredWorkerLikeTheRealManager(t *testing.T) {
	clock := fakeclock.New(captureTime(t, "2026-11-25T15:47:49Z"))
	at := func(timestamp string) { clock.Advance(captureTime(t, timestamp).Sub(clock.Now())) }
	farm := farmstandin.New("Capture Farm", farmstandin.WithClock(clock.Now))
	srv := farmstandin.Serve(t, farm)
	const secret = "s3cret"

	resp, registered := send(t, "POST", srv.URL+"api/v3/worker/register-worker",
		`{"name":"capture-worker","platform":"linux","secret":"`+secret+`","supported_task_types":["misc"]}`)
	var answer struct{ UUID string }
	if err := json.Unmarshal(registered, &answer); resp.StatusCode != 200 || err != nil || answer.UUID == "" {
		t.Fatalf("register: %d %s", resp.StatusCode, registered)
	}
	id := answer.UUID
	asCaptured := strings.NewReplacer(id, captureWorkerID, `"address":"127.0.0.1"`, `"address":"10.98.0.2"`)
	if got, want := asCaptured.Replace(string(registered)), loggedRegistration(t)+"\n"; got != want {
		t.Errorf("register answered\n %q\nthe real Manager (worker-log.txt)\n %q", got, want)
	}
	worker := func(method, path, body string) (int, []byte) {
		resp, data := sendSigned(t, id, secret, method, srv.URL+path, body)
		return resp.StatusCode, data
	}
	listedAs := func(capture string) {
		t.Helper()
		resp, body := send(t, "GET", srv.URL+"api/v3/worker-mgt/workers", "")
		answersLike(t, loadCapture(t, capture), resp, []byte(asCaptured.Replace(string(body))))
	}

	if code, body := worker("POST", "api/v3/worker/sign-on",
		`{"name":"capture-worker","supported_task_types":["misc"],"software_version":"3.3.1","can_restart":false}`); code != 200 ||
		string(body) != `{"status_requested":"awake"}`+"\n" {
		t.Fatalf("sign-on: %d %s", code, body)
	}
	at("2026-11-25T15:47:49.396382153Z")
	worker("POST", "api/v3/worker/state-changed", `{"status":"awake"}`)
	listedAs("workers-awake")

	// Busy: the Worker's own answer carries its task, and the task's job is the farm's.
	jobID, taskID := farm.QueueTask("shot-010 lighting", 60)
	at("2026-11-25T15:47:51.418165384Z")
	if code, body := worker("POST", "api/v3/worker/task", ""); code != 200 || !strings.Contains(string(body), taskID) {
		t.Fatalf("task: %d %s", code, body)
	}
	listedAs("workers-busy")
	_, one := send(t, "GET", srv.URL+"api/v3/worker-mgt/workers/"+id, "")
	sameShape(t, one, "worker-busy")
	_, job := send(t, "GET", srv.URL+"api/v3/jobs/"+jobID, "")
	sameShape(t, job, "job-active")
	if !slices.Contains(farm.JobIDs("active"), jobID) {
		t.Errorf("the job of the task handed out is not active: %v", farm.JobIDs(""))
	}

	// Asleep, then offline: setstatus answers as captured, and the sign-off leaves the request to come
	// back asleep, as in workers-offline.txt.
	resp, body := send(t, "POST", srv.URL+"api/v3/worker-mgt/workers/"+id+"/setstatus", `{"status":"asleep","is_lazy":false}`)
	answersLike(t, loadCapture(t, "setstatus-asleep"), resp, body)
	if code, body := worker("POST", "api/v3/worker/task", ""); code != http.StatusLocked || string(body) != `{"status_requested":"asleep"}`+"\n" {
		t.Fatalf("task while asleep is requested: %d %s", code, body)
	}
	at("2026-11-25T15:48:07.500700341Z")
	worker("POST", "api/v3/worker/state-changed", `{"status":"asleep"}`)
	listedAs("workers-asleep")
	resp, body = send(t, "POST", srv.URL+"api/v3/worker-mgt/workers/"+id+"/setstatus", `{"status":"offline","is_lazy":false}`)
	answersLike(t, loadCapture(t, "setstatus-offline"), resp, body)
	at("2026-11-25T15:48:10.509587593Z")
	worker("POST", "api/v3/worker/sign-off", "")
	listedAs("workers-offline")

	if resp, body := send(t, "GET", srv.URL+"api/v3/worker-mgt/workers/"+farmstandin.NewID(), ""); resp.StatusCode != 404 ||
		!strings.Contains(string(body), `"message"`) {
		t.Errorf("unknown worker: %d %s", resp.StatusCode, body)
	}
	if resp, _ := sendSigned(t, id, "wrong", "POST", srv.URL+"api/v3/worker/sign-on", `{}`); resp.StatusCode != 401 {
		t.Errorf("wrong secret: %d", resp.StatusCode)
	}
	var kinds []string
	for _, e := range farm.Events() {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{"register", "sign-on", "state-changed", "task-assigned", "setstatus", "state-changed", "setstatus", "sign-off"}; !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
}

func captureTime(t *testing.T, timestamp string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, timestamp)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// loggedRegistration is the real Manager's answer to the captured Worker's registration, as the
// Worker logged it ("registered at Manager … resp={…}").
func loggedRegistration(t *testing.T) string {
	t.Helper()
	log, err := os.ReadFile(filepath.Join(farmstandin.CaptureDir(), "worker-log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	withoutColour := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAll(log, nil)
	logged := regexp.MustCompile(`registered at Manager .*resp=(\{.*\})`).FindSubmatch(withoutColour)
	if logged == nil {
		t.Fatal("worker-log.txt does not hold the registration answer")
	}
	return string(logged[1])
}

// sameShape checks that an answer has the keys of a capture's, with the same JSON types, where the
// values cannot be the captured ones (a task the stand-in Worker runs, its job).
func sameShape(t *testing.T, got []byte, capture string) {
	t.Helper()
	if g, w := shape(t, got), shape(t, loadCapture(t, capture).Body); !maps.Equal(g, w) {
		t.Errorf("shape %v\nthe real Manager's (%s): %v", g, capture, w)
	}
}

// shape is a JSON value's structure: its keys (recursively) and the JSON types of its leaves.
func shape(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, data)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				walk(prefix+"."+k, child)
			}
		case []any:
			out[prefix] = "array"
			if len(v) > 0 {
				walk(prefix+"[]", v[0])
			}
		default:
			out[prefix] = fmt.Sprintf("%T", v)
		}
	}
	walk("", v)
	return out
}
