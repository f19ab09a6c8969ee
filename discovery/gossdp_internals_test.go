package discovery

import (
	"errors"
	"runtime"
	"testing"
)

// TestGossdpLayoutIsTheOnePinned fails when gossdp's unexported fields, which stopping a Server cleanly
// relies on, are missing or changed type: the dependency changed under us.
func TestGossdpLayoutIsTheOnePinned(t *testing.T) {
	t.Parallel()
	err := checkGossdpLayout()
	if runtime.GOOS == "windows" {
		// Its Windows socket is a raw handle: the Server stops with gossdp's own Stop there.
		if !errors.Is(err, errGossdpLayout) {
			t.Fatalf("checkGossdpLayout on Windows = %v, want errGossdpLayout", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("gossdp changed under us; Server can no longer make ssdp:byebye its last word: %v", err)
	}
}
