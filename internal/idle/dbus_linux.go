package idle

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

// compositor is a D-Bus interface a Wayland compositor offers for reading idle time.
type compositor struct {
	name, service string
	object        dbus.ObjectPath
	method        string
	activeMethod  string // optional: whether the screen saver (KDE: the lock screen) is active
}

var (
	// Mutter answers GetIdletime in milliseconds (uint64).
	mutterIdleMonitor = compositor{name: "GNOME (Mutter IdleMonitor)", service: "org.gnome.Mutter.IdleMonitor",
		object: "/org/gnome/Mutter/IdleMonitor/Core", method: "org.gnome.Mutter.IdleMonitor.GetIdletime"}
	// KDE's kscreenlocker answers GetSessionIdleTime with KIdleTime's idleTime(), in milliseconds
	// (uint32), and GetActive is its lock screen. (GNOME's old gnome-screensaver answered seconds, but
	// on its own name, org.gnome.ScreenSaver, which is not asked.) Should another implementation
	// answer seconds, idle reads 1000 times too short: the computer is lent later, never sooner.
	freedesktopScreenSaver = compositor{name: "Session bus (org.freedesktop.ScreenSaver)", service: "org.freedesktop.ScreenSaver",
		object: "/org/freedesktop/ScreenSaver", method: "org.freedesktop.ScreenSaver.GetSessionIdleTime",
		activeMethod: "org.freedesktop.ScreenSaver.GetActive"}
)

// busSource reads idle from the compositor over the session bus.
type busSource struct {
	conn      *dbus.Conn
	object    dbus.BusObject
	of        compositor
	closeOnce sync.Once
}

// openBus connects to the session bus (DBUS_SESSION_BUS_ADDRESS) and reads once, so that a
// compositor without the interface is told apart now, not at every poll.
func openBus(ctx context.Context, of compositor) (*busSource, error) {
	// Not dbus.WithContext(ctx): the connection would close when Open's ctx ends.
	conn, err := within(ctx, func() (*dbus.Conn, error) { return dbus.ConnectSessionBus() },
		func(c *dbus.Conn) { c.Close() })
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoSessionBus, err)
	}
	s := &busSource{conn: conn, object: conn.Object(of.service, of.object), of: of}
	if _, err := s.Read(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *busSource) Name() string { return s.of.name }

func (s *busSource) Read(ctx context.Context) (Reading, error) {
	call := s.object.CallWithContext(ctx, s.of.method, 0)
	if call.Err != nil {
		return Reading{}, newBusError(s.of.service, busErrorName(call.Err), call.Err)
	}
	idle, err := idleFromAnswer(call.Body)
	if err != nil {
		return Reading{}, fmt.Errorf("%s: %v", s.of.service, err)
	}
	r := Reading{Idle: idle}
	if s.of.activeMethod != "" {
		// Best effort: without an answer the lock is left to logind.
		var active bool
		if s.object.CallWithContext(ctx, s.of.activeMethod, 0).Store(&active) == nil {
			r.Locked = active
		}
	}
	return r, nil
}

func (s *busSource) Close() error {
	s.closeOnce.Do(func() { s.conn.Close() })
	return nil
}

// busErrorName is the D-Bus error name of err, if the bus or the peer answered with one (godbus
// hands a reply's error over as a dbus.Error value).
func busErrorName(err error) string {
	var e dbus.Error
	if errors.As(err, &e) {
		return e.Name
	}
	return ""
}

// logindLock reads logind's LockedHint of this session on the system bus: the lock screen of every
// desktop that runs under systemd-logind, X11 included.
type logindLock struct {
	conn    *dbus.Conn
	session dbus.BusObject
}

// openLogindLock finds this desktop's session: XDG_SESSION_ID's, or else logind's "auto" (the
// caller's session, or its user's display session for a program started outside it, as desktops
// that start autostart programs as systemd user services do).
func openLogindLock(ctx context.Context, sessionID string) (*logindLock, error) {
	conn, err := within(ctx, func() (*dbus.Conn, error) { return dbus.ConnectSystemBus() },
		func(c *dbus.Conn) { c.Close() })
	if err != nil {
		return nil, err
	}
	path := dbus.ObjectPath("/org/freedesktop/login1/session/auto")
	if sessionID != "" {
		login := conn.Object("org.freedesktop.login1", "/org/freedesktop/login1")
		err := login.CallWithContext(ctx, "org.freedesktop.login1.Manager.GetSession", 0, sessionID).Store(&path)
		if err != nil {
			conn.Close()
			return nil, err
		}
	}
	l := &logindLock{conn: conn, session: conn.Object("org.freedesktop.login1", path)}
	if _, err := l.locked(ctx); err != nil { // a logind older than LockedHint (systemd 230)
		conn.Close()
		return nil, err
	}
	return l, nil
}

func (l *logindLock) locked(ctx context.Context) (bool, error) {
	var v dbus.Variant
	err := l.session.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.login1.Session", "LockedHint").Store(&v)
	if err != nil {
		return false, err
	}
	return lockedHint(v.Value())
}

// withLock adds logind's lock screen to a display source's readings.
type withLock struct {
	Source
	lock *logindLock
}

func (w withLock) Read(ctx context.Context) (Reading, error) {
	r, err := w.Source.Read(ctx)
	if err != nil {
		return r, err
	}
	// A failed lock reading leaves the display source's word: idle time still decides.
	if locked, err := w.lock.locked(ctx); err == nil {
		r.Locked = r.Locked || locked
	}
	return r, nil
}

func (w withLock) Name() string { return w.Source.Name() + " + logind lock screen" }

func (w withLock) Close() error {
	w.lock.conn.Close() // godbus: safe twice
	return w.Source.Close()
}
