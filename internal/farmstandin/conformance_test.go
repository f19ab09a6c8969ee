//go:build linux

package farmstandin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/netns"
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
	netns.RequireIsolated(t)
	for _, ex := range exchanges {
		t.Run(ex.capture, func(t *testing.T) {
			want := loadCapture(t, ex.capture)
			farm := farmstandin.New("Capture Farm")
			if ex.setup != nil {
				ex.setup(t, farm)
			}
			srv := farmstandin.Serve(t, farm)
			resp, body := send(t, ex.method, srv.URL+ex.path, ex.body)
			if resp.StatusCode != want.StatusCode {
				t.Errorf("status %d, the real Manager answered %d", resp.StatusCode, want.StatusCode)
			}
			for _, header := range []string{"Content-Type", "Vary"} {
				if got := resp.Header.Get(header); got != want.Header.Get(header) {
					t.Errorf("%s %q, the real Manager sent %q", header, got, want.Header.Get(header))
				}
			}
			if !bytes.Equal(body, want.Body) {
				t.Errorf("body differs from the real Manager's:\n got  %q\n want %q", body, want.Body)
			}
		})
	}
}

// A Worker asked to go offline signs off: the list then shows it as workers-offline.txt does, with
// the status it had before as the change requested of it (so that it comes back as it was).
func TestStandInWorkerSignOffLooksLikeTheCapture(t *testing.T) {
	netns.RequireIsolated(t)
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
