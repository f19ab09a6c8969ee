package farmstandin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The jobs' side of the farm API: one job, the list of every job (3.6+), the query (before 3.6) with
// the Manager's SQL semantics, and the farm status (3.5+).

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

var jobStatuses33 = []string{"active", "canceled", "completed", "failed", "paused", "queued", "cancel-requested",
	"requeueing", "under-construction"}

// jobColumns are the columns of the Manager's jobs table, which order_by may name.
var jobColumns = []string{"id", "created_at", "updated_at", "uuid", "name", "job_type", "priority", "status",
	"activity", "settings", "metadata", "delete_requested_at", "storage_shaman_checkout_id", "worker_tag_id"}

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
		// Flamenco's fetchJob (3.3.1 and 3.8.5 sources; not captured).
		writeJSON(w, http.StatusNotFound, apiError{Code: 404, Message: "no such job"})
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// wireJob is j as this Manager's version sends it: with its progress from 3.8 on. f.mu held.
func (f *Farm) wireJob(j *job) wireJob {
	w := j.wire()
	if hasProgress(f.version) {
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

// serveAllJobs is GET /api/v3/jobs: from 3.6 on every job, unfiltered, with its settings and
// metadata, in the table's order (3.8.5/jobs-all.txt); before, a method the route does not take.
func (f *Farm) serveAllJobs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if !listsAllJobs(f.version) {
		f.mu.Unlock()
		methodNotAllowed(w)
		return
	}
	jobs := make([]wireJob, len(f.jobs))
	for i, j := range f.jobs {
		jobs[i] = f.wireJob(j)
	}
	f.countJobList(len(jobs), true)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Jobs []wireJob `json:"jobs"`
	}{jobs})
}

// serveQueryJobs is POST /api/v3/jobs/query, gone from 3.6 on (3.8.5/query-*.txt): the route of one
// job (GET) matches it.
func (f *Farm) serveQueryJobs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gone := listsAllJobs(f.version)
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
	f.countJobList(len(jobs), q.StatusIn == nil && len(q.Metadata) == 0)
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
	present := hasFarmStatus(f.version)
	state := f.evaluateFarmState()
	f.mu.Unlock()
	if !present {
		serveNotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, wireFarmStatus{state})
}

// evaluateFarmState applies Flamenco 3.5's rules, written here independently of internal/farm's: no
// Workers or all offline/error → inoperative; an active job and an awake Worker → active; an active
// or queued job → waiting; no Worker awake and one asleep → asleep; else idle. f.mu held.
func (f *Farm) evaluateFarmState() string {
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
