package singleinstance

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestWindowsDecision(t *testing.T) {
	t.Parallel()
	wrapped := func(n syscall.Errno) error { return fmt.Errorf("CreateMutex: %w", n) }
	outcomes := map[error]namedObject{
		nil:                      objectCreated,
		wrapped(183):             objectExisted, // ERROR_ALREADY_EXISTS
		wrapped(5):               objectDenied,  // ERROR_ACCESS_DENIED
		wrapped(1450):            objectFailed,  // ERROR_NO_SYSTEM_RESOURCES
		errors.New("some other"): objectFailed,
	}
	for err, want := range outcomes {
		if got := namedObjectOutcome(err); got != want {
			t.Errorf("namedObjectOutcome(%v) = %d, want %d", err, got, want)
		}
	}
	for _, tt := range []struct {
		event, mutex namedObject
		want         error
	}{
		{objectCreated, objectCreated, nil},
		{objectExisted, objectCreated, nil}, // a launch that has just ended left its event: still ours
		{objectExisted, objectExisted, errTaken},
		{objectCreated, objectExisted, errTaken},
		{objectExisted, objectDenied, errTaken}, // an elevated copy runs
		{objectDenied, objectCreated, errTaken},
		{objectExisted, objectFailed, errFailed},
		{objectFailed, objectCreated, errFailed},
	} {
		if got := windowsDecision(tt.event, tt.mutex); !errors.Is(got, tt.want) || (tt.want == nil) != (got == nil) {
			t.Errorf("windowsDecision(%d, %d) = %v, want %v", tt.event, tt.mutex, got, tt.want)
		}
	}
}
