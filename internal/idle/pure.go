package idle

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// sinceTick is the time between two readings of Windows' millisecond tick count, which wraps every
// 49.7 days: unsigned subtraction gives the right answer across the wrap.
func sinceTick(now, last uint32) time.Duration {
	return time.Duration(now-last) * time.Millisecond
}

var hidIdleTime = regexp.MustCompile(`"HIDIdleTime"\s*=\s*(\d+)`)

// parseHIDIdleTime reads IOKit's HIDIdleTime (nanoseconds) from `ioreg -c IOHIDSystem` output.
func parseHIDIdleTime(out string) (time.Duration, error) {
	m := hidIdleTime.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("ioreg printed no HIDIdleTime")
	}
	ns, err := strconv.ParseUint(m[1], 10, 63)
	if err != nil {
		return 0, fmt.Errorf("HIDIdleTime %q: %w", m[1], err)
	}
	return time.Duration(ns), nil
}
