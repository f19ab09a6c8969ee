//go:build linux

package trayhost

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// ConnectItem returns the StatusNotifierItem that service exports at path on s's bus, read through
// a connection of its own that is closed when the test ends. It is for tests in which a real panel,
// not a Panel, owns the watcher: the item can be read and clicked whoever hosts it.
func ConnectItem(tb testing.TB, s *Session, service string, path dbus.ObjectPath) *Item {
	tb.Helper()
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		tb.Fatalf("trayhost: connecting to session bus %s: %v", s.BusAddress, err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &Item{Service: service, Path: path, conn: conn}
}

// WaitName waits until name has an owner on s's bus, e.g. a service started by the test that
// claims its name once it is ready.
func (s *Session) WaitName(ctx context.Context, name string) error {
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		return fmt.Errorf("trayhost: connecting to session bus %s: %w", s.BusAddress, err)
	}
	defer conn.Close()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		var owned bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned); err == nil && owned {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("trayhost: nobody owns %s on the session bus: %w", name, context.Cause(ctx))
		case <-ticker.C:
		}
	}
}
