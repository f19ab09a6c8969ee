package idle

import (
	"context"
	"testing"
	"time"
)

// GetLastInputInfo and GetTickCount for real (run under Wine by make wine-smoke).
func TestWindowsIdleReads(t *testing.T) {
	src, err := Open(context.Background())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer src.Close()
	r, err := src.Read(context.Background())
	if err != nil || r.Idle < 0 || r.Idle > 50*24*time.Hour {
		t.Errorf("%q read %+v, %v", src.Name(), r, err)
	}
}
