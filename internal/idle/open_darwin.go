package idle

import (
	"context"
	"fmt"
	"os/exec"
)

// macSource reads IOKit's HIDIdleTime through ioreg, a process of a few milliseconds per poll:
// this package stays pure Go so that it is built and vetted everywhere (IOKit needs cgo). The
// lock screen is not read: Locked stays false, and idle time alone decides (the screen locks
// after some idle time anyway, and idle time keeps growing behind it).
type macSource struct{}

func openPlatform(ctx context.Context, _ session) (Source, error) {
	if _, err := (macSource{}).Read(ctx); err != nil {
		return nil, unavailable("%v", err)
	}
	return macSource{}, nil
}

func (macSource) Name() string { return "macOS (IOKit HIDIdleTime)" }

func (macSource) Read(ctx context.Context) (Reading, error) {
	// An absolute path, so that no other PATH entry is run.
	out, err := exec.CommandContext(ctx, "/usr/sbin/ioreg", "-c", "IOHIDSystem", "-d", "4", "-r", "-k", "HIDIdleTime").Output()
	if err != nil {
		return Reading{}, fmt.Errorf("ioreg cannot tell idle time: %v", err)
	}
	idle, err := parseHIDIdleTime(string(out))
	return Reading{Idle: idle}, err
}

func (macSource) Close() error { return nil }
