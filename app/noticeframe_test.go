//go:build linux

package app

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/clock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// A job's end reaches the notification daemon with the job's last rendered frame, the Manager's
// small image scaled; without one when the job has none (204), its image stalls or is no frame the
// Manager makes, and never delayed 1 s or more by the image.
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
		frames: newJobFrames(log, o, clock.System{}, func() {})}
	o.Go(func() { tr.transport.sender.run(ctx) })
	defer func() { cancel(); o.wait() }()
	waitConnected(t, tr.transport.sender)

	// notify shows a job's end as the tray does and returns what the daemon got, and how long it took.
	notify := func(what string) (trayhost.Notification, time.Duration) {
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
		return got[before], took
	}
	// The image's delay: how much longer than a notification of a job without a frame (which asks
	// where the frame is, then sends over D-Bus).
	var plain time.Duration
	delayedByTheImage := func(what string, took time.Duration) {
		t.Helper()
		if took-plain >= time.Second {
			t.Errorf("%s: the image delayed the notification by %v, want under 1 s", what, took-plain)
		}
	}

	n, plain := notify("a job without a frame (204)")
	if n.Image != nil || n.ImageErr != nil {
		t.Errorf("a job without a frame was notified with an image (%v)", n.ImageErr)
	}

	if err := stand.RenderFrame(job); err != nil {
		t.Fatal(err)
	}
	n, took := notify("a job with a frame")
	delayedByTheImage("a job with a frame", took)
	if n.Image == nil {
		t.Fatalf("no image in the notification (%v)", n.ImageErr)
	}
	compareQuadrants(t, n.Image, servedSmallFrame(t, server.URL, job))

	release := stand.StallImages()
	n, took = notify("a job whose frame stalls")
	release()
	delayedByTheImage("a job whose frame stalls", took)
	if n.Image != nil {
		t.Error("a stalled frame was in the notification")
	}

	// A few kilobytes of PNG that claim 5000×5000 pixels would take half a second to decode.
	stand.SetFrameImages(job, nil, hugePNG(t), nil)
	n, took = notify("a job whose frame is no frame the Manager makes")
	delayedByTheImage("a huge frame", took)
	if n.Image != nil {
		t.Error("a 5000×5000 frame was in the notification")
	}
}

// servedSmallFrame is the stand-in's small frame of job, decoded here.
func servedSmallFrame(t *testing.T, base, job string) image.Image {
	t.Helper()
	resp, err := http.Get(base + "job-files/job-" + job[:4] + "/" + job + "/last-rendered-small.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	img, err := jpeg.Decode(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// compareQuadrants checks that got is want scaled: each quarter's average colour within 6 of 255.
func compareQuadrants(t *testing.T, got, want image.Image) {
	t.Helper()
	gb, wb := got.Bounds(), want.Bounds()
	if gb.Dx() > notificationImageSide || gb.Dy() > notificationImageSide || gb.Dx()*wb.Dy()/wb.Dx()-gb.Dy() > 1 {
		t.Fatalf("the notification's image is %v, want the %v frame scaled to fit %d px", gb, wb, notificationImageSide)
	}
	for q := range 4 {
		g, w := average(got, quarter(gb, q)), average(want, quarter(wb, q))
		for i := range 3 {
			if d := int(g[i]) - int(w[i]); d > 6 || d < -6 {
				t.Errorf("quarter %d averages %v, want %v: the hint does not decode to the Manager's frame", q, g, w)
				break
			}
		}
	}
}

func quarter(r image.Rectangle, q int) image.Rectangle {
	w, h := r.Dx()/2, r.Dy()/2
	x, y := r.Min.X+(q%2)*w, r.Min.Y+(q/2)*h
	return image.Rect(x, y, x+w, y+h)
}

func average(img image.Image, r image.Rectangle) [3]uint8 {
	var sum [3]uint64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			sum[0], sum[1], sum[2] = sum[0]+uint64(c.R), sum[1]+uint64(c.G), sum[2]+uint64(c.B)
		}
	}
	n := uint64(r.Dx() * r.Dy())
	return [3]uint8{uint8(sum[0] / n), uint8(sum[1] / n), uint8(sum[2] / n)}
}

// hugePNG is a 5000×5000 picture of one colour: a few kilobytes.
func hugePNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, 5000, 5000), color.Palette{color.Black})
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const lastRenderedRoute = "GET /api/v3/jobs/{id}/last-rendered"
