package idle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The decoding of compositors' and logind's answers, without godbus (which needs cgo on the BSDs),
// so that it is tested on every OS.

// idleFromAnswer reads a compositor's one unsigned answer in milliseconds: uint64 from Mutter's
// GetIdletime, uint32 from KDE's GetSessionIdleTime.
func idleFromAnswer(body []any) (time.Duration, error) {
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
	if n > uint64(1<<63-1)/uint64(time.Millisecond) { // nonsense, not a reason to overflow into a negative idle time
		return 0, fmt.Errorf("an idle time of %d out of range", n)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// lockedHint decodes the value of logind's LockedHint property of a session.
func lockedHint(value any) (bool, error) {
	locked, ok := value.(bool)
	if !ok {
		return false, fmt.Errorf("LockedHint is a %T, not a boolean", value)
	}
	return locked, nil
}

// busError is a failed call to a compositor, in words a user can read, keeping the bus's error
// name (for notSupported) and its error.
type busError struct {
	problem, name string
	err           error
}

func (e *busError) Error() string { return e.problem }
func (e *busError) Unwrap() error { return e.err }

// errNoSessionBus: the session bus itself cannot be reached, whatever desktop runs on it.
var errNoSessionBus = errors.New("the session bus cannot be reached (DBUS_SESSION_BUS_ADDRESS)")

const errNotSupported = "org.freedesktop.DBus.Error.NotSupported"

// newBusError says in words why asking service failed, from the bus's error name ("" when the
// call did not get that far).
func newBusError(service, name string, err error) *busError {
	e := &busError{name: name, err: err}
	switch {
	case name == "org.freedesktop.DBus.Error.ServiceUnknown", name == "org.freedesktop.DBus.Error.NameHasNoOwner":
		e.problem = "nothing on the session bus offers " + service
	case name == errNotSupported:
		e.problem = service + " answers that it does not tell idle time on this desktop"
	case name == "org.freedesktop.DBus.Error.UnknownMethod", name == "org.freedesktop.DBus.Error.UnknownObject",
		name == "org.freedesktop.DBus.Error.UnknownInterface":
		e.problem = service + " is there but cannot tell idle time"
	case errors.Is(err, context.DeadlineExceeded):
		e.problem = service + " did not answer in time"
	default:
		e.problem = fmt.Sprintf("%s: %v", service, err)
	}
	return e
}

// notSupported tells KDE Plasma's answer on Wayland: its org.freedesktop.ScreenSaver refuses
// GetSessionIdleTime there (kscreenlocker's interface.cpp answers NotSupported).
func notSupported(err error) bool {
	var e *busError
	return errors.As(err, &e) && e.name == errNotSupported
}
