package app

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// framesFixture is a real Watcher of a stand-in Manager (3.8.5) whose every Summary goes to a
// jobFrames, as in the tray; the frames' clock is fake, the Watcher's real.
type framesFixture struct {
	farm    *farmstandin.Farm
	server  *farmstandin.Server
	clock   *fakeclock.Clock
	frames  *jobFrames
	changes atomic.Int32
	job     string
}

func newFramesFixture(t *testing.T) *framesFixture {
	f := &framesFixture{farm: farmstandin.New("Frames Farm", farmstandin.WithVersion("3.8.5")),
		clock: fakeclock.New(time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC))}
	f.job = f.farm.SubmitJob(farmstandin.JobSpec{Name: "shot-200 thumbs", User: "alice", Status: "active"})
	f.server = farmstandin.Serve(t, f.farm)
	ctx, cancel := context.WithCancel(t.Context())
	o := newOwner(ctx)
	f.frames = newJobFrames(zerolog.New(zerolog.NewTestWriter(t)), o, f.clock, func() { f.changes.Add(1) })
	w := farm.NewWatcher(farm.WatcherConfig{BaseURL: f.server.URL, Identity: farm.Identity{MetadataKey: "user.name", UserName: "alice"},
		Logger: zerolog.Nop(), OnEvent: func(e farm.Event) { f.frames.see(e.Summary) }})
	o.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); o.wait() })
	return f
}

func (f *framesFixture) images() int { return f.farm.Stats().Images[f.job] }

// waitFor polls cond, as the fetches run on their own goroutines.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A row's frame: fetched once when the job first shows, then again only when the bus says a new
// one exists, and never more than once a minute however many are rendered.
func TestJobFramesFetchARowsFrameWhenNewAtMostOnceAMinute(t *testing.T) {
	f := newFramesFixture(t)
	f.farm.RenderFrame(f.job) // before the tray: the job has a frame, no news of it reaches the tray
	waitFor(t, "the frame of the job first seen", func() bool { return f.frames.icons(f.server.URL)[f.job] != nil })
	if f.images() != 1 {
		t.Fatalf("%d image requests for the first frame, want 1", f.images())
	}
	first := f.frames.icons(f.server.URL)[f.job]
	if !bytes.HasPrefix(first.Content(), []byte("\x89PNG")) {
		t.Fatalf("the row's icon is not a PNG: %q", first.Content()[:8])
	}

	for range 5 { // five frames rendered within the minute
		f.farm.RenderFrame(f.job)
	}
	waitFor(t, "the fetch waiting for its minute", func() bool { return f.clock.Waiting() > 0 })
	if f.images() != 1 {
		t.Fatalf("%d image requests within the minute, want 1", f.images())
	}
	f.clock.Advance(frameRefresh)
	waitFor(t, "the newest frame after the minute", func() bool { return f.images() == 2 })
	stats := f.farm.Stats()
	if n := stats.AllByRoute["GET /api/v3/jobs/{id}/last-rendered"]; n != 1 {
		t.Errorf("asked where the frame is %d times, want once: the bus tells where the new ones are", n)
	}
	// Nothing else waits to be asked: the five news made one fetch.
	if n := f.clock.Waiting(); n != 0 {
		t.Errorf("%d fetches wait for their minute after the newest frame was fetched, want none", n)
	}
}

// The notification's frame: the small size, one image request, never more than frameNoticeWait
// however the Manager answers, nil for a job with no frame, a stalled image or one that is not.
func TestJobFramesForNoticeIsOnTimeWithOrWithoutAFrame(t *testing.T) {
	f := newFramesFixture(t)
	waitFor(t, "the job's first look (204)", func() bool {
		return f.farm.Stats().AllByRoute["GET /api/v3/jobs/{id}/last-rendered"] == 1
	})
	if data := f.frames.forNotice(f.server.URL, f.job); data != nil {
		t.Fatalf("a job without a frame (204) gave %d bytes", len(data))
	}

	f.farm.RenderFrame(f.job)
	// A job had no frame (204): its first one is fetched at once, not a minute later.
	waitFor(t, "the row's first frame, as the bus told", func() bool { return f.images() == 1 })
	before, asked := f.images(), f.farm.Stats().AllByRoute["GET /api/v3/jobs/{id}/last-rendered"]
	data := f.frames.forNotice(f.server.URL, f.job)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 600 || cfg.Height != 337 {
		t.Fatalf("the notice's frame: %v, %d×%d; want the small size, 600×337", err, cfg.Width, cfg.Height)
	}
	if n := f.images() - before; n != 1 {
		t.Errorf("%d image requests for one notified job, want 1", n)
	}
	t.Logf("one notified job cost %d image request and %d of where its frame is (the bus told it)",
		f.images()-before, f.farm.Stats().AllByRoute["GET /api/v3/jobs/{id}/last-rendered"]-asked)

	release := f.farm.StallImages()
	defer release()
	start := time.Now()
	data = f.frames.forNotice(f.server.URL, f.job)
	took := time.Since(start)
	t.Logf("a stalled frame gave up after %v", took.Round(time.Millisecond))
	if data != nil {
		t.Error("a stalled frame gave bytes")
	}
	if took > frameNoticeWait+500*time.Millisecond {
		t.Errorf("a stalled frame held the notification %v", took)
	}
	release()

	f.farm.SetFrameImages(f.job, nil, []byte("<html>proxy login</html>"), nil)
	if data := f.frames.forNotice(f.server.URL, f.job); data != nil {
		t.Errorf("a frame that is not an image gave %d bytes", len(data))
	}
}

func TestFrameIconIsASquareWithTheFrameBetweenTransparentBands(t *testing.T) {
	t.Parallel()
	var wide bytes.Buffer
	frame := image.NewNRGBA(image.Rect(0, 0, 199, 112))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.NRGBA{R: 200, G: 100, B: 50, A: 255}), image.Point{}, draw.Src)
	if err := png.Encode(&wide, frame); err != nil {
		t.Fatal(err)
	}
	icon, err := frameIcon(wide.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil || img.Bounds() != image.Rect(0, 0, frameIconSize, frameIconSize) {
		t.Fatalf("icon %v, %v; want a %d-pixel square PNG", img.Bounds(), err, frameIconSize)
	}
	if _, _, _, a := img.At(24, 2).RGBA(); a != 0 {
		t.Error("the band above the frame is not transparent")
	}
	if r, _, _, a := img.At(24, 24).RGBA(); a != 0xffff || r>>8 < 190 {
		t.Error("the frame is not in the icon's middle")
	}
	again, _ := frameIcon(wide.Bytes())
	if again.Name() != icon.Name() || !strings.HasPrefix(icon.Name(), "frame-") {
		t.Errorf("names %q and %q: the same frame must give the same name, another frame another", icon.Name(), again.Name())
	}
	if _, err := frameIcon([]byte("<html>")); err == nil {
		t.Error("HTML made an icon")
	}
}
