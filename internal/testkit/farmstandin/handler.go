package farmstandin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The wire forms of the Manager's answers. Field order is the real Manager's (its generated code
// lists a type's own fields alphabetically, those of an embedded type first), so that a stand-in
// answer is byte for byte what a real Manager sends for the same farm (conformance_test.go).

type wireWorkerSummary struct {
	CanRestart   bool          `json:"can_restart"`
	ID           string        `json:"id"`
	LastSeen     *time.Time    `json:"last_seen,omitempty"`
	Name         string        `json:"name"`
	Status       string        `json:"status"`
	StatusChange *statusChange `json:"status_change,omitempty"`
	Version      string        `json:"version"`
}

type wireWorker struct {
	wireWorkerSummary
	Address            string          `json:"ip_address"`
	Platform           string          `json:"platform"`
	SupportedTaskTypes []string        `json:"supported_task_types"`
	Task               *wireWorkerTask `json:"task,omitempty"`
}

type wireWorkerTask struct {
	ID             string          `json:"id"`
	IndexInJob     *int            `json:"index_in_job,omitempty"` // 3.8+
	Name           string          `json:"name"`
	Priority       int             `json:"priority"`
	Status         string          `json:"status"`
	StepsCompleted *int            `json:"steps_completed,omitempty"` // 3.8+
	StepsTotal     *int            `json:"steps_total,omitempty"`     // 3.8+
	TaskType       string          `json:"task_type"`
	Updated        time.Time       `json:"updated"`
	Worker         *wireTaskWorker `json:"worker,omitempty"` // 3.8+
	JobID          string          `json:"job_id"`
}

// wireTaskWorker is the Worker a task is assigned to, as 3.8 names it in the task.
type wireTaskWorker struct {
	Address string `json:"address"`
	ID      string `json:"id"`
	Name    string `json:"name"`
}

// apiError is the Manager's error body; a route it does not have answers {"message":"Not Found"}
// without a code (status-404.txt), an error of a handler with both (query-bad-order.txt).
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// workerStatuses33 are the statuses Flamenco 3.3.1's API accepts in a setstatus request.
var workerStatuses33 = []string{"starting", "awake", "asleep", "error", "testing", "offline", "restart"}

// setStatusRoute is the route SetStatusAnswers changes the answers of.
const setStatusRoute = "POST /api/v3/worker-mgt/workers/{id}/setstatus"

// Handler returns the stand-in Manager's HTTP API: the version, the farm API, the Worker API, and the
// web UI's pages (a placeholder). Every request is counted by the route it matched (Stats.AllByRoute).
func (f *Farm) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/version", f.serveVersion)
	f.handleWorkerAPI(mux)
	farmAPI := map[string]http.HandlerFunc{
		"GET /api/v3/worker-mgt/workers":      f.serveWorkers,
		"GET /api/v3/worker-mgt/workers/{id}": f.serveWorker,
		setStatusRoute:                        f.serveSetWorkerStatus,
		"POST /api/v3/jobs/query":             f.serveQueryJobs,
		"GET /api/v3/jobs":                    f.serveAllJobs,
		"GET /api/v3/jobs/{id}":               f.serveJob,
		"GET /api/v3/jobs/{id}/last-rendered": f.serveJobLastRendered,
		"GET /api/v3/jobs/last-rendered":      f.serveLastRendered,
		"POST /api/v3/jobs/{id}/setstatus":    f.serveSetJobStatus,
		"GET /api/v3/status":                  f.serveFarmStatus,
		"GET /api/v3/":                        serveNotFound,
		"POST /api/v3/":                       serveNotFound,
	}
	for pattern, handle := range farmAPI {
		mux.Handle(pattern, f.farmEndpoint(pattern, handle))
	}
	mux.HandleFunc(imagesRoute, f.serveFrameImage) // not the farm API: no hostile mode (StallImages)
	mux.HandleFunc("GET /socket.io/", f.serveEventBus)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprintf(w, "<html><title>Flamenco %s</title><body>%s</body></html>", f.name, r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := mux.Handler(r)
		if route == "" {
			route = r.Method + " (no route)"
		}
		f.countAnyRequest(route)
		mux.ServeHTTP(w, r)
	})
}

// farmEndpoint applies the hostile mode and counts the request and its answer.
func (f *Farm) farmEndpoint(route string, handle http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		f.countRequest(route)
		counting := &countingWriter{ResponseWriter: w}
		defer func() { f.countBytes(counting.bytes) }()
		f.mu.Lock()
		mode := f.mode
		if mode == Normal && route == setStatusRoute {
			mode = f.setStatusMode
		}
		f.mu.Unlock()
		switch mode {
		case Slow:
			<-r.Context().Done()
		case Failing:
			writeJSON(counting, http.StatusInternalServerError, apiError{Code: 500, Message: "error querying the database: database is locked"})
		case Huge:
			counting.Header().Set("Content-Type", "application/json; charset=UTF-8")
			counting.WriteHeader(http.StatusOK)
			chunk := []byte(`{"workers":[],"jobs":[],"padding":"` + strings.Repeat("x", 64<<10))
			for written := 0; written < 16<<20; written += len(chunk) {
				if _, err := counting.Write(chunk); err != nil {
					return
				}
				chunk = bytes.Repeat([]byte("x"), 64<<10)
			}
		case Malformed:
			counting.Header().Set("Content-Type", "application/json; charset=UTF-8")
			counting.WriteHeader(http.StatusOK)
			counting.Write([]byte(`{"workers":[{"id":"0fb15e79-a2e0-49ce`))
		case TooOld:
			serveNotFound(counting, r)
		default:
			handle(counting, r)
		}
	})
}

type countingWriter struct {
	http.ResponseWriter
	bytes int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *countingWriter) Flush() {
	if flusher, ok := w.ResponseWriter.(http.Flusher); ok {
		flusher.Flush()
	}
}

// writeJSON answers as the Manager's web framework does: the JSON followed by a newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func serveNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, struct {
		Message string `json:"message"`
	}{"Not Found"})
}

func (f *Farm) serveVersion(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	name, version, git := f.name, f.version, f.git
	f.mu.Unlock()
	w.Header().Set("Vary", "Origin")
	writeJSON(w, http.StatusOK, struct {
		Git          string `json:"git"`
		Name         string `json:"name"`
		ShortVersion string `json:"shortversion"`
		Version      string `json:"version"`
	}{git, name, version, version})
}

func (f *Farm) serveWorkers(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	list := make([]wireWorkerSummary, len(f.workers))
	for i, wk := range f.workers {
		list[i] = wk.summary()
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Workers []wireWorkerSummary `json:"workers"`
	}{list})
}

func (wk *worker) summary() wireWorkerSummary {
	s := wireWorkerSummary{CanRestart: wk.CanRestart, ID: wk.ID, Name: wk.Name, Status: wk.Status, Version: wk.Version}
	if !wk.LastSeen.IsZero() {
		seen := wk.LastSeen
		s.LastSeen = &seen
	}
	if wk.StatusChange != nil {
		change := *wk.StatusChange
		s.StatusChange = &change
	}
	return s
}

func (f *Farm) serveWorker(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validUUID(id) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "not a valid UUID"})
		return
	}
	f.mu.Lock()
	wk := f.worker(id)
	var answer wireWorker
	if wk != nil {
		answer = wireWorker{wireWorkerSummary: wk.summary(), Address: wk.Address, Platform: wk.Platform,
			SupportedTaskTypes: slices.Clone(wk.SupportedTaskTypes)}
		answer.Task = f.wireWorkerTask(wk)
	}
	f.mu.Unlock()
	if wk == nil {
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: fmt.Sprintf("worker %q not found", id)})
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// wireWorkerTask is a Worker's current or last task as this Manager's version tells it: with its
// index, progress and Worker from 3.8 on (3.8.5/worker-busy.txt). f.mu held.
func (f *Farm) wireWorkerTask(wk *worker) *wireWorkerTask {
	t := wk.Task
	if t == nil {
		return nil
	}
	answer := &wireWorkerTask{ID: t.ID, Name: t.Name, Priority: t.Priority, Status: t.Status, TaskType: t.TaskType,
		Updated: t.Updated, JobID: t.JobID}
	if hasProgress(f.version) {
		index, completed, total := t.Index, t.StepsCompleted, t.StepsTotal
		answer.IndexInJob, answer.StepsCompleted, answer.StepsTotal = &index, &completed, &total
		answer.Worker = &wireTaskWorker{Address: wk.Address, ID: wk.ID, Name: wk.Name}
	}
	return answer
}

func (f *Farm) serveSetWorkerStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validUUID(id) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "not a valid UUID"})
		return
	}
	var change statusChange
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&change); err != nil ||
		!slices.Contains(workerStatuses33, change.Status) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "invalid format"})
		return
	}
	f.mu.Lock()
	wk := f.worker(id)
	if wk != nil {
		detail := change.Status
		if change.Lazy {
			detail += " lazy"
		}
		f.record("setstatus", id, detail)
		f.requestStatus(wk, change)
	}
	f.mu.Unlock()
	if wk == nil {
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: fmt.Sprintf("worker %q not found", id)})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
