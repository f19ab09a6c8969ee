package farmstandin_test

import (
	"maps"
	"net/http"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// Every request is counted by the route it matched, the version and unknown paths included; the
// farm API's own count stays what it was.
func TestStandInCountsEveryRequestByRoute(t *testing.T) {
	farm := farmstandin.New("Counting Farm", farmstandin.WithVersion("3.8.5"))
	id := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice"})
	srv := farmstandin.Serve(t, farm)
	for _, path := range []string{"api/v3/version", "api/v3/version", "api/v3/jobs/" + id, "nowhere"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	stats := farm.Stats()
	want := map[string]int{"GET /api/v3/version": 2, "GET /api/v3/jobs/{id}": 1, "GET (no route)": 1}
	if stats.AllRequests != 4 || !maps.Equal(stats.AllByRoute, want) || stats.Requests != 1 {
		t.Errorf("all %d %v, farm API %d; want 4 %v, 1", stats.AllRequests, stats.AllByRoute, stats.Requests, want)
	}
	farm.ResetStats()
	if stats := farm.Stats(); stats.AllRequests != 0 || len(stats.AllByRoute) != 0 {
		t.Errorf("after ResetStats: %d %v", stats.AllRequests, stats.AllByRoute)
	}
}
