package singleinstance

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/godbus/dbus/v5"
)

func TestRequestNameOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply dbus.RequestNameReply
		want  error
	}{
		{dbus.RequestNameReplyPrimaryOwner, nil},
		{dbus.RequestNameReplyAlreadyOwner, nil},
		{dbus.RequestNameReplyExists, errTaken},
	}
	for _, tt := range tests {
		if got := requestNameOutcome(tt.reply); !errors.Is(got, tt.want) || (tt.want == nil) != (got == nil) {
			t.Errorf("reply %d: %v, want %v", tt.reply, got, tt.want)
		}
	}
	// Queued cannot happen with DoNotQueue; if it did, this process is not the owner.
	if err := requestNameOutcome(dbus.RequestNameReplyInQueue); err == nil || errors.Is(err, errTaken) {
		t.Errorf("in queue: %v, want an error of its own", err)
	}
}

func TestActivateOutcome(t *testing.T) {
	t.Parallel()
	gone := dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}
	noOwner := fmt.Errorf("call: %w", dbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"})
	other := dbus.Error{Name: "org.freedesktop.DBus.Error.UnknownMethod"}
	tests := []struct {
		err       error
		noOwner   bool
		succeeded bool
	}{
		{nil, false, true},
		{gone, true, false},
		{noOwner, true, false},
		{other, false, false}, // something else owns the name: not ours to take
		{context.DeadlineExceeded, false, false},
	}
	for _, tt := range tests {
		got := activateOutcome(tt.err)
		if errors.Is(got, errNoOwner) != tt.noOwner || (got == nil) != tt.succeeded {
			t.Errorf("%v: %v", tt.err, got)
		}
	}
	if objectPath("org.flamenco.tray") != "/org/flamenco/tray" {
		t.Errorf("object path %q", objectPath("org.flamenco.tray"))
	}
}
