//go:build linux

package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// startClickNotifier runs a clickNotifier on session's bus until the test ends, and returns once it
// is connected: with a daemon on the bus, once a probe notification reached it (the first the daemon
// got).
func startClickNotifier(t *testing.T, session *trayhost.Session) *clickNotifier {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", session.BusAddress)
	c := newClickNotifier(zerolog.New(zerolog.NewTestWriter(t)), "org.flamenco.tray", func() string { return "/icon.png" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitConnected(t, c)
	return c
}

// waitConnected returns once s sends over the session bus: its notify no longer says it is not
// connected.
func waitConnected(t *testing.T, s noticeSender) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.notify(context.Background(), desktopNotice{title: "probe", body: "connected?"})
		if err == nil || !strings.Contains(fmt.Sprint(err), "not connected") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notifier never connected to the session bus: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A click on the notification runs its action, once; an ActionInvoked sent by another program on the
// bus does nothing, nor does one the daemon sends once the notification closed.
func TestClickNotifierRunsTheClickOfItsDaemonOnly(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session)
	c := startClickNotifier(t, session)
	var clicks, laterClicks atomic.Int32
	err := c.notify(context.Background(), desktopNotice{title: "Job failed", body: "“shot-010” on Studio Farm", onClick: func() { clicks.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	err = c.notify(context.Background(), desktopNotice{title: "Job completed", body: "“shot-020”", onClick: func() { laterClicks.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	sent := daemon.All()[1:] // after the probe
	// Named for people (Plasma titles the notification with it), the desktop file for the desktop.
	if len(sent) != 2 || sent[0].Summary != "Job failed" || sent[0].App != "Flamenco Tray" || sent[0].Icon != "/icon.png" ||
		sent[0].DesktopEntry != "org.flamenco.tray" || len(sent[0].Actions) != 2 || sent[0].Actions[0] != "default" {
		t.Fatalf("sent %+v", sent)
	}
	if !slices.Equal(sent[0].Hints, []string{"desktop-entry"}) {
		t.Errorf("hints %q, want desktop-entry alone (no frame given)", sent[0].Hints)
	}

	// Another program forges the click, addressed to the notifier's connection.
	forger, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	forged := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(notificationsPath),
		dbus.FieldInterface:   dbus.MakeVariant(notificationsName),
		dbus.FieldMember:      dbus.MakeVariant("ActionInvoked"),
		dbus.FieldDestination: dbus.MakeVariant(sent[0].Sender),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(sent[0].ID, "default")),
	}, Body: []interface{}{sent[0].ID, "default"}}
	if call := forger.Send(forged, nil); call.Err != nil {
		t.Fatal(call.Err)
	}
	// The bus handles a connection's messages in order: once it answered this call, the forged
	// signal is on its way to the notifier, ahead of the daemon's clicks.
	if err := forger.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
		t.Fatal(err)
	}
	// Each click is followed by NotificationClosed: the second click on the first notification
	// comes once it closed, and must find it forgotten.
	for _, id := range []uint32{sent[0].ID, sent[0].ID, sent[1].ID} {
		if err := daemon.Click(id); err != nil {
			t.Fatal(err)
		}
	}
	// The notifier reads the daemon's signals in order: once the later notification's click ran,
	// it has read the forged click and both on the first.
	deadline := time.Now().Add(10 * time.Second)
	for laterClicks.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the click on the later notification never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := clicks.Load(); n != 1 {
		t.Errorf("%d clicks run, want the daemon's one before the notification closed", n)
	}
}

// A daemon without actions gets the notification and its frame from the notifier, without the
// click it cannot report.
func TestClickNotifierGivesADaemonWithoutActionsTheFrame(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session, trayhost.WithoutActions())
	c := startClickNotifier(t, session)
	frame := encodeQuadrants(t, "png", 300, 200, 255)
	if err := c.notify(context.Background(), desktopNotice{title: "Job completed", body: "x", image: frame, onClick: func() {}}); err != nil {
		t.Fatal(err)
	}
	sent := daemon.All()[1:] // after the probe
	if len(sent) != 1 || len(sent[0].Actions) != 0 || sent[0].App != "Flamenco Tray" || sent[0].DesktopEntry != "org.flamenco.tray" {
		t.Fatalf("sent %+v", sent)
	}
	if sent[0].ImageErr != nil || sent[0].Image == nil || sent[0].Image.Bounds().Size() != image.Pt(256, 171) {
		t.Errorf("image %v (%v), want 256×171", sent[0].Image, sent[0].ImageErr)
	}
	// Should the daemon report a click all the same, nothing runs: notify remembers no click for a
	// daemon that cannot report one (a forged click finds none; see the test above).
	if err := c.notify(context.Background(), desktopNotice{title: "Job failed", body: "x", onClick: func() {}}); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	n := len(c.clicks)
	c.mu.Unlock()
	if n != 0 {
		t.Errorf("%d clicks remembered for a daemon that cannot report them", n)
	}
}

// The frame reaches the daemon as image-data, scaled to fit 256×256, and reads back as the picture
// sent: a JPEG as the Manager serves, and a PNG with translucent pixels (sent with alpha).
func TestClickNotifierSendsTheFrame(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session)
	c := startClickNotifier(t, session)
	for i, tc := range []struct {
		format string
		alpha  uint8
	}{{"jpeg", 255}, {"png", 255}, {"png", 128}} {
		frame := encodeQuadrants(t, tc.format, 600, 338, tc.alpha)
		if err := c.notify(context.Background(), desktopNotice{title: "Job completed", body: "x", image: frame, onClick: func() {}}); err != nil {
			t.Fatal(err)
		}
		sent := daemon.All()[1:] // after the probe
		if len(sent) != i+1 {
			t.Fatalf("sent %+v", sent)
		}
		got := sent[i]
		if got.ImageErr != nil || got.Image == nil {
			t.Fatalf("%s: no image read from the hints %q: %v", tc.format, got.Hints, got.ImageErr)
		}
		if size := got.Image.Bounds().Size(); size != image.Pt(256, 144) {
			t.Errorf("%s: image of %v, want 256×144 (600×338 scaled to fit 256)", tc.format, size)
		}
		// The middle of each quadrant keeps its colour (JPEG blurs only near the edges).
		for _, q := range quadrants {
			x, y := q.x*256/4, q.y*144/4
			want := q.colour
			want.A = tc.alpha
			if c := color.NRGBAModel.Convert(got.Image.At(x, y)).(color.NRGBA); !near(c, want, 12) {
				t.Errorf("%s alpha %d: pixel (%d, %d) is %v, want about %v", tc.format, tc.alpha, x, y, c, want)
			}
		}
		if got.Actions[0] != "default" || got.App != "Flamenco Tray" {
			t.Errorf("sent %+v", got)
		}
	}
}

// Bytes that are no frame to show leave the notification without an image, sent all the same.
func TestClickNotifierSendsWithoutAFrameItCannotRead(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session)
	c := startClickNotifier(t, session)
	jpegFrame := encodeQuadrants(t, "jpeg", 600, 338, 255)
	bad := map[string][]byte{
		"garbage":        []byte("<html>502 Bad Gateway</html>"),
		"a GIF":          encodeQuadrants(t, "gif", 60, 40, 255),
		"a cut JPEG":     jpegFrame[:len(jpegFrame)/2],
		"10001 px wide":  pngHeader(10001, 1),
		"25 megapixels+": pngHeader(5001, 5001),
	}
	for name, frame := range bad {
		if err := c.notify(context.Background(), desktopNotice{title: name, body: "x", image: frame, onClick: func() {}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	sent := daemon.All()[1:] // after the probe
	if len(sent) != len(bad) {
		t.Fatalf("sent %d notifications, want %d", len(sent), len(bad))
	}
	for _, got := range sent {
		if slices.Contains(got.Hints, "image-data") || got.DesktopEntry != "org.flamenco.tray" || len(got.Actions) != 2 {
			t.Errorf("%s: sent %+v, want it with its click and without an image", got.Summary, got)
		}
	}
}

// Without a notification daemon the notification is certainly not shown: errUnsent.
func TestClickNotifierWithoutADaemon(t *testing.T) {
	session := trayhost.StartSession(t)
	c := startClickNotifier(t, session)
	err := c.notify(context.Background(), desktopNotice{title: "Job failed", body: "x"})
	if !errors.Is(err, errUnsent) || !strings.Contains(err.Error(), "no notification daemon") {
		t.Errorf("notify: %v, want errUnsent for want of a daemon", err)
	}
}
