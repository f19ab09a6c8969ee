//go:build linux

package app

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// startClickNotifier runs a clickNotifier on session's bus until the test ends.
func startClickNotifier(t *testing.T, session *trayhost.Session) *clickNotifier {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", session.BusAddress)
	c := newClickNotifier(zerolog.New(zerolog.NewTestWriter(t)), "org.flamenco.tray", func() string { return "/icon.png" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-c.ready:
		return c
	case <-done:
		t.Fatal("the notifier could not connect to the session bus")
	case <-time.After(10 * time.Second):
		t.Fatal("the notifier never connected to the session bus")
	}
	return nil
}

// A click on the notification runs its action, once; an ActionInvoked sent by another program on the
// bus does nothing.
func TestClickNotifierRunsTheClickOfItsDaemonOnly(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session)
	c := startClickNotifier(t, session)
	var clicks atomic.Int32
	if err := c.notify(context.Background(), "Job failed", "“shot-010” on Studio Farm", func() { clicks.Add(1) }); err != nil {
		t.Fatal(err)
	}
	sent := daemon.All()
	if len(sent) != 1 || sent[0].Summary != "Job failed" || sent[0].App != "org.flamenco.tray" || sent[0].Icon != "/icon.png" ||
		len(sent[0].Actions) != 2 || sent[0].Actions[0] != "default" {
		t.Fatalf("sent %+v", sent)
	}

	// Another program forges the click, addressed to the notifier's connection.
	forger, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	forged := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:        dbus.MakeVariant(notificationsPath),
		dbus.FieldInterface:   dbus.MakeVariant(notificationsName),
		dbus.FieldMember:      dbus.MakeVariant("ActionInvoked"),
		dbus.FieldDestination: dbus.MakeVariant(sent[0].Sender),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(sent[0].ID, "default")),
	}, Body: []interface{}{sent[0].ID, "default"}}
	if call := forger.Send(forged, nil); call.Err != nil {
		t.Fatal(call.Err)
	}
	// The bus handles a connection's messages in order: once it answered this call, the forged
	// signal is on its way to the notifier, ahead of the daemon's click.
	if err := forger.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
		t.Fatal(err)
	}
	if err := daemon.Click(sent[0].ID); err != nil {
		t.Fatal(err)
	}
	// The click closes the notification: once it is forgotten, the notifier has read the forged
	// click and the daemon's, in that order.
	deadline := time.Now().Add(10 * time.Second)
	for c.remembered() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d clicks remembered after the notification closed", c.remembered())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := clicks.Load(); n != 1 {
		t.Errorf("%d clicks run, want the daemon's one", n)
	}
}

// A daemon without actions gets nothing from the notifier: the tray sends Fyne's notification.
func TestClickNotifierLeavesADaemonWithoutActionsToFyne(t *testing.T) {
	session := trayhost.StartSession(t)
	daemon := trayhost.NewNotifications(t, session, trayhost.WithoutActions())
	c := startClickNotifier(t, session)
	err := c.notify(context.Background(), "Job failed", "x", func() {})
	if !errors.Is(err, errNoClicks) {
		t.Errorf("notify: %v, want errNoClicks", err)
	}
	if sent := daemon.All(); len(sent) != 0 {
		t.Errorf("sent %+v", sent)
	}
}

// Without a notification daemon the notification is certainly not shown: errUnsent.
func TestClickNotifierWithoutADaemon(t *testing.T) {
	session := trayhost.StartSession(t)
	c := startClickNotifier(t, session)
	if err := c.notify(context.Background(), "Job failed", "x", func() {}); !errors.Is(err, errUnsent) {
		t.Errorf("notify: %v, want errUnsent", err)
	}
}
