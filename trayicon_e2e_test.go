//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/assets"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// The real tray in the test panel: the icon is the plain orange one while my job waits on the
// stand-in Manager, and the blue badge once the job renders.
func TestTrayIconShowsMyJobRendering(t *testing.T) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t)
	panel := trayhost.NewPanel(t, session)
	farm := farmstandin.New("Studio Farm", farmstandin.WithVersion("3.8.5"))
	mine := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010 lighting", User: "alice"})
	server := farmstandin.Serve(t, farm)
	env, _ := trayEnv(t, session, map[string]any{"notifications": false, "manualManagers": []string{server.URL},
		"userName": "ALICE", "jobMetadataKey": "user.name"})
	tray := startTray(t, env)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	item := waitTrayItem(t, ctx, panel)
	// The icon is read once the menu showing the change has settled (the tray sets the menu, then
	// at once the icon): fyne.io/systray replaces IconPixmap in place (godbus's prop.Store reuses
	// its []PX) while a Get's reply may still be encoding it, so a read that overlaps a change is
	// a data race inside those two, which -race reports.
	iconWith := func(job string, want fyne.Resource) {
		t.Helper()
		waitCtx, done := context.WithTimeout(ctx, 60*time.Second)
		defer done()
		if _, _, err := item.WaitSettled(waitCtx, settleFor, enabled(job)); err != nil {
			t.Fatalf("%q in the menu: %v", job, err)
		}
		sum := pixmapSum(t, want)
		if _, _, _, err := item.WaitIcon(waitCtx, func(_, _ int32, got string) bool { return got == sum }); err != nil {
			t.Fatalf("with %q, the icon is not %s: %v", job, want.Name(), err)
		}
	}
	iconWith("shot-010 lighting — queued", assets.TrayFoundIcon)
	if err := farm.SetJobStatus(mine, "active", "task became active"); err != nil {
		t.Fatal(err)
	}
	iconWith("shot-010 lighting — active", assets.TrayMyJobRenderingIcon)
	tray.running(t)
}

// pixmapSum is the trayhost's sum of an icon as fyne.io/systray sends it to the panel: a 32-bit
// ARGB pixmap, each channel the low byte of Go's 16-bit colour.
func pixmapSum(t *testing.T, icon fyne.Resource) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil {
		t.Fatalf("%s: %v", icon.Name(), err)
	}
	var argb []byte
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			argb = append(argb, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	sum := sha256.Sum256(argb)
	return hex.EncodeToString(sum[:])
}
