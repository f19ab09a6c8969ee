//go:build linux

package app

import (
	"context"
	"image"
	"image/color"
	"io"
	"net/http"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// A job's end reaches the notification daemon with the job's last rendered frame, the Manager's
// small image as the tray scales it; without one when the job has none (204) or its image stalls,
// then within the frame's budget (0.8 s) and the bus's round trip.
func TestAJobsEndIsNotifiedWithItsFrameOrWithoutItOnTime(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", session.BusAddress)
	stand := farmstandin.New("Studio Farm", farmstandin.WithVersion("3.8.5"))
	job := stand.SubmitJob(farmstandin.JobSpec{Name: "shot-100", User: "alice", Status: "active"})
	server := farmstandin.Serve(t, stand)
	log := zerolog.New(zerolog.NewTestWriter(t))
	ctx, cancel := context.WithCancel(t.Context())
	o := newOwner(ctx)
	tr := &tray{owner: o, log: log, transport: newDesktopNotifications(test.NewTempApp(t), log, o, func(string) {}),
		frames: newJobFrames(log, o, discovery.SystemClock{}, func() {})}
	o.Go(tr.transport.Run)
	defer func() { cancel(); o.wait() }()
	select {
	case <-tr.transport.sender.(*clickNotifier).ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the notifications never connected to the session bus")
	}

	notify := func(what string) trayhost.Notification {
		t.Helper()
		before, stats := len(daemon.All()), stand.Stats()
		start := time.Now()
		tr.showNews(news{Title: "Job finished", Body: "“shot-100” on Studio Farm", Open: server.URL, Frame: frameKey{server.URL, job}})
		waitCtx, done := context.WithTimeout(ctx, 20*time.Second)
		defer done()
		got, err := daemon.Wait(waitCtx, func(n []trayhost.Notification) bool { return len(n) > before })
		if err != nil {
			t.Fatalf("%s: no notification: %v", what, err)
		}
		took := time.Since(start)
		after := stand.Stats()
		t.Logf("%s: notified after %v; cost %d request(s) of where its frame is and %d image request(s)", what,
			took.Round(time.Millisecond), after.AllByRoute[lastRenderedRoute]-stats.AllByRoute[lastRenderedRoute],
			after.Images[job]-stats.Images[job])
		if took > frameNoticeWait+500*time.Millisecond {
			t.Errorf("%s: notified after %v, want within the frame's budget of %v and the bus's round trip", what, took, frameNoticeWait)
		}
		return got[before]
	}

	if n := notify("a job without a frame (204)"); n.Image != nil || n.ImageErr != nil {
		t.Errorf("a job without a frame was notified with an image (%v)", n.ImageErr)
	}

	if err := stand.RenderFrame(job); err != nil {
		t.Fatal(err)
	}
	n := notify("a job with a frame")
	want := servedSmallFrame(t, server.URL, job)
	if n.Image == nil || n.Image.Bounds() != want.Bounds() {
		t.Fatalf("the notification's image: %v (%v); want the small frame scaled to %v", n.Image, n.ImageErr, want.Bounds())
	}
	for y := range want.Bounds().Dy() {
		for x := range want.Bounds().Dx() {
			if !sameColor(n.Image.At(x, y), want.At(x, y)) {
				t.Fatalf("pixel (%d, %d) is %v, want %v: the hint does not decode to the Manager's frame", x, y, n.Image.At(x, y), want.At(x, y))
			}
		}
	}

	release := stand.StallImages()
	defer release()
	if n := notify("a job whose frame stalls"); n.Image != nil {
		t.Error("a stalled frame was in the notification")
	}
}

const lastRenderedRoute = "GET /api/v3/jobs/{id}/last-rendered"

// servedSmallFrame is the stand-in's small frame of job as the tray scales it for a notification.
func servedSmallFrame(t *testing.T, base, job string) *image.NRGBA {
	t.Helper()
	resp, err := http.Get(base + "job-files/job-" + job[:4] + "/" + job + "/last-rendered-small.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	img, err := scaledFrame(data, notificationImageSide)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func sameColor(a, b color.Color) bool {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	return ar == br && ag == bg && ab == bb && aa == ba
}
