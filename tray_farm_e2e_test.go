//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

// The real tray, in the test panel, with a stand-in Manager answering like Flamenco 3.3.1 and like
// 3.8.5: the farm and my jobs under the Manager, a click on a job opens it, and a notification
// within 2 s of my job's end (the event bus), none for another user's or for what ended before the
// tray started.
func TestTrayShowsTheFarmAndMyJobs(t *testing.T) {
	for _, version := range []string{"3.3.1", "3.8.5"} {
		t.Run(version, func(t *testing.T) { testTrayShowsTheFarmAndMyJobs(t, version) })
	}
}

func testTrayShowsTheFarmAndMyJobs(t *testing.T, version string) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t)
	panel := trayhost.NewPanel(t, session)
	notifications := trayhost.NewNotifications(t, session)

	farm := farmstandin.New("Studio Farm", farmstandin.WithVersion(version))
	farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	farm.AddWorker(farmstandin.WorkerSpec{Name: "render-02", Status: "asleep"})
	done := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-005 done before", User: "alice"})
	if err := farm.SetJobStatus(done, "completed", "all tasks completed"); err != nil {
		t.Fatal(err)
	}
	mine := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010 lighting", User: "alice"})
	if err := farm.SetJobStatus(mine, "active", "task became active"); err != nil {
		t.Fatal(err)
	}
	theirs := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-099 bob", User: "bob"})
	server := farmstandin.Serve(t, farm)

	// Added by hand: found over HTTP only, no SSDP needed for this test. Manager notifications off,
	// so every notification is about jobs.
	env, opened := trayEnv(t, session, map[string]any{"notifications": false, "manualManagers": []string{server.URL},
		"userName": "ALICE", "jobMetadataKey": "user.name"})
	tray := startTray(t, env, "--debug")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	item := waitTrayItem(t, ctx, panel)
	farmShown := all(
		enabled("Studio Farm — "+version+" (this computer, added by hand)"),
		func(m trayhost.MenuNode) bool { _, ok := m.Find("Farm active · 1 awake · 1 asleep"); return ok },
		func(m trayhost.MenuNode) bool { _, ok := m.Find("Jobs: 1 active · 1 queued"); return ok },
		func(m trayhost.MenuNode) bool { _, ok := m.Find("My jobs (1 unfinished)"); return ok },
		enabled("shot-010 lighting — active"),
		enabled("shot-005 done before — completed"),
	)
	waitCtx, waitDone := context.WithTimeout(ctx, 60*time.Second)
	menu, err := item.WaitMenu(waitCtx, farmShown)
	waitDone()
	if err != nil {
		t.Fatalf("the farm under the Manager: %v", err)
	}
	if _, ok := menu.Find("shot-099"); ok {
		t.Errorf("another user's job is among mine: %q", menu.Labels())
	}

	// "Open in the web UI" in my job's submenu opens it.
	clickInRow(t, ctx, item, "shot-010 lighting — active", "Open in the web UI")
	wantURL := server.URL + "app/jobs/" + mine
	within(t, 10*time.Second, "the browser opening "+wantURL, func() bool {
		data, _ := os.ReadFile(opened)
		return strings.Contains(string(data), wantURL)
	})

	// Bob's job ends, then mine fails: one notification, for mine.
	if err := farm.SetJobStatus(theirs, "completed", "all tasks completed"); err != nil {
		t.Fatal(err)
	}
	if err := farm.SetJobStatus(mine, "failed", "too many tasks failed"); err != nil {
		t.Fatal(err)
	}
	failedAt := time.Now()
	waitCtx, waitDone = context.WithTimeout(ctx, 45*time.Second)
	got, err := notifications.Wait(waitCtx, func(n []trayhost.Notification) bool { return len(n) > 0 })
	waitDone()
	if err != nil {
		t.Fatalf("no notification that my job failed: %v", err)
	}
	latency := time.Since(failedAt)
	t.Logf("my job's failure notified %v after it failed", latency.Round(time.Millisecond))
	if latency > 2*time.Second {
		t.Errorf("my job's failure notified %v after it failed, want within 2 s", latency)
	}
	// The menu follows as fast: My jobs shows the failure.
	waitCtx, waitDone = context.WithTimeout(ctx, 30*time.Second)
	_, err = item.WaitMenu(waitCtx, enabled("shot-010 lighting — failed"))
	waitDone()
	if err != nil {
		t.Errorf("my failed job in the menu: %v", err)
	} else if took := time.Since(failedAt); took > 2*time.Second {
		t.Errorf("the menu showed my failed job %v after it failed, want within 2 s", took)
	}
	want := trayhost.Notification{Summary: "Job failed", Body: "“shot-010 lighting” on Studio Farm — " + version + " (this computer, added by hand)"}
	if got[0].Summary != want.Summary || got[0].Body != want.Body {
		t.Errorf("notification %+v, want %+v", got[0], want)
	}
	// A click on it opens the job (the daemon supports actions, as GNOME's, KDE's and Xfce's do).
	if !slices.Contains(got[0].Actions, "default") || got[0].Icon == "" {
		t.Errorf("notification actions %q, icon %q: not clickable, or without the app's icon", got[0].Actions, got[0].Icon)
	}
	if err := notifications.Click(got[0].ID); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, "the browser opening "+wantURL+" again", func() bool {
		data, _ := os.ReadFile(opened)
		return strings.Count(string(data), wantURL) == 2
	})
	// Anything else it would send (bob's job, a second one for mine) comes before a later job of
	// mine ends: the sentinel's notification proves the others did not come.
	sentinel := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-999 sentinel", User: "alice"})
	if err := farm.SetJobStatus(sentinel, "canceled", "canceled by the test"); err != nil {
		t.Fatal(err)
	}
	waitCtx, waitDone = context.WithTimeout(ctx, 30*time.Second)
	all, err := notifications.Wait(waitCtx, func(n []trayhost.Notification) bool { return len(n) >= 2 })
	waitDone()
	if err != nil || len(all) != 2 || all[1].Summary != "Job canceled" {
		t.Errorf("notifications %+v (%v), want the one for my failed job, then the sentinel's", all, err)
	}
	tray.running(t)
}

// "Run a Worker here" runs flamenco-worker (a stand-in process behaving like Worker 3.3.1) for the
// Manager, the menu shows it awake, and quitting the tray signs it off before the tray exits.
func TestTrayRunsAWorkerHereAndSignsItOffOnQuit(t *testing.T) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t)
	panel := trayhost.NewPanel(t, session)
	manager := workerstandin.NewManager(t)
	workerBin := workerstandin.Install(t, t.TempDir(), workerstandin.Poll(200*time.Millisecond))

	env, _ := trayEnv(t, session, map[string]any{"notifications": false, "manualManagers": []string{manager.URL},
		"workerPath": workerBin})
	tray := startTray(t, env, "--debug")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	item := waitTrayItem(t, ctx, panel)
	clickOnce(t, ctx, item, "Run a Worker here", enabled("Capture Farm"))
	manager.WaitFor(t, 30*time.Second, "the Worker signing on", func(events []farmstandin.Event) bool {
		return slices.ContainsFunc(events, func(e farmstandin.Event) bool { return e.Kind == "sign-on" })
	})
	waitCtx, waitDone := context.WithTimeout(ctx, 30*time.Second)
	_, err := item.WaitMenu(waitCtx, enabled("Worker here: awake"))
	waitDone()
	if err != nil {
		t.Fatalf("the Worker's state in the menu: %v", err)
	}
	// The last XDG_DATA_HOME wins, as in the tray's environment.
	dataHome := ""
	for _, kv := range env {
		if value, ok := strings.CutPrefix(kv, "XDG_DATA_HOME="); ok {
			dataHome = value
		}
	}
	if dirs, _ := filepath.Glob(filepath.Join(dataHome, "flamenco-tray/workers/*/flamenco-worker.yaml")); len(dirs) != 1 {
		t.Errorf("Worker directories with a flamenco-worker.yaml: %q, want one", dirs)
	}

	clickOnce(t, ctx, item, "Quit", enabled("Worker here: awake"))
	select {
	case <-tray.exited:
	case <-time.After(60 * time.Second):
		t.Fatal("the tray did not exit within 60 s of Quit")
	}
	if tray.err != nil {
		t.Errorf("the tray exited with %v", tray.err)
	}
	if !slices.ContainsFunc(manager.Events(), func(e farmstandin.Event) bool { return e.Kind == "sign-off" }) {
		t.Errorf("the Worker did not sign off before the tray exited: %v", manager.Events())
	}
}
