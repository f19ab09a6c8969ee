package singleinstance

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestNamedObjectErr(t *testing.T) {
	t.Parallel()
	wrapped := func(n syscall.Errno) error { return fmt.Errorf("CreateMutex: %w", n) }
	failed := wrapped(1450) // ERROR_NO_SYSTEM_RESOURCES
	for _, tt := range []struct {
		err   error
		mutex bool
		want  error
	}{
		{nil, false, nil},
		{nil, true, nil},
		{wrapped(183), false, nil},     // ERROR_ALREADY_EXISTS: the owner's event, or one left behind
		{wrapped(183), true, errTaken}, // the owner's mutex
		{wrapped(5), false, errTaken},  // ERROR_ACCESS_DENIED: an elevated copy runs
		{wrapped(5), true, errTaken},
		{failed, false, failed},
		{failed, true, failed},
	} {
		if got := namedObjectErr(tt.err, tt.mutex); got != tt.want && !errors.Is(got, tt.want) {
			t.Errorf("namedObjectErr(%v, mutex %v) = %v, want %v", tt.err, tt.mutex, got, tt.want)
		}
	}
}
