package idle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// busSource reads idle from the compositor over the session bus: GNOME's
// org.gnome.Mutter.IdleMonitor (GetIdletime, milliseconds) or org.freedesktop.ScreenSaver
// (GetSessionIdleTime, milliseconds in KDE's implementation, which KIdleTime answers; KDE's Wayland
// session answers NotSupported, and then idle cannot be read).
type busSource struct {
	conn   *dbus.Conn
	name   string
	object dbus.BusObject
	method string
	// locked, if set, asks whether the screen is locked (org.freedesktop.ScreenSaver.GetActive).
	locked string
}

func openBus(ctx context.Context, k kind) (*busSource, error) {
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("cannot reach the session bus: %v", err)
	}
	var s *busSource
	switch k {
	case mutter:
		s = &busSource{conn: conn, name: "GNOME (Mutter IdleMonitor)",
			object: conn.Object("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core"),
			method: "org.gnome.Mutter.IdleMonitor.GetIdletime"}
	default:
		s = &busSource{conn: conn, name: "org.freedesktop.ScreenSaver",
			object: conn.Object("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
			method: "org.freedesktop.ScreenSaver.GetSessionIdleTime", locked: "org.freedesktop.ScreenSaver.GetActive"}
	}
	// One reading now: a desktop without the interface is told apart at once, not at every poll.
	if _, err := s.Read(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func (s *busSource) Name() string { return s.name }

func (s *busSource) Read(ctx context.Context) (Reading, error) {
	var ms uint64
	call := s.object.CallWithContext(ctx, s.method, 0)
	if call.Err != nil {
		return Reading{}, fmt.Errorf("%s: %v", s.name, call.Err)
	}
	if err := storeUint(call.Body, &ms); err != nil {
		return Reading{}, fmt.Errorf("%s: %v", s.name, err)
	}
	r := Reading{Idle: time.Duration(ms) * time.Millisecond}
	if s.locked != "" {
		var active bool
		if err := s.object.CallWithContext(ctx, s.locked, 0).Store(&active); err == nil {
			r.Locked = active
		}
	}
	return r, nil
}

// storeUint reads one unsigned answer, as uint32 (ScreenSaver) or uint64 (Mutter).
func storeUint(body []any, into *uint64) error {
	if len(body) != 1 {
		return fmt.Errorf("%d values in the answer, want 1", len(body))
	}
	switch v := body[0].(type) {
	case uint32:
		*into = uint64(v)
	case uint64:
		*into = v
	default:
		return fmt.Errorf("an answer of type %T, want an unsigned number", body[0])
	}
	return nil
}

func (s *busSource) Close() error { return s.conn.Close() }

// logindLock reads logind's LockedHint of this session on the system bus: the lock screen of every
// desktop that runs under systemd-logind, X11 included.
type logindLock struct {
	conn    *dbus.Conn
	session dbus.BusObject
}

func openLogindLock(ctx context.Context, sessionID string) (*logindLock, error) {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	login := conn.Object("org.freedesktop.login1", "/org/freedesktop/login1")
	var path dbus.ObjectPath
	if sessionID != "" {
		err = login.CallWithContext(ctx, "org.freedesktop.login1.Manager.GetSession", 0, sessionID).Store(&path)
	} else {
		err = login.CallWithContext(ctx, "org.freedesktop.login1.Manager.GetSessionByPID", 0, uint32(os.Getpid())).Store(&path)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &logindLock{conn: conn, session: conn.Object("org.freedesktop.login1", path)}, nil
}

func (l *logindLock) locked(ctx context.Context) (bool, error) {
	var v dbus.Variant
	err := l.session.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.login1.Session", "LockedHint").Store(&v)
	if err != nil {
		return false, err
	}
	return lockedHint(v)
}

// lockedHint decodes the LockedHint property.
func lockedHint(v dbus.Variant) (bool, error) {
	locked, ok := v.Value().(bool)
	if !ok {
		return false, errors.New("LockedHint is not a boolean")
	}
	return locked, nil
}

func (l *logindLock) close() { l.conn.Close() }

// withLock adds logind's lock to a Source's readings.
type withLock struct {
	Source
	lock *logindLock
}

func (w withLock) Read(ctx context.Context) (Reading, error) {
	r, err := w.Source.Read(ctx)
	if err != nil {
		return r, err
	}
	if locked, err := w.lock.locked(ctx); err == nil {
		r.Locked = r.Locked || locked
	}
	return r, nil
}

func (w withLock) Name() string { return w.Source.Name() + " + logind lock" }

func (w withLock) Close() error {
	w.lock.close()
	return w.Source.Close()
}
