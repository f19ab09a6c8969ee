package idle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// idleFromAnswer reads a compositor's one unsigned answer in its unit: uint64 milliseconds from
// Mutter's GetIdletime, uint32 milliseconds from KDE's GetSessionIdleTime.
func idleFromAnswer(body []any, unit time.Duration) (time.Duration, error) {
	if len(body) != 1 {
		return 0, fmt.Errorf("%d values in the answer, want 1", len(body))
	}
	var n uint64
	switch v := body[0].(type) {
	case uint32:
		n = uint64(v)
	case uint64:
		n = v
	default:
		return 0, fmt.Errorf("an answer of type %T, want an unsigned number", body[0])
	}
	const most = uint64(1<<63-1) / uint64(time.Millisecond)
	if n > most { // nonsense, not a reason to overflow into a negative idle time
		return 0, fmt.Errorf("an idle time of %d out of range", n)
	}
	return time.Duration(n) * unit, nil
}

// lockedHint decodes logind's LockedHint property of a session.
func lockedHint(v dbus.Variant) (bool, error) {
	locked, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("LockedHint is a %s, not a boolean", v.Signature())
	}
	return locked, nil
}

// busProblem says in words why asking service over the session bus failed.
func busProblem(service string, err error) string {
	var busErr dbus.Error
	if !errors.As(err, &busErr) {
		var p *dbus.Error
		if errors.As(err, &p) {
			busErr = *p
		}
	}
	switch busErr.Name {
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
		return "nothing on the session bus offers " + service
	case "org.freedesktop.DBus.Error.NotSupported":
		return service + " answers that it does not tell idle time on this desktop"
	case "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownObject",
		"org.freedesktop.DBus.Error.UnknownInterface":
		return service + " is there but cannot tell idle time"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return service + " did not answer in time"
	}
	return fmt.Sprintf("%s: %v", service, err)
}

// notSupported tells KDE Plasma's answer on Wayland: its org.freedesktop.ScreenSaver refuses
// GetSessionIdleTime there (kscreenlocker's interface.cpp answers NotSupported).
func notSupported(err error) bool {
	var busErr dbus.Error
	return errors.As(err, &busErr) && busErr.Name == "org.freedesktop.DBus.Error.NotSupported"
}
