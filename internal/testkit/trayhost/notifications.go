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
	ID                 uint32
	App, Summary, Body string
	Icon               string
	// Actions are the action keys and labels, in pairs, as sent ("default" is a click on it).
	Actions []string
	Sender  string // the unique bus name of the connection that sent it
}

// Notifications plays a notification daemon: it owns org.freedesktop.Notifications on the session bus,
// says it supports actions (as GNOME's, KDE's and Xfce's daemons do), records every Notify call, and
// clicks a notification on request.
type Notifications struct {
	conn *dbus.Conn
	mu   sync.Mutex
	got  []Notification
}

// NotificationsOption changes what the daemon says it supports.
type NotificationsOption func(*[]string)

// WithoutActions plays a daemon that cannot report clicks (no "actions" capability).
func WithoutActions() NotificationsOption {
	return func(caps *[]string) { *caps = slices.DeleteFunc(*caps, func(c string) bool { return c == "actions" }) }
}

// NewNotifications claims org.freedesktop.Notifications on s's bus (the test fails if it is taken).
func NewNotifications(tb testing.TB, s *Session, opts ...NotificationsOption) *Notifications {
	tb.Helper()
	caps := []string{"body", "actions"}
	for _, opt := range opts {
		opt(&caps)
	}
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		tb.Fatalf("trayhost: connecting to session bus %s: %v", s.BusAddress, err)
	}
	tb.Cleanup(func() { conn.Close() })
	n := &Notifications{conn: conn}
	methods := map[string]interface{}{
		"Notify": func(sender dbus.Sender, app string, _ uint32, icon, summary, body string, actions []string, _ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			id := uint32(len(n.got) + 1)
			n.got = append(n.got, Notification{ID: id, App: app, Summary: summary, Body: body, Icon: icon,
				Actions: slices.Clone(actions), Sender: string(sender)})
			return id, nil
		},
		"GetCapabilities":   func() ([]string, *dbus.Error) { return slices.Clone(caps), nil },
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

// Click does what a daemon does when the user clicks notification id: it emits ActionInvoked with
// "default" to the connection that sent it (as GNOME Shell does; a broadcast would reach it too),
// then NotificationClosed (reason 2, dismissed by the user).
func (n *Notifications) Click(id uint32) error {
	n.mu.Lock()
	var sender string
	for _, got := range n.got {
		if got.ID == id {
			sender = got.Sender
		}
	}
	n.mu.Unlock()
	if sender == "" {
		return fmt.Errorf("trayhost: no notification %d", id)
	}
	for _, signal := range []struct {
		member string
		body   []interface{}
	}{{"ActionInvoked", []interface{}{id, "default"}}, {"NotificationClosed", []interface{}{id, uint32(2)}}} {
		msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/Notifications")),
			dbus.FieldInterface:   dbus.MakeVariant("org.freedesktop.Notifications"),
			dbus.FieldMember:      dbus.MakeVariant(signal.member),
			dbus.FieldDestination: dbus.MakeVariant(sender),
		}, Body: signal.body}
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(signal.body...))
		call := n.conn.Send(msg, nil)
		if call.Err != nil {
			return fmt.Errorf("trayhost: emitting %s: %w", signal.member, call.Err)
		}
	}
	return nil
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
