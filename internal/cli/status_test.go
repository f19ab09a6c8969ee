//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

type statusOutput struct {
	Name, URL, Version, Farm string
	Workers, Jobs            map[string]int
	MyJobs                   []struct {
		ID, Name, Status, URL string
		Updated               time.Time
		Progress              *struct{ Completed, Total int }
	} `json:"my_jobs"`
	Unavailable string
}

// studioFarm is a stand-in Manager (Flamenco 3.3.1) with two Workers, alice's jobs and bob's.
func studioFarm(t *testing.T) (*farmstandin.Server, map[string]string) {
	return studioFarmOf(t, "3.3.1")
}

// studioFarmOf serves a stand-in Manager of that version on loopback (plain HTTP: no namespace).
func studioFarmOf(t *testing.T, version string) (*farmstandin.Server, map[string]string) {
	t.Helper()
	clock := time.Now().Add(-time.Hour)
	now := func() time.Time { return clock }
	f := farmstandin.New("Studio Farm", farmstandin.WithClock(now), farmstandin.WithVersion(version))
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-02", Status: "offline"})
	ids := map[string]string{}
	ids["old"] = f.SubmitJob(farmstandin.JobSpec{Name: "shot-000 layout", User: "alice"})
	f.SetJobStatus(ids["old"], "failed", "too many tasks failed")
	clock = clock.Add(time.Hour)
	ids["mine"] = f.SubmitJob(farmstandin.JobSpec{Name: "shot-010 lighting", User: "Alice", Status: "active", Steps: 3})
	f.SetJobProgress(ids["mine"], 2)
	ids["theirs"] = f.SubmitJob(farmstandin.JobSpec{Name: "shot-020 fx", User: "bob", Status: "queued"})
	return farmstandin.Serve(t, f), ids
}

func TestStatusOfAGivenManagerAsJSON(t *testing.T) {
	srv, ids := studioFarm(t)
	trayHome(t) // no tray settings
	code, out, errOut := runCommand(context.Background(), "status", "--manager", srv.URL, "--user", "alice", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var list []statusOutput
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("output %v:\n%s", err, out)
	}
	s := list[0]
	if s.Name != "Studio Farm" || s.URL != srv.URL || s.Version != "3.3.1" || s.Farm != "active" || s.Unavailable != "" {
		t.Errorf("got %+v", s)
	}
	if s.Workers["awake"] != 1 || s.Workers["offline"] != 1 {
		t.Errorf("workers %v", s.Workers)
	}
	for _, status := range []string{"active", "canceled", "completed", "failed", "paused", "queued", "cancel-requested",
		"requeueing", "under-construction"} {
		if _, ok := s.Jobs[status]; !ok {
			t.Errorf("jobs has no %q: %v", status, s.Jobs)
		}
	}
	if s.Jobs["active"] != 1 || s.Jobs["queued"] != 1 {
		t.Errorf("jobs %v", s.Jobs)
	}
	var mine []string
	for _, j := range s.MyJobs {
		mine = append(mine, j.Name+"="+j.Status)
		if j.URL != srv.URL+"app/jobs/"+j.ID || j.Updated.IsZero() {
			t.Errorf("job %+v", j)
		}
	}
	// Newest first; bob's job is not mine. (The metadata filter matches "alice" exactly; "Alice"'s
	// running job is found among the unfinished ones.)
	if !slices.Equal(mine, []string{"shot-010 lighting=active", "shot-000 layout=failed"}) {
		t.Errorf("my jobs %v", mine)
	}
	if s.MyJobs[0].ID != ids["mine"] {
		t.Errorf("first of my jobs %s, want %s", s.MyJobs[0].ID, ids["mine"])
	}
}

func TestStatusText(t *testing.T) {
	srv, _ := studioFarm(t)
	trayHome(t)
	code, out, errOut := runCommand(context.Background(), "status", "--manager", srv.URL, "--user", `STUDIO\alice`)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"Studio Farm\t3.3.1\t" + srv.URL,
		"  farm: active\n",
		"  workers: 1 awake · 1 offline\n",
		"  jobs: 1 active · 1 queued", // and "· 1 failed today" unless the hour before crossed midnight
		"  my jobs (user.name = alice):\n",
		"shot-010 lighting",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusExitsOneWhenAGivenManagerDoesNotAnswer(t *testing.T) {
	srv, _ := studioFarm(t)
	trayHome(t)
	code, out, errOut := runCommand(context.Background(), "status", "--manager", srv.URL, "--manager", "http://127.0.0.1:1/")
	if code != 1 || out != "" || !strings.Contains(errOut, "no Flamenco Manager answers at http://127.0.0.1:1") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if code, _, errOut := runCommand(context.Background(), "status", "--manager", "ftp://farm/"); code != 2 {
		t.Errorf("an ftp URL: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCommand(context.Background(), "status", "extra"); code != 2 {
		t.Errorf("an extra argument: exit %d, %s", code, errOut)
	}
}

// A Manager that answers as one (its version) but not its farm API: listed, with why, and exit 1.
func TestStatusSaysWhenTheFarmStatusIsUnavailable(t *testing.T) {
	srv, _ := studioFarm(t)
	srv.Farm.SetMode(farmstandin.TooOld)
	trayHome(t)
	code, out, errOut := runCommand(context.Background(), "status", "--manager", srv.URL, "--json")
	var list []statusOutput
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("output %v:\n%s", err, out)
	}
	if code != 1 || !strings.Contains(list[0].Unavailable, "too old") || list[0].Farm != "unknown" ||
		!strings.Contains(errOut, "farm status of Studio Farm") {
		t.Errorf("exit %d, %+v, stderr:\n%s", code, list[0], errOut)
	}
}

// Without --manager: the Managers found on the LAN and those the tray remembers (added by hand,
// here one whose own discovery is off), with the user from the tray's Settings.
func TestStatusListsFoundAndRememberedManagers(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(t)
	lan.Attach(t, managerHost, netns.WithMulticastRoute())
	standin.Start(t, managerHost, "LAN Farm", standin.WithFarm(farmstandin.Scale{Workers: 12, Jobs: 40, Users: []string{"bob"}, Seed: 3}))
	remembered, _ := studioFarm(t)
	home := trayHome(t)
	prefDir := filepath.Join(home, ".config", "fyne", app.ID)
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		t.Fatal(err)
	}
	prefs, _ := json.Marshal(map[string]any{"manualManagers": []string{remembered.URL}, "userName": "bob"})
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), prefs, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCommand(context.Background(), "status", "--json", "--timeout", "5s")
	var list []statusOutput
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("exit %d, output %v:\n%s\n%s", code, err, out, errOut)
	}
	names := map[string]statusOutput{}
	for _, s := range list {
		names[s.Name] = s
	}
	lanFarm, ok := names["LAN Farm"]
	if !ok || lanFarm.Farm == "" || lanFarm.Unavailable != "" || lanFarm.Workers["awake"]+lanFarm.Workers["asleep"]+lanFarm.Workers["offline"]+lanFarm.Workers["error"] != 12 {
		t.Errorf("LAN Farm: %+v\n%s\n%s", lanFarm, out, errOut)
	}
	studio, ok := names["Studio Farm"]
	if !ok || len(studio.MyJobs) != 1 || studio.MyJobs[0].Name != "shot-020 fx" {
		t.Errorf("Studio Farm (bob's jobs, from Settings): %+v", studio)
	}
	if code != 0 {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

// A Manager found (here: remembered by the tray) that cannot tell its farm is listed with why, and
// the command still succeeds: only a Manager asked for with --manager must answer.
func TestStatusOfFoundManagersSucceedsWhenOneCannotTellItsFarm(t *testing.T) {
	netns.RequireIsolated(t)
	remembered, _ := studioFarm(t)
	remembered.Farm.SetMode(farmstandin.TooOld)
	home := trayHome(t)
	prefDir := filepath.Join(home, ".config", "fyne", app.ID)
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		t.Fatal(err)
	}
	prefs, _ := json.Marshal(map[string]any{"manualManagers": []string{remembered.URL}})
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), prefs, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCommand(context.Background(), "status", "--json", "--timeout", "2s")
	var list []statusOutput
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("exit %d, output %v:\n%s\n%s", code, err, out, errOut)
	}
	if code != 0 || !strings.Contains(list[0].Unavailable, "too old") || !strings.Contains(errOut, "farm status of Studio Farm") {
		t.Errorf("exit %d, %+v, stderr:\n%s", code, list[0], errOut)
	}
}

// --watch prints one line per change of my jobs and of the farm state, and exits 0 at Ctrl+C. It
// runs on the real clock: the change is seen at the next poll of the unfinished jobs, within 30 s.
func TestStatusWatchPrintsTransitions(t *testing.T) {
	srv, ids := studioFarm(t)
	trayHome(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testio.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"status", "--watch", "--json", "--manager", srv.URL, "--user", "alice"}, &out, &errOut, testVersion)
	}()
	testio.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(errOut.String(), "press Ctrl+C") })
	// The first full status is silent; wait until it is in (its requests reached the Manager).
	testio.WaitFor(t, 10*time.Second, func() bool { return srv.Farm.Stats().ByRoute["GET /api/v3/worker-mgt/workers"] == 1 })
	testio.WaitFor(t, 10*time.Second, func() bool { return srv.Farm.Stats().Requests >= 5 })
	srv.Farm.SetJobStatus(ids["mine"], "completed", "all tasks completed")
	srv.Farm.SetJobStatus(ids["theirs"], "active", "task became active")
	testio.WaitFor(t, 40*time.Second, func() bool { return strings.Count(out.String(), "\n") >= 1 })
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after interrupt; stderr:\n%s", code, errOut.String())
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e struct {
			Event, From, To string
			Manager         struct{ Name, URL string }
			Job             *struct{ ID, Name, URL string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		what := e.Event + " " + e.From + ">" + e.To
		if e.Job != nil {
			what += " " + e.Job.Name
		}
		lines = append(lines, what)
	}
	// Mine completed; bob's job started: the farm stays active, and bob's job is not news.
	if !slices.Equal(lines, []string{"job-finished active>completed shot-010 lighting"}) {
		t.Errorf("lines %q", lines)
	}
}

// Today's Flamenco (3.6+ lists jobs only with GET /api/v3/jobs): the farm, my jobs and their
// progress, where 3.3.1's "progress" is null.
func TestStatusOfTodaysFlamencoAsJSON(t *testing.T) {
	for _, tc := range []struct {
		version  string
		progress string
	}{{"3.8.5", "2/3"}, {"3.3.1", "null"}} {
		t.Run(tc.version, func(t *testing.T) {
			srv, _ := studioFarmOf(t, tc.version)
			trayHome(t)
			code, out, errOut := runCommand(context.Background(), "status", "--manager", srv.URL, "--user", "alice", "--json")
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			var list []statusOutput
			if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
				t.Fatalf("output %v:\n%s", err, out)
			}
			s := list[0]
			if s.Version != tc.version || s.Farm != "active" || s.Unavailable != "" || s.Jobs["active"] != 1 || s.Jobs["queued"] != 1 {
				t.Fatalf("got %+v", s)
			}
			progress := "null"
			if p := s.MyJobs[0].Progress; p != nil {
				progress = fmt.Sprintf("%d/%d", p.Completed, p.Total)
			}
			if s.MyJobs[0].Name != "shot-010 lighting" || progress != tc.progress {
				t.Errorf("my first job %+v, progress %s; want shot-010 lighting, %s", s.MyJobs[0], progress, tc.progress)
			}
			if !strings.Contains(out, `"progress": null`) && tc.progress == "null" {
				t.Errorf("no null progress in:\n%s", out)
			}
		})
	}
}

// A job named to rewrite the user's terminal (an escape sequence, a bidi override) is printed
// cleaned of them.
func TestStatusCleansWhatTheManagerNames(t *testing.T) {
	f := farmstandin.New("Studio Farm", farmstandin.WithVersion("3.8.5"))
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	f.SubmitJob(farmstandin.JobSpec{Name: "shot-030 \x1b[2J\u202efx", User: "alice", Status: "queued"})
	srv := farmstandin.Serve(t, f)
	trayHome(t)
	code, out, errOut := runCommand(context.Background(), "status", "--manager", srv.URL, "--user", "alice")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b\u202e") || !strings.Contains(out, "shot-030 [2Jfx") {
		t.Errorf("a hostile job name printed as %q", out)
	}
}
