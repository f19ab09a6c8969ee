package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// trayHostName is the D-Bus name of the StatusNotifierWatcher, which a panel that shows tray icons
// owns. GNOME has none without the AppIndicator extension; Fyne's tray then shows nothing.
const trayHostName = "org.kde.StatusNotifierWatcher"

// watchTrayHost calls hostUp with whether a tray host is on the session bus, now and at each
// change, until ctx ends (nil) or the bus cannot be followed (an error: no host can come then). It
// uses a connection of its own: Fyne's tray stops following the shared one at a signal it does not
// expect.
func watchTrayHost(ctx context.Context, hostUp func(up bool)) error {
	// Match first, then ask: a host that comes between the two is not missed.
	conn, signals, err := sessionSignals("tray hosts", dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchObjectPath("/org/freedesktop/DBus"), dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, trayHostName))
	if err != nil {
		return err
	}
	defer conn.Close()
	var up bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, trayHostName).Store(&up); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("cannot ask D-Bus for a tray host: %w", err)
	}
	hostUp(up)
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig, ok := <-signals:
			if !ok || sig == nil {
				return errors.New("the D-Bus session bus closed the connection")
			}
			if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
				continue
			}
			name, _ := sig.Body[0].(string)
			newOwner, _ := sig.Body[2].(string)
			if name != trayHostName || (newOwner != "") == up {
				continue // another name, or one host handing over to the next
			}
			up = newOwner != ""
			hostUp(up)
		}
	}
}

// sessionSignals connects to the session bus on a connection of its own and follows the signals
// that match: what, for the error that says it cannot (errCannotFollow).
func sessionSignals(what string, match ...dbus.MatchOption) (*dbus.Conn, <-chan *dbus.Signal, error) {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return nil, nil, fmt.Errorf("no D-Bus session bus: %w", err)
	}
	if err = conn.Auth(nil); err == nil {
		err = conn.Hello()
	}
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("D-Bus session bus refused us: %w", err)
	}
	if err := conn.AddMatchSignal(match...); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("%w %s on D-Bus: %v", errCannotFollow, what, err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	return conn, signals, nil
}

var errCannotFollow = errors.New("cannot follow")
