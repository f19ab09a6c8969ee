//go:build linux

package farmstandin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

func TestStandInKeepsIdsAcrossARestart(t *testing.T) {
	farm := farmstandin.New("Restarting Farm")
	id := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-030", User: "alice"})
	srv := farmstandin.Serve(t, farm)
	url := srv.URL
	srv.Down()
	if _, err := http.Get(url + "api/v3/jobs/" + id); err == nil {
		t.Fatal("the Manager answered while down")
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	if srv.URL != url {
		t.Fatalf("came back at %s, was at %s", srv.URL, url)
	}
	resp, body := send(t, "GET", url+"api/v3/jobs/"+id, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"`+id+`"`) {
		t.Errorf("after the restart: %d %s", resp.StatusCode, body)
	}
}

func TestStandInJobQueriesFilterLikeTheManager(t *testing.T) {
	farm := farmstandin.New("Query Farm")
	mine := farm.SubmitJob(farmstandin.JobSpec{Name: "mine", User: "alice", Status: "active"})
	farm.SubmitJob(farmstandin.JobSpec{Name: "theirs", User: "bob", Status: "active"})
	farm.SubmitJob(farmstandin.JobSpec{Name: "anonymous", Status: "completed"})
	farm.SubmitJob(farmstandin.JobSpec{Name: "capital", User: "Alice", Status: "queued"})
	srv := farmstandin.Serve(t, farm)
	names := func(body string) string {
		resp, data := send(t, "POST", srv.URL+"api/v3/jobs/query", body)
		if resp.StatusCode != 200 {
			return resp.Status
		}
		var answer struct{ Jobs []struct{ ID, Name string } }
		if err := json.Unmarshal(data, &answer); err != nil {
			t.Fatal(err)
		}
		var list []string
		for _, j := range answer.Jobs {
			list = append(list, j.Name)
		}
		return strings.Join(list, ",")
	}
	for _, tc := range []struct{ body, want string }{
		{`{}`, "mine,theirs,anonymous,capital"},
		{`{"status_in":["active"]}`, "mine,theirs"},
		{`{"status_in":[]}`, ""},
		{`{"metadata":{"\"user.name\"":"alice"}}`, "mine"},          // = is case-sensitive
		{`{"metadata":{"\"user.name\"":"alice%"}}`, "mine,capital"}, // LIKE is not, for ASCII
		{`{"metadata":{"user.name":"alice"}}`, ""},                  // a JSON path user → name
		{`{"metadata":{"\"user.name":"alice"}}`, "500 Internal Server Error"},
		{`{"order_by":["-name"],"limit":2}`, "theirs,mine"},
		{`{"order_by":["name"],"offset":1,"limit":1}`, "capital"},
		{`{"order_by":["name; drop table jobs"]}`, "500 Internal Server Error"},
		{`{"status_in":["pause-requested"]}`, "400 Bad Request"},
		{`{"limit":`, "400 Bad Request"},
	} {
		if got := names(tc.body); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.body, got, tc.want)
		}
	}
	if resp, body := send(t, "GET", srv.URL+"api/v3/jobs/"+mine, ""); resp.StatusCode != 200 {
		t.Errorf("GET job: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "GET", srv.URL+"api/v3/jobs/00000000-0000-4000-8000-000000000000", ""); resp.StatusCode != 404 ||
		string(body) != `{"code":404,"message":"no such job"}`+"\n" {
		t.Errorf("unknown job: %d %s", resp.StatusCode, body)
	}
}

func TestStandInHostileModes(t *testing.T) {
	farm := farmstandin.New("Hostile Farm")
	srv := farmstandin.Serve(t, farm)
	client := &http.Client{Timeout: 500 * time.Millisecond}
	get := func() (int, string, error) {
		resp, err := client.Get(srv.URL + "api/v3/worker-mgt/workers")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	farm.SetMode(farmstandin.Slow)
	if _, _, err := get(); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("slow: %v", err)
	}
	farm.SetMode(farmstandin.Failing)
	if code, body, _ := get(); code != 500 || !strings.Contains(body, `"code":500`) {
		t.Errorf("failing: %d %s", code, body)
	}
	farm.SetMode(farmstandin.Malformed)
	if code, body, _ := get(); code != 200 || json.Valid([]byte(body)) {
		t.Errorf("malformed: %d %s", code, body)
	}
	farm.SetMode(farmstandin.TooOld)
	if code, body, _ := get(); code != 404 || body != "{\"message\":\"Not Found\"}\n" {
		t.Errorf("too old: %d %s", code, body)
	}
	farm.SetMode(farmstandin.Huge)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"api/v3/worker-mgt/workers", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n < 16<<20 {
		t.Errorf("huge: %d bytes", n)
	}
	// The version still answers: the Manager stays listed while its farm API misbehaves.
	if resp, _ := send(t, "GET", srv.URL+"api/v3/version", ""); resp.StatusCode != 200 {
		t.Errorf("version in hostile mode: %d", resp.StatusCode)
	}
}

// The generated farm is as heavy as a real one: an unfiltered query of 1,000 jobs is some 370 KB on
// a real Manager (the measurement).
func TestGeneratedFarmIsAsHeavyAsARealOne(t *testing.T) {
	farm := farmstandin.New("Big Farm")
	farm.Generate(farmstandin.Scale{Workers: 200, Jobs: 1000, Users: []string{"alice", "bob", "carol"}, Seed: 1})
	srv := farmstandin.Serve(t, farm)
	_, body := send(t, "POST", srv.URL+"api/v3/jobs/query", `{}`)
	t.Logf("unfiltered query of 1,000 jobs: %d bytes", len(body))
	if len(body) < 300<<10 || len(body) > 450<<10 {
		t.Errorf("unfiltered query of 1,000 jobs is %d bytes, want about 370 KB", len(body))
	}
	_, body = send(t, "GET", srv.URL+"api/v3/worker-mgt/workers", "")
	if n := strings.Count(string(body), `"id"`); n != 200 {
		t.Errorf("%d Workers listed", n)
	}
}
