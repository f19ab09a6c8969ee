package managerapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// replayServer answers each path with a captured answer of the real Manager and records the bodies
// it was sent.
type replayServer struct {
	*httptest.Server
	requests chan recordedRequest
}

type recordedRequest struct {
	Method, Path, ContentType string
	Body                      []byte
}

func newReplayServer(t *testing.T, routes map[string]string) *replayServer {
	t.Helper()
	mux := http.NewServeMux()
	s := &replayServer{requests: make(chan recordedRequest, 16)}
	for pattern, name := range routes {
		capture, err := farmstandin.LoadCapture(name)
		if err != nil {
			t.Fatal(err)
		}
		replay := capture.Replay()
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			select {
			case s.requests <- recordedRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), body}:
			default:
			}
			replay.ServeHTTP(w, r)
		})
	}
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *replayServer) lastRequest(t *testing.T) recordedRequest {
	t.Helper()
	select {
	case r := <-s.requests:
		return r
	default:
		t.Fatal("no request recorded")
		return recordedRequest{}
	}
}

func TestClientReadsTheRealManagersAnswers(t *testing.T) {
	const workerID = "0fb15e79-a2e0-49ce-9b5d-3727b7424391"
	const jobID = "a507a4ef-4244-40aa-b844-9d6b9a161a5b"
	srv := newReplayServer(t, map[string]string{
		"GET /api/v3/version":                 "version",
		"GET /api/v3/worker-mgt/workers":      "workers-offline",
		"GET /api/v3/worker-mgt/workers/{id}": "worker-busy",
		"POST /api/v3/jobs/query":             "query-all",
		"GET /api/v3/jobs/{id}":               "job-completed",
		"GET /api/v3/status":                  "status-404",
	})
	ctx := context.Background()
	c := managerapi.NewClient(srv.URL)

	v, err := c.Version(ctx)
	if err != nil || v.Name != "Capture Farm" || v.Version != "3.3.1" {
		t.Errorf("Version: %+v, %v", v, err)
	}

	workers, err := c.Workers(ctx)
	if err != nil || len(workers) != 1 {
		t.Fatalf("Workers: %+v, %v", workers, err)
	}
	if w := workers[0]; w.ID != workerID || w.Name != "capture-worker" || w.Status != managerapi.WorkerOffline {
		t.Errorf("Workers: %+v", w)
	}

	busy, err := c.Worker(ctx, workerID)
	if err != nil || busy.Status != managerapi.WorkerAwake || busy.Task == nil || busy.Task.JobID != jobID {
		t.Errorf("Worker: %+v (task %+v), %v", busy, busy.Task, err)
	}

	jobs, err := c.QueryJobs(ctx, managerapi.JobQuery{})
	if err != nil || len(jobs) != 2 {
		t.Fatalf("QueryJobs: %+v, %v", jobs, err)
	}
	if j := jobs[0]; j.Status != managerapi.JobFailed || j.Name != "shot-020 broken" || j.Metadata["user.name"] != "alice" ||
		j.Priority != 50 || j.Type != "echo-sleep-test" || j.Created.IsZero() || !j.Updated.After(j.Created) {
		t.Errorf("QueryJobs: first job %+v", j)
	}

	job, err := c.Job(ctx, jobID)
	if err != nil || job.ID != jobID || job.Status != managerapi.JobCompleted || job.Activity != `Changed to status "completed": all tasks completed` ||
		job.Metadata["project"] != "capture" {
		t.Errorf("Job: %+v, %v", job, err)
	}

	state, present, err := c.FarmStatus(ctx)
	if err != nil || present || state != managerapi.FarmUnknown {
		t.Errorf("FarmStatus on 3.3.1: %q %v %v, want absent without error", state, present, err)
	}
}

func TestClientSendsQueriesTheManagerUnderstands(t *testing.T) {
	srv := newReplayServer(t, map[string]string{"POST /api/v3/jobs/query": "query-mine-quoted-key"})
	c := managerapi.NewClient(srv.URL + "/")
	_, err := c.QueryJobs(context.Background(), managerapi.JobQuery{
		StatusIn: []managerapi.JobStatus{managerapi.JobFailed},
		Metadata: map[string]string{"user.name": "alice"},
		Limit:    5,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := srv.lastRequest(t)
	if r.Method != http.MethodPost || r.Path != "/api/v3/jobs/query" || r.ContentType != "application/json" {
		t.Errorf("request %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	var sent map[string]any
	if err := json.Unmarshal(r.Body, &sent); err != nil {
		t.Fatal(err)
	}
	want := `{"limit":5,"metadata":{"\"user.name\"":"alice"},"order_by":["-updated_at"],"status_in":["failed"]}`
	if got, _ := json.Marshal(sent); string(got) != want {
		t.Errorf("sent %s\nwant %s", got, want)
	}
}

func TestClientSetWorkerStatus(t *testing.T) {
	srv := newReplayServer(t, map[string]string{"POST /api/v3/worker-mgt/workers/{id}/setstatus": "setstatus-offline"})
	c := managerapi.NewClient(srv.URL)
	if err := c.SetWorkerStatus(context.Background(), "0fb15e79", managerapi.WorkerOffline, true); err != nil {
		t.Fatal(err)
	}
	r := srv.lastRequest(t)
	if r.Path != "/api/v3/worker-mgt/workers/0fb15e79/setstatus" || string(r.Body) != `{"status":"offline","is_lazy":true}` {
		t.Errorf("sent %s %s", r.Path, r.Body)
	}
}

// An empty 200 is no answer: every route but LastRendered (where it is "no frame yet", as a 204)
// says the answer is malformed.
func TestClientEmptyAnswersAreMalformed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := managerapi.NewClient(srv.URL)
	ctx := context.Background()
	routes := map[string]func() error{
		"version": func() error { _, err := c.Version(ctx); return err },
		"workers": func() error { _, err := c.Workers(ctx); return err },
		"worker":  func() error { _, err := c.Worker(ctx, "w1"); return err },
		"query":   func() error { _, err := c.QueryJobs(ctx, managerapi.JobQuery{}); return err },
		"job":     func() error { _, err := c.Job(ctx, "j1"); return err },
		"farm":    func() error { _, _, err := c.FarmStatus(ctx); return err },
		"all":     func() error { return c.AllJobs(ctx, func(managerapi.Job) {}) },
	}
	for name, call := range routes {
		if err := call(); !errors.Is(err, managerapi.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func TestClientBadAnswersAreBoundedErrors(t *testing.T) {
	huge := strings.Repeat(" ", 2<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow/api/v3/worker-mgt/workers", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /huge/api/v3/worker-mgt/workers", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"workers":[]`+huge+`}`)
	})
	mux.HandleFunc("GET /malformed/api/v3/worker-mgt/workers", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"workers":[{"id":`)
	})
	mux.HandleFunc("GET /shape/api/v3/worker-mgt/workers", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"name":"not a Manager"}`)
	})
	bad, err := farmstandin.LoadCapture("query-bad-order")
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /error/api/v3/worker-mgt/workers", bad.Replay())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		prefix string
		want   error
	}{
		{"slow", context.DeadlineExceeded},
		{"huge", managerapi.ErrTooLarge},
		{"malformed", managerapi.ErrMalformed},
		{"shape", managerapi.ErrMalformed},
		{"error", nil},
		{"old", managerapi.ErrNotFound},
	} {
		c := managerapi.NewClient(srv.URL+"/"+tc.prefix, managerapi.WithTimeout(300*time.Millisecond), managerapi.WithMaxBody(1<<20))
		// A request that is never answered ends at the timeout: the test would hang otherwise.
		_, err := c.Workers(context.Background())
		var apiErr *managerapi.APIError
		switch {
		case err == nil:
			t.Errorf("%s: no error", tc.prefix)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.prefix, err, tc.want)
		case tc.prefix == "error" && (!errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Message != "error querying for jobs"):
			t.Errorf("%s: %v, want the Manager's 500 and its message", tc.prefix, err)
		}
	}
}
