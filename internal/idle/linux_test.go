package idle

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// The X11 source against a real X server: Xvfb's MIT-SCREEN-SAVER counts idle time, and input
// through XTEST (a hand on the mouse) resets it.
func TestX11IdleOnARealXServer(t *testing.T) {
	session := trayhost.StartSession(t)
	t.Setenv("DISPLAY", session.Display)
	t.Setenv("WAYLAND_DISPLAY", "")
	src, err := Open(t.Context())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer src.Close()
	if !strings.HasPrefix(src.Name(), "X11") {
		t.Errorf("source %q, want X11's", src.Name())
	}
	move := pointerMover(t, session.Display)
	move()
	first := read(t, src)
	time.Sleep(1500 * time.Millisecond) // idle time to grow: what is measured
	later := read(t, src)
	if later.Idle < first.Idle+time.Second {
		t.Errorf("idle %v, then %v 1.5 s later: it did not grow", first.Idle, later.Idle)
	}
	move()
	if after := read(t, src); after.Idle >= later.Idle || after.Idle > 500*time.Millisecond {
		t.Errorf("idle %v after input (was %v): input did not reset it", after.Idle, later.Idle)
	}
}

func read(t *testing.T, src Source) Reading {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	r, err := src.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return r
}

// pointerMover moves the X server's pointer through XTEST.
func pointerMover(t *testing.T, display string) func() {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	if err := xtest.Init(conn); err != nil {
		t.Fatal(err)
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	x := int16(0)
	return func() {
		x = (x + 17) % 200
		if err := xtest.FakeInputChecked(conn, xproto.MotionNotify, 0, 0, root, x, 20, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}
}

// compositor answers like GNOME's Mutter and KDE's screen saver on a private session bus.
type compositor struct{ idleMs uint32 }

func (c compositor) GetIdletime() (uint64, *dbus.Error)        { return uint64(c.idleMs), nil }
func (c compositor) GetSessionIdleTime() (uint32, *dbus.Error) { return c.idleMs, nil }
func (c compositor) GetActive() (bool, *dbus.Error)            { return true, nil }

// The D-Bus sources against a real bus: a GNOME session and a KDE one on Wayland, each compositor
// played by this test; a compositor with neither interface cannot be read, and says so.
func TestWaylandIdleOverTheSessionBus(t *testing.T) {
	session := trayhost.StartSession(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", session.BusAddress)
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")

	t.Setenv("XDG_CURRENT_DESKTOP", "sway")
	if _, err := Open(t.Context()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "Mutter") {
		t.Errorf("no compositor interface: %v, want ErrUnavailable naming what was asked", err)
	}

	conn, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := compositor{idleMs: 90_000}
	conn.Export(c, "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor")
	conn.Export(c, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver")
	for _, name := range []string{"org.gnome.Mutter.IdleMonitor", "org.freedesktop.ScreenSaver"} {
		if reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("owning %s: %v %v", name, reply, err)
		}
	}
	for _, tc := range []struct {
		desktop, name string
		locked        bool
	}{
		{"GNOME", "GNOME (Mutter IdleMonitor)", false},
		{"KDE", "org.freedesktop.ScreenSaver", true},
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

func TestLockedHint(t *testing.T) {
	if locked, err := lockedHint(dbus.MakeVariant(true)); err != nil || !locked {
		t.Errorf("%v %v", locked, err)
	}
	if _, err := lockedHint(dbus.MakeVariant("yes")); err == nil {
		t.Error("a string was taken for LockedHint")
	}
}
