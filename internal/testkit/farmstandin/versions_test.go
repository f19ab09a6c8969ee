//go:build linux

package farmstandin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// captureVersions are the Flamenco generations captured in testdata/flamenco-api.
var captureVersions = []string{"3.3.1", "3.8.5"}

func loadVersionCapture(t *testing.T, version, name string) farmstandin.Capture {
	t.Helper()
	c, err := farmstandin.LoadVersionCapture(version, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// importVersionJobs seeds the farm with the jobs of captured answers of GET /api/v3/jobs/{id}, in
// order, and returns the id of the last.
func importVersionJobs(t *testing.T, f *farmstandin.Farm, version string, captures ...string) string {
	t.Helper()
	id := ""
	for _, capture := range captures {
		var err error
		if id, err = f.ImportJob(loadVersionCapture(t, version, capture).Body); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// importVersionWorkers seeds the farm with the Workers of a captured Workers list and returns the id
// of the last.
func importVersionWorkers(t *testing.T, f *farmstandin.Farm, version, capture string) string {
	t.Helper()
	var list struct{ Workers []json.RawMessage }
	if err := json.Unmarshal(loadVersionCapture(t, version, capture).Body, &list); err != nil {
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

// versionExchange is a captured answer of one version and the request that, on a stand-in of that
// version holding the same farm, must be answered the same. setup returns the id the path names.
type versionExchange struct {
	capture      string
	setup        func(t *testing.T, f *farmstandin.Farm, version string) string
	method, path string // path: "{id}" is replaced by setup's answer
	body         string
}

func withJobs(captures ...string) func(*testing.T, *farmstandin.Farm, string) string {
	return func(t *testing.T, f *farmstandin.Farm, version string) string {
		return importVersionJobs(t, f, version, captures...)
	}
}

func withWorkers(capture string) func(*testing.T, *farmstandin.Farm, string) string {
	return func(t *testing.T, f *farmstandin.Farm, version string) string {
		return importVersionWorkers(t, f, version, capture)
	}
}

// The captures both versions have, reproduced where the stand-in can. Not reproduced: job-types,
// job-tasks and upnp-description (routes the stand-in does not serve), worker-log (the Worker's),
// and 3.8.5's status.txt ("starting": a Manager that has not yet evaluated its farm, the first
// seconds after it starts). last-rendered-and-actions/ has its own test (actions_conformance_test.go).
var versionExchanges = []versionExchange{
	{capture: "version", method: "GET", path: "api/v3/version"},
	{capture: "workers-none", method: "GET", path: "api/v3/worker-mgt/workers"},
	{capture: "workers-awake", method: "GET", path: "api/v3/worker-mgt/workers", setup: withWorkers("workers-awake")},
	{capture: "workers-busy", method: "GET", path: "api/v3/worker-mgt/workers", setup: withWorkers("workers-busy")},
	{capture: "workers-asleep", method: "GET", path: "api/v3/worker-mgt/workers", setup: withWorkers("workers-asleep")},
	{capture: "workers-offline", method: "GET", path: "api/v3/worker-mgt/workers", setup: withWorkers("workers-offline")},
	{capture: "worker-busy", method: "GET", path: "api/v3/worker-mgt/workers/{id}",
		setup: func(t *testing.T, f *farmstandin.Farm, version string) string {
			id, err := f.ImportWorker(loadVersionCapture(t, version, "worker-busy").Body)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}},
	{capture: "setstatus-asleep", method: "POST", path: "api/v3/worker-mgt/workers/{id}/setstatus",
		body: `{"status":"asleep","is_lazy":false}`, setup: withWorkers("workers-awake")},
	{capture: "setstatus-offline", method: "POST", path: "api/v3/worker-mgt/workers/{id}/setstatus",
		body: `{"status":"offline","is_lazy":false}`, setup: withWorkers("workers-asleep")},
	{capture: "job-active", method: "GET", path: "api/v3/jobs/{id}", setup: withJobs("job-active")},
	{capture: "job-completed", method: "GET", path: "api/v3/jobs/{id}", setup: withJobs("job-completed")},
	{capture: "job-failed", method: "GET", path: "api/v3/jobs/{id}", setup: withJobs("job-failed")},
	{capture: "job-canceled", method: "GET", path: "api/v3/jobs/{id}", setup: withJobs("job-canceled")},
	{capture: "job-setstatus-cancel", method: "POST", path: "api/v3/jobs/{id}/setstatus",
		body: `{"status":"cancel-requested","reason":"canceled from the capture"}`, setup: withJobs("job-active")},
	// Echo jobs render no frame: 204 for the job and the farm.
	{capture: "job-last-rendered", method: "GET", path: "api/v3/jobs/{id}/last-rendered", setup: withJobs("job-completed")},
	{capture: "last-rendered", method: "GET", path: "api/v3/jobs/last-rendered", setup: withJobs("job-completed")},
	// GET /api/v3/jobs: 3.3.1's 400, 3.8.5's every job in the table's order.
	{capture: "jobs-none", method: "GET", path: "api/v3/jobs"},
	{capture: "jobs-all", method: "GET", path: "api/v3/jobs", setup: withJobs("job-completed", "job-failed", "job-canceled")},
	// POST /api/v3/jobs/query: 3.3.1's answers, 3.8.5's 400. The request bodies were not recorded:
	// query-all's order (the job updated last first) is that of -updated_at.
	{capture: "query-all", method: "POST", path: "api/v3/jobs/query", body: `{"order_by":["-updated_at"]}`,
		setup: withJobs("job-completed", "job-failed", "job-canceled")},
	{capture: "query-unfinished", method: "POST", path: "api/v3/jobs/query", body: `{"status_in":` + unfinished + `}`,
		setup: withJobs("job-active")},
	{capture: "query-mine-quoted-key", method: "POST", path: "api/v3/jobs/query",
		body: `{"metadata":{"\"user.name\"":"alice"},"order_by":["-updated_at"],"limit":10}`, setup: withJobs("job-active")},
	{capture: "query-mine-dotted-key", method: "POST", path: "api/v3/jobs/query",
		body: `{"metadata":{"user.name":"alice"}}`, setup: withJobs("job-active")},
	{capture: "query-bad-order", method: "POST", path: "api/v3/jobs/query", body: `{"order_by":["-nonexistent"]}`,
		setup: withJobs("job-active")},
	// GET /api/v3/status: 3.3.1's 404; 3.8.5's farm state with the Worker awake and every job done.
	{capture: "status-busy", method: "GET", path: "api/v3/status",
		setup: func(t *testing.T, f *farmstandin.Farm, version string) string {
			importVersionWorkers(t, f, version, "workers-busy")
			return importVersionJobs(t, f, version, "job-completed", "job-failed", "job-canceled")
		}},
}

func TestStandInAnswersLikeEachCapturedVersion(t *testing.T) {
	for _, version := range captureVersions {
		exchanges := versionExchanges
		if version == "3.3.1" {
			// Before any Worker: 3.3.1 has no such route.
			exchanges = append(exchanges, versionExchange{capture: "status", method: "GET", path: "api/v3/status"})
		}
		for _, ex := range exchanges {
			t.Run(version+"/"+ex.capture, func(t *testing.T) {
				want := loadVersionCapture(t, version, ex.capture)
				farm := farmstandin.New("Capture Farm", farmstandin.WithVersion(version), farmstandin.WithGit("bars"))
				id := ""
				if ex.setup != nil {
					id = ex.setup(t, farm, version)
				}
				srv := farmstandin.Serve(t, farm)
				resp, body := send(t, ex.method, srv.URL+strings.ReplaceAll(ex.path, "{id}", id), ex.body)
				answersLike(t, want, resp, body)
			})
		}
	}
}

// The generations' boundaries: the query route until 3.6, the list of every job from 3.6, progress
// from 3.8, the farm status from 3.5. GET /api/v3/jobs is counted like the rest of the farm API.
func TestStandInAnswersAsItsVersion(t *testing.T) {
	for _, tc := range []struct {
		version             string
		query, list, status int
		progress            bool
	}{
		{"3.3.1", 200, 400, 404, false},
		{"3.5.0", 200, 400, 200, false},
		{"3.6.0", 400, 200, 200, false},
		{"3.7.2", 400, 200, 200, false},
		{"3.8.0", 400, 200, 200, true},
		{"4.0", 400, 200, 200, true},
	} {
		farm := farmstandin.New("Versioned Farm", farmstandin.WithVersion(tc.version))
		id := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice", Steps: 4})
		if err := farm.SetJobProgress(id, 3); err != nil {
			t.Fatal(err)
		}
		srv := farmstandin.Serve(t, farm)
		query, _ := send(t, "POST", srv.URL+"api/v3/jobs/query", `{}`)
		list, listed := send(t, "GET", srv.URL+"api/v3/jobs", "")
		status, _ := send(t, "GET", srv.URL+"api/v3/status", "")
		_, one := send(t, "GET", srv.URL+"api/v3/jobs/"+id, "")
		if query.StatusCode != tc.query || list.StatusCode != tc.list || status.StatusCode != tc.status {
			t.Errorf("%s: query %d, list %d, status %d; want %d, %d, %d", tc.version, query.StatusCode,
				list.StatusCode, status.StatusCode, tc.query, tc.list, tc.status)
		}
		progress := `"status":"queued","steps_completed":3,"steps_total":4,"updated"`
		if got := strings.Contains(string(one), progress); got != tc.progress {
			t.Errorf("%s: job %s, progress %v, want %v", tc.version, one, got, tc.progress)
		}
		if tc.list == 200 && !strings.Contains(string(listed), `"id":"`+id+`"`) {
			t.Errorf("%s: every job %s", tc.version, listed)
		}
		stats := farm.Stats()
		if stats.ByRoute["GET /api/v3/jobs"] != 1 || stats.Requests != 4 || stats.LargestAnswer < int64(len(one)) {
			t.Errorf("%s: stats %+v", tc.version, stats)
		}
		srv.Down()
	}
}
