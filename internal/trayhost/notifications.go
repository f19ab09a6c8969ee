//go:build linux

package trayhost

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notification is one desktop notification an app sent.
type Notification struct {
	App, Summary, Body string
}

// Notifications plays a notification daemon: it owns org.freedesktop.Notifications on the session bus
// and records every Notify call.
type Notifications struct {
	conn *dbus.Conn
	mu   sync.Mutex
	got  []Notification
}

// NewNotifications claims org.freedesktop.Notifications on s's bus (the test fails if it is taken).
func NewNotifications(tb testing.TB, s *Session) *Notifications {
	tb.Helper()
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		tb.Fatalf("trayhost: connecting to session bus %s: %v", s.BusAddress, err)
	}
	tb.Cleanup(func() { conn.Close() })
	n := &Notifications{conn: conn}
	methods := map[string]interface{}{
		"Notify": func(app string, _ uint32, _, summary, body string, _ []string, _ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.got = append(n.got, Notification{App: app, Summary: summary, Body: body})
			return uint32(len(n.got)), nil
		},
		"GetCapabilities":   func() ([]string, *dbus.Error) { return []string{"body"}, nil },
		"CloseNotification": func(uint32) *dbus.Error { return nil },
		"GetServerInformation": func() (string, string, string, string, *dbus.Error) {
			return "trayhost", "flamenco-tray", "1", "1.2", nil
		},
	}
	if err := conn.ExportMethodTable(methods, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		tb.Fatalf("trayhost: exporting notifications: %v", err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		tb.Fatalf("trayhost: claiming org.freedesktop.Notifications: %v (reply %v)", err, reply)
	}
	return n
}

// All returns the notifications received so far, oldest first.
func (n *Notifications) All() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// Wait polls until cond holds for the notifications received, or ctx ends.
func (n *Notifications) Wait(ctx context.Context, cond func([]Notification) bool) ([]Notification, error) {
	for {
		got := n.All()
		if cond(got) {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("trayhost: waiting for a notification: %w (received %+v)", ctx.Err(), got)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
