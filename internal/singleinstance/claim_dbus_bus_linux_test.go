package singleinstance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

const testID = "org.flamenco.tray"

func acquireOnBus(t *testing.T, address string) (*Instance, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return acquire(ctx, []claim{&dbusClaim{id: testID, address: address}})
}

// Through a real session bus (a private dbus-daemon): the first owns the name, the second hands
// over, and once the first's connection is gone (as when it is killed) the next owns it.
func TestDBusSecondAttemptHandsOver(t *testing.T) {
	session := trayhost.StartSession(t)
	first, err := acquireOnBus(t, session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	start := time.Now()
	if _, err := acquireOnBus(t, session.BusAddress); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second attempt: %v, want ErrAlreadyRunning", err)
	}
	t.Logf("handed over in %v", time.Since(start))
	select {
	case <-first.ShowRequests():
	case <-time.After(time.Second):
		t.Fatal("the first was not asked to show itself")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := acquireOnBus(t, session.BusAddress)
	if err != nil {
		t.Fatalf("after the owner's connection ended: %v", err)
	}
	next.Close()
}

// A name held by something that does not answer Activate is not taken over, nor waited for.
func TestDBusNameHeldByAnotherProgram(t *testing.T) {
	session := trayhost.StartSession(t)
	conn, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if reply, err := conn.RequestName(testID, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatal(reply, err)
	}
	if _, err := acquireOnBus(t, session.BusAddress); !errors.Is(err, ErrNotAnswering) {
		t.Errorf("with the name held by another program: %v, want ErrNotAnswering", err)
	}
}

func TestDBusWithoutBusFallsThrough(t *testing.T) {
	t.Parallel()
	_, err := (&dbusClaim{id: testID}).own(make(chan struct{}, 1))
	if !errors.Is(err, errUnavailable) {
		t.Errorf("without a bus: %v, want errUnavailable (the lock decides)", err)
	}
}

// The owner of the D-Bus name holds the lock too, so a launch that cannot reach the bus (a stale
// DBUS_SESSION_BUS_ADDRESS inside tmux, su) hands over through the socket instead of starting a
// second copy.
func TestALaunchWithoutTheBusFindsTheOwnerOfTheName(t *testing.T) {
	session := trayhost.StartSession(t)
	lock := &lockClaim{paths: lockPathsFor(testID, t.TempDir(), "", 0, "")}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	first, err := acquire(ctx, []claim{&dbusClaim{id: testID, address: session.BusAddress}, lock})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	withoutBus := &dbusClaim{id: testID, address: "unix:path=" + t.TempDir() + "/no-bus"}
	if _, err := acquire(ctx, []claim{withoutBus, &lockClaim{paths: lock.paths}}); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("a launch without the bus: %v, want ErrAlreadyRunning (handed over through the lock's socket)", err)
	}
	select {
	case <-first.ShowRequests():
	case <-time.After(time.Second):
		t.Fatal("the owner was not asked to show itself")
	}
}

// A tray that holds the name but hangs (its Activate never returns) is not waited for beyond the
// launch's deadline, and no second copy starts.
func TestDBusHungOwnerIsNotWaitedFor(t *testing.T) {
	session := trayhost.StartSession(t)
	conn, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	release := make(chan struct{})
	defer close(release)
	hang := func() *dbus.Error { <-release; return nil }
	if err := conn.ExportMethodTable(map[string]any{"Activate": hang}, objectPath(testID), testID); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(testID, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatal(reply, err)
	}
	start := time.Now()
	_, err = acquireOnBus(t, session.BusAddress) // a deadline of 1 s
	took := time.Since(start)
	if !errors.Is(err, ErrNotAnswering) {
		t.Errorf("with a hung owner: %v, want ErrNotAnswering", err)
	}
	// Waiting for the hung Activate would never end: it returns only when this test does.
	t.Logf("gave up on the hung owner after %v", took)
}
