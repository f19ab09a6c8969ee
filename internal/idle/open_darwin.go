package idle

import (
	"context"
	"fmt"
	"os/exec"
)

// macSource reads IOKit's HIDIdleTime through ioreg (Fyne's cgo is there, but this package stays
// pure Go so that it is built and vetted everywhere). The lock screen is not read: Locked stays
// false, and idle time alone decides.
type macSource struct{ ioreg string }

func openPlatform(ctx context.Context, _ session) (Source, error) {
	path, err := exec.LookPath("ioreg")
	if err != nil {
		return nil, unavailable("ioreg is not on PATH: %v", err)
	}
	s := macSource{ioreg: path}
	if _, err := s.Read(ctx); err != nil {
		return nil, unavailable("%v", err)
	}
	return s, nil
}

func (macSource) Name() string { return "macOS (IOKit HIDIdleTime)" }

func (s macSource) Read(ctx context.Context) (Reading, error) {
	out, err := exec.CommandContext(ctx, s.ioreg, "-c", "IOHIDSystem", "-d", "4", "-r", "-k", "HIDIdleTime").Output()
	if err != nil {
		return Reading{}, fmt.Errorf("ioreg: %v", err)
	}
	idle, err := parseHIDIdleTime(string(out))
	return Reading{Idle: idle}, err
}

func (macSource) Close() error { return nil }
