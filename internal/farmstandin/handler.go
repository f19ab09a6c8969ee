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
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Priority int       `json:"priority"`
	Status   string    `json:"status"`
	TaskType string    `json:"task_type"`
	Updated  time.Time `json:"updated"`
	JobID    string    `json:"job_id"`
}

type wireJob struct {
	Metadata          map[string]string `json:"metadata"`
	Name              string            `json:"name"`
	Priority          int               `json:"priority"`
	Settings          map[string]any    `json:"settings"`
	SubmitterPlatform string            `json:"submitter_platform"`
	Type              string            `json:"type"`
	Activity          string            `json:"activity"`
	Created           time.Time         `json:"created"`
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	StepsCompleted    *int              `json:"steps_completed,omitempty"` // 3.8+
	StepsTotal        *int              `json:"steps_total,omitempty"`     // 3.8+
	Updated           time.Time         `json:"updated"`
}

type wireJobsQuery struct {
	StatusIn *[]string         `json:"status_in"`
	Metadata map[string]string `json:"metadata"`
	Settings map[string]any    `json:"settings"`
	OrderBy  *[]string         `json:"order_by"`
	Limit    *int              `json:"limit"`
	Offset   *int              `json:"offset"`
}

// apiError is the Manager's error body; a route it does not have answers {"message":"Not Found"}
// without a code (status-404.txt), an error of a handler with both (query-bad-order.txt).
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// jobStatuses33 are the job statuses Flamenco 3.3.1's API accepts in status_in.
var jobStatuses33 = []string{"active", "canceled", "completed", "failed", "paused", "queued", "cancel-requested",
	"requeueing", "under-construction"}

var workerStatuses33 = []string{"starting", "awake", "asleep", "error", "testing", "offline", "restart"}

// jobColumns are the columns of the Manager's jobs table, which order_by may name.
var jobColumns = []string{"id", "created_at", "updated_at", "uuid", "name", "job_type", "priority", "status",
	"activity", "settings", "metadata", "delete_requested_at", "storage_shaman_checkout_id", "worker_tag_id"}

// setStatusRoute is the route SetStatusAnswers changes the answers of.
const setStatusRoute = "POST /api/v3/worker-mgt/workers/{id}/setstatus"

// Handler returns the stand-in Manager's HTTP API: the version, the farm API, the Worker API, and the
// web UI's pages (a placeholder).
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
		"GET /api/v3/status":                  f.serveFarmStatus,
		"GET /api/v3/":                        serveNotFound,
		"POST /api/v3/":                       serveNotFound,
	}
	for pattern, handle := range farmAPI {
		mux.Handle(pattern, f.farmEndpoint(pattern, handle))
	}
	mux.HandleFunc("GET /socket.io/", f.serveEventBus)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprintf(w, "<html><title>Flamenco %s</title><body>%s</body></html>", f.name, r.URL.Path)
	})
	return mux
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
	name, version := f.name, f.version
	f.mu.Unlock()
	w.Header().Set("Vary", "Origin")
	writeJSON(w, http.StatusOK, struct {
		Git          string `json:"git"`
		Name         string `json:"name"`
		ShortVersion string `json:"shortversion"`
		Version      string `json:"version"`
	}{"17b664f15", name, version, version})
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
		if t := wk.Task; t != nil {
			answer.Task = &wireWorkerTask{ID: t.ID, Name: t.Name, Priority: t.Priority, Status: t.Status,
				TaskType: t.TaskType, Updated: t.Updated, JobID: t.JobID}
		}
	}
	f.mu.Unlock()
	if wk == nil {
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: fmt.Sprintf("worker %q not found", id)})
		return
	}
	writeJSON(w, http.StatusOK, answer)
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
		// As the Manager: asking for the status a Worker has cancels a request for another.
		if wk.Status == change.Status {
			wk.StatusChange = nil
		} else {
			wk.StatusChange = &change
		}
		detail := change.Status
		if change.Lazy {
			detail += " lazy"
		}
		f.record("setstatus", id, detail)
		f.workerChanged(wk, wk.Status)
	}
	f.mu.Unlock()
	if wk == nil {
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: fmt.Sprintf("worker %q not found", id)})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *Farm) serveJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validUUID(id) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "job ID not valid"})
		return
	}
	f.mu.Lock()
	j := f.byID[id]
	var answer wireJob
	if j != nil {
		answer = f.wireJob(j)
	}
	f.mu.Unlock()
	if j == nil {
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: fmt.Sprintf("job %s not found", id)})
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// wireJob is j as this Manager's version sends it: with its progress from 3.8 on. f.mu held.
func (f *Farm) wireJob(j *job) wireJob {
	w := j.wire()
	if atLeast(f.version, 3, 8) {
		completed, total := j.StepsCompleted, j.StepsTotal
		w.StepsCompleted, w.StepsTotal = &completed, &total
	}
	return w
}

func (j *job) wire() wireJob {
	metadata := make(map[string]string, len(j.Metadata))
	for k, v := range j.Metadata {
		metadata[k] = v
	}
	settings := make(map[string]any, len(j.Settings))
	for k, v := range j.Settings {
		settings[k] = v
	}
	return wireJob{Metadata: metadata, Name: j.Name, Priority: j.Priority, Settings: settings,
		SubmitterPlatform: j.SubmitterPlatform, Type: j.Type, Activity: j.Activity, Created: j.Created, ID: j.ID,
		Status: j.Status, Updated: j.Updated}
}

// methodNotAllowed is how Flamenco answers a method a route does not take: 400, not 405
// (3.3.1/jobs-all.txt, 3.8.5/query-all.txt).
func methodNotAllowed(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, struct {
		Message string `json:"message"`
	}{"method not allowed"})
}

// serveAllJobs is GET /api/v3/jobs: from 3.6 on every job, unfiltered, in the table's order.
func (f *Farm) serveAllJobs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if !atLeast(f.version, 3, 6) {
		f.mu.Unlock()
		methodNotAllowed(w)
		return
	}
	jobs := make([]wireJob, len(f.jobs))
	for i, j := range f.jobs {
		jobs[i] = f.wireJob(j)
	}
	f.stats.Unfiltered++
	f.stats.LargestQuery = max(f.stats.LargestQuery, len(jobs))
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Jobs []wireJob `json:"jobs"`
	}{jobs})
}

func (f *Farm) serveQueryJobs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gone := atLeast(f.version, 3, 6)
	f.mu.Unlock()
	if gone {
		methodNotAllowed(w)
		return
	}
	var q wireJobsQuery
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&q); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "invalid format"})
		return
	}
	if q.StatusIn != nil {
		for _, s := range *q.StatusIn {
			if !slices.Contains(jobStatuses33, s) {
				writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "invalid format"})
				return
			}
		}
	}
	f.mu.Lock()
	jobs, err := f.queryJobs(q)
	f.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{Code: 500, Message: "error querying for jobs"})
		return
	}
	f.mu.Lock()
	if q.StatusIn == nil && len(q.Metadata) == 0 {
		f.stats.Unfiltered++
	}
	f.stats.LargestQuery = max(f.stats.LargestQuery, len(jobs))
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Jobs []wireJob `json:"jobs"`
	}{jobs})
}

// queryJobs does what the Manager's SQL does: status IN (…), json_extract(metadata, '$.'+key)
// compared with = (LIKE when the value has a %), ORDER BY the named columns, LIMIT and OFFSET.
// Must be called with f.mu held.
func (f *Farm) queryJobs(q wireJobsQuery) ([]wireJob, error) {
	var matched []*job
	for _, j := range f.jobs {
		if q.StatusIn != nil && !slices.Contains(*q.StatusIn, j.Status) {
			continue
		}
		ok := true
		for key, want := range q.Metadata {
			value, found, err := jsonExtract(j.Metadata, "$."+key)
			if err != nil {
				return nil, err
			}
			ok = ok && found && sqlMatch(value, want)
		}
		if ok {
			matched = append(matched, j)
		}
	}
	if q.OrderBy != nil {
		for i := len(*q.OrderBy) - 1; i >= 0; i-- { // the first column decides first: sort by it last
			column, desc, skip, err := parseOrder((*q.OrderBy)[i])
			if err != nil {
				return nil, err
			}
			if skip {
				continue
			}
			slices.SortStableFunc(matched, func(a, b *job) int {
				c := compareColumn(a, b, column)
				if desc {
					return -c
				}
				return c
			})
		}
	}
	if q.Offset != nil && *q.Offset > 0 {
		matched = matched[min(*q.Offset, len(matched)):]
	}
	if q.Limit != nil && *q.Limit >= 0 && *q.Limit < len(matched) {
		matched = matched[:*q.Limit]
	}
	answer := make([]wireJob, len(matched))
	for i, j := range matched {
		answer[i] = f.wireJob(j)
	}
	return answer, nil
}

// jsonExtract is SQLite's json_extract(metadata, path) on a flat object of strings: "$.key" names
// a key up to the first "." or "["; "$.\"a.b\"" names the key a.b. Anything more in the path goes
// into a string value, which yields NULL (found false). A quote that does not close is an error.
func jsonExtract(metadata map[string]string, path string) (value string, found bool, err error) {
	rest := strings.TrimPrefix(path, "$.")
	var key string
	if strings.HasPrefix(rest, `"`) {
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return "", false, fmt.Errorf("JSON path error near %q", rest)
		}
		key, rest = rest[1:1+end], rest[2+end:]
	} else {
		end := strings.IndexAny(rest, ".[")
		if end < 0 {
			end = len(rest)
		}
		key, rest = rest[:end], rest[end:]
	}
	value, found = metadata[key]
	if rest != "" {
		return "", false, nil
	}
	return value, found, nil
}

// sqlMatch compares as the Manager does: = (case-sensitive) unless the pattern has a %, then
// SQLite's LIKE (% and _ wildcards, ASCII letters case-insensitive).
func sqlMatch(value, pattern string) bool {
	if !strings.Contains(pattern, "%") {
		return value == pattern
	}
	return like(value, pattern)
}

func like(s, p string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if like(s[i:], p[1:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && like(s[1:], p[1:])
	}
	return s != "" && asciiLower(s[0]) == asciiLower(p[0]) && like(s[1:], p[1:])
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parseOrder reads one order_by entry as the Manager does: "-col" descending, "+col" or "col"
// ascending, "" skipped; a column the table does not have is an SQL error.
func parseOrder(order string) (column string, desc, skip bool, err error) {
	if order == "" {
		return "", false, true, nil
	}
	switch order[0] {
	case '-':
		column, desc = order[1:], true
	case '+':
		column = order[1:]
	default:
		column = order
	}
	if !slices.Contains(jobColumns, column) {
		return "", false, false, fmt.Errorf("no such column: %s", column)
	}
	return column, desc, false, nil
}

func compareColumn(a, b *job, column string) int {
	switch column {
	case "created_at":
		return a.Created.Compare(b.Created)
	case "updated_at":
		return a.Updated.Compare(b.Updated)
	case "name":
		return strings.Compare(a.Name, b.Name)
	case "job_type":
		return strings.Compare(a.Type, b.Type)
	case "priority":
		return a.Priority - b.Priority
	case "status":
		return strings.Compare(a.Status, b.Status)
	case "activity":
		return strings.Compare(a.Activity, b.Activity)
	case "uuid":
		return strings.Compare(a.ID, b.ID)
	}
	return 0 // id (submission order) and columns the stand-in does not model keep the table's order
}

// serveFarmStatus is GET /api/v3/status: absent before 3.5 (the route does not exist), else the farm
// state by 3.5's rules.
func (f *Farm) serveFarmStatus(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	present := atLeast35(f.version)
	state := f.farmState()
	f.mu.Unlock()
	if !present {
		serveNotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{state})
}

// farmState applies Flamenco 3.5's rules, written here independently of internal/farm's: no Workers
// or all offline/error → inoperative; an active job and an awake Worker → active; an active or
// queued job → waiting; no Worker awake and one asleep → asleep; else idle. Must be called with f.mu
// held.
func (f *Farm) farmState() string {
	operative, awake, asleep := false, false, false
	for _, w := range f.workers {
		operative = operative || (w.Status != "offline" && w.Status != "error")
		awake = awake || w.Status == "awake"
		asleep = asleep || w.Status == "asleep"
	}
	if !operative {
		return "inoperative"
	}
	active, queued := false, false
	for _, j := range f.jobs {
		active = active || j.Status == "active"
		queued = queued || j.Status == "queued"
	}
	switch {
	case active && awake:
		return "active"
	case active || queued:
		return "waiting"
	case !awake && asleep:
		return "asleep"
	}
	return "idle"
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
