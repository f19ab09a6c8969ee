//go:build linux

package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/assets"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// The real tray in the test panel, with a stand-in Manager answering like Flamenco 3.3.1 and like
// 3.8.5: my jobs' rows carry their last rendered frame as their icon; Pause (3.6+ only) and Requeue
// in a job's submenu send exactly the Manager's call, and the menu follows within 2 s; a job of
// mine that fails is notified with its frame, turns the icon red until the menu is opened, and
// costs one image request.
func TestTrayShowsMyJobsFramesAndActsOnThem(t *testing.T) {
	for _, version := range []string{"3.3.1", "3.8.5"} {
		t.Run(version, func(t *testing.T) { testTrayShowsMyJobsFramesAndActsOnThem(t, version) })
	}
}

// jobsTray is a tray on a stand-in farm, in the test panel and notification daemon.
type jobsTray struct {
	t             *testing.T
	ctx           context.Context
	farm          *farmstandin.Farm
	item          *trayhost.Item
	notifications *trayhost.Notifications
}

func testTrayShowsMyJobsFramesAndActsOnThem(t *testing.T, version string) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t)
	panel := trayhost.NewPanel(t, session)
	farm := farmstandin.New("Studio Farm", farmstandin.WithVersion(version))
	lighting := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-100 lighting", User: "alice", Status: "active"})
	comp := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-200 comp", User: "alice", Status: "active"})
	farm.SubmitJob(farmstandin.JobSpec{Name: "shot-999 bob", User: "bob", Status: "active"})
	must(t, farm.RenderFrame(lighting))
	server := farmstandin.Serve(t, farm)
	j := &jobsTray{t: t, farm: farm, notifications: trayhost.NewNotifications(t, session)}
	env, _ := trayEnv(t, session, map[string]any{"notifications": false, "manualManagers": []string{server.URL},
		"userName": "alice", "jobMetadataKey": "user.name"})
	tray := startTray(t, env, "--debug")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j.ctx = ctx
	item := waitTrayItem(t, ctx, panel)
	j.item = item

	// A row's icon is its job's tiny frame, scaled to a menu icon; a job with none has no icon.
	menu := j.waitMenu("the frame as the row's icon", func(m trayhost.MenuNode) bool {
		return len(iconData(m, "shot-100 lighting — active")) > 0 && hasRow(m, "shot-200 comp — active")
	})
	icon, err := png.Decode(bytes.NewReader(iconData(menu, "shot-100 lighting")))
	if err != nil || icon.Bounds().Dx() != 48 || icon.Bounds().Dy() != 48 {
		t.Fatalf("the row's icon: %v; want the 199×112 frame on a 48×48 PNG", err)
	}
	// The frame fills the middle 27 rows; the bands above and below are transparent.
	if _, _, _, a := icon.At(24, 5).RGBA(); a != 0 {
		t.Errorf("the band above the frame is not transparent")
	}
	if _, _, _, a := icon.At(24, 24).RGBA(); a != 0xffff {
		t.Errorf("the frame is not in the middle of the icon")
	}
	if len(iconData(menu, "shot-200 comp")) != 0 {
		t.Error("a job without a frame has an icon")
	}

	j.pauseOrNot(version, lighting)
	j.failAndRequeue(comp)
	tray.running(t)
}

// pauseOrNot: on 3.6+, Pause sends pause-requested and the row follows; before 3.6 there is none.
func (j *jobsTray) pauseOrNot(version, lighting string) {
	t := j.t
	actions := j.submenu("shot-100 lighting — active")
	if version < "3.6" {
		if strings.Contains(strings.Join(actions, "|"), "Pause") {
			t.Errorf("a %s Manager cannot pause, yet the job offers %q", version, actions)
		}
		return
	}
	j.clickIn("shot-100 lighting — active", "Pause")
	clicked := time.Now()
	j.waitMenu("the paused job", func(m trayhost.MenuNode) bool { return hasRow(m, "shot-100 lighting — pause-requested") })
	took := time.Since(clicked)
	t.Logf("the menu followed the pause %v after the click", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the menu followed the pause %v after the click, want within 2 s", took)
	}
	want := farmstandin.JobStatusRequest{JobID: lighting, Status: "pause-requested", Reason: "paused from Flamenco Tray by alice", Code: 204}
	if got := j.farm.JobStatusRequests(); len(got) != 1 || got[0] != want {
		t.Errorf("the Manager was sent %+v, want only %+v", got, want)
	}
}

// failAndRequeue: my job's failure is notified with its frame (one image request), the icon turns
// red until the menu opens, and Requeue sends requeueing.
func (j *jobsTray) failAndRequeue(comp string) {
	t := j.t
	must(t, j.farm.RenderFrame(comp))
	j.waitMenu("the second frame", func(m trayhost.MenuNode) bool { return len(iconData(m, "shot-200 comp")) > 0 })
	before := j.farm.Stats().Images[comp]
	must(t, j.farm.SetJobStatus(comp, "failed", "too many tasks failed"))
	failedAt := time.Now()
	waitCtx, done := context.WithTimeout(j.ctx, 45*time.Second)
	got, err := j.notifications.Wait(waitCtx, func(n []trayhost.Notification) bool { return len(n) > 0 })
	done()
	if err != nil {
		t.Fatalf("no notification that my job failed: %v", err)
	}
	t.Logf("my job's failure notified %v after it failed", time.Since(failedAt).Round(time.Millisecond))
	n := got[0]
	if n.Summary != "Job failed" || n.App != "Flamenco Tray" || n.Image == nil {
		t.Fatalf("notification %q from %q with image %v (%v): want my job's failure with its frame", n.Summary, n.App, n.Image != nil, n.ImageErr)
	}
	if b := n.Image.Bounds(); b.Dx() != 256 || b.Dy() != 144 {
		t.Errorf("the notification's frame is %v, want the 600×337 frame scaled to 256×144", b)
	}
	if asked := j.farm.Stats().Images[comp] - before; asked != 1 {
		t.Errorf("%d image requests for the job since it failed, want 1 (the notification's)", asked)
	}

	red := pixmapSum(t, assets.TrayMyJobFailedIcon)
	waitCtx, done = context.WithTimeout(j.ctx, 30*time.Second)
	_, _, _, err = j.item.WaitIcon(waitCtx, func(_, _ int32, sum string) bool { return sum == red })
	done()
	if err != nil {
		t.Fatalf("the icon after my job failed: %v", err)
	}
	root := j.waitMenu("the failed job", func(m trayhost.MenuNode) bool { return hasRow(m, "shot-200 comp — failed") })
	must(t, j.item.Open(j.ctx, root.ID))
	waitCtx, done = context.WithTimeout(j.ctx, 30*time.Second)
	_, _, _, err = j.item.WaitIcon(waitCtx, func(_, _ int32, sum string) bool { return sum != red })
	done()
	if err != nil {
		t.Errorf("the icon stayed red after the menu was opened: %v", err)
	}

	j.clickIn("shot-200 comp — failed", "Requeue")
	j.waitMenu("the requeued job", func(m trayhost.MenuNode) bool { return hasRow(m, "shot-200 comp — queued") })
	requests := j.farm.JobStatusRequests()
	if last := requests[len(requests)-1]; last.JobID != comp || last.Status != "requeueing" || last.Code != 204 {
		t.Errorf("the Manager was last sent %+v, want requeueing of the failed job", last)
	}
}

func (j *jobsTray) waitMenu(what string, cond func(trayhost.MenuNode) bool) trayhost.MenuNode {
	j.t.Helper()
	waitCtx, done := context.WithTimeout(j.ctx, 60*time.Second)
	defer done()
	menu, err := j.item.WaitMenu(waitCtx, cond)
	if err != nil {
		j.t.Fatalf("%s: %v", what, err)
	}
	return menu
}

// submenu is the labels of a row's submenu.
func (j *jobsTray) submenu(row string) []string {
	j.t.Helper()
	menu := j.waitMenu(row, func(m trayhost.MenuNode) bool { return hasRow(m, row) })
	node, _ := menu.Find(row)
	var labels []string
	for _, c := range node.Children {
		labels = append(labels, c.Label)
	}
	return labels
}

// clickIn clicks the entry labelled label of row's submenu, once the menu has settled.
func (j *jobsTray) clickIn(row, label string) {
	j.t.Helper()
	clickInRow(j.t, j.ctx, j.item, row, label)
}

// clickInRow clicks the entry labelled label of row's submenu once, once the menu has settled.
func clickInRow(t *testing.T, ctx context.Context, item *trayhost.Item, row, label string) {
	t.Helper()
	waitCtx, done := context.WithTimeout(ctx, 40*time.Second)
	defer done()
	inRow := func(m trayhost.MenuNode) bool {
		node, ok := m.Find(row)
		if !ok {
			return false
		}
		entry, ok := node.Find(label)
		return ok && entry.Enabled
	}
	_, menu, err := item.WaitSettled(waitCtx, settleFor, inRow)
	if err != nil {
		t.Fatalf("waiting to click %q in %q: %v", label, row, err)
	}
	node, _ := menu.Find(row)
	entry, _ := node.Find(label)
	if err := item.Click(ctx, entry.ID); err != nil {
		t.Fatalf("click %q in %q: %v", label, row, err)
	}
}

func hasRow(m trayhost.MenuNode, label string) bool { _, ok := m.Find(label); return ok }

// iconData is the dbusmenu icon-data (PNG bytes) of the first entry whose label contains label.
func iconData(m trayhost.MenuNode, label string) []byte {
	node, ok := m.Find(label)
	if !ok {
		return nil
	}
	v, ok := node.Props["icon-data"]
	if !ok {
		return nil
	}
	data, _ := v.Value().([]byte)
	return data
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
