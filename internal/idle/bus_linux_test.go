package idle

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// fakeCompositor answers like GNOME's Mutter and KDE's screen locker on a private session bus.
type fakeCompositor struct {
	idleMs  uint32
	hang    chan struct{} // while hanging, GetIdletime waits until hang is closed: a hung compositor
	hanging atomic.Bool
	refuse  bool // GetSessionIdleTime answers NotSupported, as KDE Plasma does on Wayland
}

func (c *fakeCompositor) GetIdletime() (uint64, *dbus.Error) {
	if c.hanging.Load() {
		<-c.hang
	}
	return uint64(c.idleMs), nil
}

func (c *fakeCompositor) GetSessionIdleTime() (uint32, *dbus.Error) {
	if c.refuse {
		return 0, dbus.NewError("org.freedesktop.DBus.Error.NotSupported",
			[]any{"GetSessionIdleTime is not supported on this platform"})
	}
	return c.idleMs, nil
}

func (c *fakeCompositor) GetActive() (bool, *dbus.Error) { return true, nil }

// waylandSession starts a private session bus and points this test's environment at it, as a
// Wayland session of desktop.
func waylandSession(t *testing.T, desktop string) *trayhost.Session {
	session := trayhost.StartSession(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", session.BusAddress)
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	t.Setenv("XDG_CURRENT_DESKTOP", desktop)
	return session
}

// serve exports c on the bus under the names of the interfaces given.
func serve(t *testing.T, session *trayhost.Session, c *fakeCompositor, ifaces ...compositor) {
	t.Helper()
	conn, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, iface := range ifaces {
		if err := conn.Export(c, iface.object, iface.service); err != nil {
			t.Fatal(err)
		}
		if reply, err := conn.RequestName(iface.service, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("owning %s: %v %v", iface.service, reply, err)
		}
	}
}

// The D-Bus sources against a real bus: a GNOME session and a KDE one on Wayland, each compositor
// played by this test, read in their units (milliseconds both).
func TestWaylandIdleOverTheSessionBus(t *testing.T) {
	session := waylandSession(t, "GNOME")
	serve(t, session, &fakeCompositor{idleMs: 90_000}, mutterIdleMonitor, freedesktopScreenSaver)
	for _, tc := range []struct {
		desktop, name string
		locked        bool
	}{
		{"ubuntu:GNOME", "GNOME (Mutter IdleMonitor)", false},
		{"KDE", "Session bus (org.freedesktop.ScreenSaver)", true},
	} {
		t.Setenv("XDG_CURRENT_DESKTOP", tc.desktop)
		src, err := Open(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", tc.desktop, err)
		}
		r := read(t, src)
		if !strings.HasPrefix(src.Name(), tc.name) || r.Idle != 90*time.Second || r.Locked != tc.locked {
			t.Errorf("%s: %q read %+v, want 1m30s, locked %v", tc.desktop, src.Name(), r, tc.locked)
		}
		src.Close()
	}
}

// A compositor without either interface cannot be read, and the error says what was asked and
// what to do; KDE Plasma's refusal on Wayland is told as such.
func TestWaylandWithoutIdleSaysWhy(t *testing.T) {
	session := waylandSession(t, "sway")
	_, err := Open(t.Context())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "nothing on the session bus offers org.gnome.Mutter.IdleMonitor") ||
		!strings.Contains(err.Error(), "sway") {
		t.Errorf("sway: %v, want ErrUnavailable naming what was asked", err)
	}

	serve(t, session, &fakeCompositor{refuse: true}, freedesktopScreenSaver)
	t.Setenv("XDG_CURRENT_DESKTOP", "KDE")
	_, err = Open(t.Context())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "Plasma (X11)") {
		t.Errorf("KDE on Wayland: %v, want ErrUnavailable advising a Plasma (X11) session", err)
	}
}

// A compositor that stops answering does not hang Read: it returns at its context's end.
func TestBusReadReturnsWithinItsContextWhenTheCompositorHangs(t *testing.T) {
	session := waylandSession(t, "GNOME")
	c := &fakeCompositor{idleMs: 5, hang: make(chan struct{})}
	serve(t, session, c, mutterIdleMonitor)
	src, err := Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c.hanging.Store(true)
	defer close(c.hang)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := src.Read(ctx); err == nil || time.Since(start) > time.Second {
		t.Errorf("Read of a hung compositor: %v after %v, want an error at the deadline", err, time.Since(start))
	}
}

// Open's context bounds the opening only: the source keeps reading after it ends.
func TestSourceOutlivesTheContextItWasOpenedWith(t *testing.T) {
	session := waylandSession(t, "GNOME")
	serve(t, session, &fakeCompositor{idleMs: 1000}, mutterIdleMonitor)
	ctx, cancel := context.WithCancel(t.Context())
	src, err := Open(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if r := read(t, src); r.Idle != time.Second {
		t.Errorf("read %+v after Open's context ended, want 1s", r)
	}
}
