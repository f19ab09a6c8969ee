package singleinstance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

// dbusClaim is a well-known name on the session bus, requested with DoNotQueue: the bus gives it to
// one connection and drops it when that connection ends, however its process ended.
type dbusClaim struct {
	id      string
	address string
	conn    *dbus.Conn // opened by own, closed by release or close
}

// objectPath is where the owner exports Activate: the id with dots as slashes.
func objectPath(id string) dbus.ObjectPath {
	return dbus.ObjectPath("/" + strings.ReplaceAll(id, ".", "/"))
}

func (c *dbusClaim) means() string { return "D-Bus name " + c.id }

func (c *dbusClaim) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

func (c *dbusClaim) own(show chan<- struct{}) (func() error, error) {
	if c.conn == nil {
		if c.address == "" {
			return nil, fmt.Errorf("%w: no D-Bus session bus", errUnavailable)
		}
		// A private connection: Fyne shares dbus.SessionBus(), and closing this one releases the name.
		conn, err := dbus.Connect(c.address)
		if err != nil {
			return nil, fmt.Errorf("%w: D-Bus session bus: %w", errUnavailable, err)
		}
		c.conn = conn
	}
	// Exported before the name is requested, so that Activate is there as soon as the name is ours.
	activate := func() *dbus.Error { requestShow(show); return nil }
	if err := c.conn.ExportMethodTable(map[string]any{"Activate": activate}, objectPath(c.id), c.id); err != nil {
		return nil, err
	}
	reply, err := c.conn.RequestName(c.id, dbus.NameFlagDoNotQueue)
	if err != nil {
		return nil, fmt.Errorf("request D-Bus name %s: %w", c.id, err)
	}
	if err := requestNameOutcome(reply); err != nil {
		return nil, err
	}
	conn := c.conn
	c.conn = nil
	return conn.Close, nil
}

// requestNameOutcome says what a reply to RequestName with DoNotQueue means.
func requestNameOutcome(reply dbus.RequestNameReply) error {
	switch reply {
	case dbus.RequestNameReplyPrimaryOwner, dbus.RequestNameReplyAlreadyOwner:
		return nil
	case dbus.RequestNameReplyExists:
		return errTaken
	default:
		return fmt.Errorf("unexpected RequestName reply %d", reply)
	}
}

func (c *dbusClaim) activate(ctx context.Context) error {
	call := c.conn.Object(c.id, objectPath(c.id)).CallWithContext(ctx, c.id+".Activate", 0)
	return activateOutcome(call.Err)
}

// activateOutcome says what the error of an Activate call means: the name has no owner any more
// (it exited after RequestName said Exists), or something else answered, or nothing in time.
func activateOutcome(err error) error {
	var e dbus.Error // godbus hands a reply's error over as a dbus.Error value
	if errors.As(err, &e) && (e.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || e.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
		return fmt.Errorf("%w: %w", errNoOwner, err)
	}
	return err
}

// newDBusClaim is the D-Bus claim of id on this session's bus.
func newDBusClaim(id string) *dbusClaim {
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }
	return &dbusClaim{id: id, address: sessionBusAddress(os.Getenv, exists)}
}

// platformClaims: the session bus's name where there is a session bus, else the lock and socket.
func platformClaims(id string) []claim {
	return []claim{newDBusClaim(id), newLockClaim(id)}
}
