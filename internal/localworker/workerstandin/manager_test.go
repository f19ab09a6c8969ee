//go:build linux

package workerstandin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/netns"
)

func TestMain(m *testing.M) { netns.Main(m) }

// call sends one request to the stand-in Manager, as a Worker (auth) or the web UI (no auth).
func call(t *testing.T, m *Manager, method, path string, auth *credentials, body any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		reader = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, m.URL+path, reader)
	if auth != nil {
		req.SetBasicAuth(auth.WorkerID, auth.Secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
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
		case string:
			out[prefix] = "string"
		case float64:
			out[prefix] = "number"
		case bool:
			out[prefix] = "bool"
		case nil:
			out[prefix] = "null"
		}
	}
	walk("", v)
	return out
}

func sameShape(t *testing.T, what string, got []byte, capture string) {
	t.Helper()
	c, err := farmstandin.LoadCapture(capture)
	if err != nil {
		t.Fatal(err)
	}
	want := shape(t, c.Body)
	if g := shape(t, got); !mapsEqual(g, want) {
		t.Errorf("%s: shape %v\nthe real Manager's (%s): %v", what, g, capture, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestManagerAnswersLikeCaptures drives the stand-in Manager through the captured session (a Worker
// registers, works, is put to sleep, then set offline) and compares each answer with the real one.
func TestManagerAnswersLikeCaptures(t *testing.T) {
	m := NewManager(t)
	creds := &credentials{Secret: "s3cret"}

	// Registration: the answer the real Worker logged ("registered at Manager … resp={…}").
	code, body := call(t, m, "POST", "api/v3/worker/register-worker", nil, map[string]any{
		"name": "capture-worker", "platform": "linux", "secret": creds.Secret, "supported_task_types": []string{"misc"}})
	log, err := os.ReadFile(filepath.Join(farmstandin.CaptureDir(), "worker-log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	logged := regexp.MustCompile(`registered at Manager .*resp=\S*(\{.*\})`).FindSubmatch(
		regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAll(log, nil))
	if code != 200 || logged == nil {
		t.Fatalf("register: %d %s; logged %q", code, body, logged)
	}
	if g, w := shape(t, body), shape(t, logged[1]); !mapsEqual(g, w) {
		t.Errorf("register: shape %v, the real Manager's %v", g, w)
	}
	var registered struct{ UUID string }
	json.Unmarshal(body, &registered)
	creds.WorkerID = registered.UUID

	if code, body := call(t, m, "POST", "api/v3/worker/sign-on", creds, map[string]any{
		"name": "capture-worker", "supported_task_types": []string{"misc"}, "software_version": "3.3.1", "can_restart": false}); code != 200 ||
		!strings.Contains(string(body), `"status_requested":"awake"`) {
		t.Fatalf("sign-on: %d %s", code, body)
	}
	call(t, m, "POST", "api/v3/worker/state-changed", creds, map[string]string{"status": "awake"})
	_, list := call(t, m, "GET", "api/v3/worker-mgt/workers", nil, nil)
	sameShape(t, "workers, awake", list, "workers-awake")

	// Busy: the single Worker's answer carries its task, and the job is served.
	jobID, _ := m.QueueTask("shot-010 lighting", 60)
	if code, body := call(t, m, "POST", "api/v3/worker/task", creds, nil); code != 200 {
		t.Fatalf("task: %d %s", code, body)
	}
	_, one := call(t, m, "GET", "api/v3/worker-mgt/workers/"+creds.WorkerID, nil, nil)
	sameShape(t, "one worker, busy", one, "worker-busy")
	_, job := call(t, m, "GET", "api/v3/jobs/"+jobID, nil, nil)
	sameShape(t, "job", job, "job-active")

	// Asleep, then offline: setstatus answers 204 without a body, and the Worker's sign-off leaves
	// the request to come back asleep, as in workers-offline.txt.
	for _, status := range []string{"asleep", "offline"} {
		code, body := call(t, m, "POST", "api/v3/worker-mgt/workers/"+creds.WorkerID+"/setstatus", nil,
			map[string]any{"status": status, "is_lazy": false})
		want, _ := farmstandin.LoadCapture("setstatus-" + status)
		if code != want.StatusCode || len(body) != len(want.Body) {
			t.Errorf("setstatus %s: %d %q, the real Manager %d %q", status, code, body, want.StatusCode, want.Body)
		}
		if status == "asleep" {
			if code, body := call(t, m, "POST", "api/v3/worker/task", creds, nil); code != http.StatusLocked {
				t.Fatalf("task while asleep is requested: %d %s", code, body)
			}
			call(t, m, "POST", "api/v3/worker/state-changed", creds, map[string]string{"status": "asleep"})
			_, list := call(t, m, "GET", "api/v3/worker-mgt/workers", nil, nil)
			sameShape(t, "workers, asleep", list, "workers-asleep")
		}
	}
	call(t, m, "POST", "api/v3/worker/sign-off", creds, nil)
	_, list = call(t, m, "GET", "api/v3/worker-mgt/workers", nil, nil)
	sameShape(t, "workers, offline", list, "workers-offline")
	offline, _ := farmstandin.LoadCapture("workers-offline")
	type statusOnly struct {
		Workers []struct {
			Status       string
			StatusChange *struct {
				IsLazy bool `json:"is_lazy"`
				Status string
			} `json:"status_change"`
		}
	}
	var got, want statusOnly
	json.Unmarshal(list, &got)
	json.Unmarshal(offline.Body, &want)
	if len(got.Workers) != 1 || got.Workers[0].Status != want.Workers[0].Status || got.Workers[0].StatusChange == nil ||
		*got.Workers[0].StatusChange != *want.Workers[0].StatusChange {
		t.Errorf("after signing off: %s, the real Manager: %s", list, offline.Body)
	}

	if code, body := call(t, m, "GET", "api/v3/worker-mgt/workers/nope", nil, nil); code != 404 || !strings.Contains(string(body), `"message"`) {
		t.Errorf("unknown worker: %d %s", code, body)
	}
	if code, _ := call(t, m, "POST", "api/v3/worker/sign-on", &credentials{WorkerID: creds.WorkerID, Secret: "wrong"}, map[string]any{}); code != 401 {
		t.Errorf("wrong secret: %d", code)
	}
	kinds := []string{}
	for _, e := range m.Events() {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []string{"register", "sign-on", "state-changed", "task-assigned", "setstatus", "state-changed", "setstatus", "sign-off"}) {
		t.Errorf("events %v", kinds)
	}
}
