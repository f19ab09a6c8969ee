package idle

import (
	"encoding/binary"
	"fmt"
	"math"
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
// Where several entries print one, the smallest counts: the most recent input of any of them.
func parseHIDIdleTime(out string) (time.Duration, error) {
	matches := hidIdleTime.FindAllStringSubmatch(out, -1)
	if matches == nil {
		return 0, fmt.Errorf("ioreg printed no HIDIdleTime")
	}
	least := uint64(math.MaxInt64)
	for _, m := range matches {
		ns, err := strconv.ParseUint(m[1], 10, 63)
		if err != nil {
			return 0, fmt.Errorf("HIDIdleTime %q: %w", m[1], err)
		}
		least = min(least, ns)
	}
	return time.Duration(least), nil
}

// lockStateOf reads the lock state from a WTSINFOEXW (level 1): its SessionFlags, after Level (4
// bytes), the union's padding to 8 (it holds LARGE_INTEGERs), SessionId and SessionState. known
// is false for another level, a short buffer or WTS_SESSIONSTATE_UNKNOWN.
func lockStateOf(info []byte) (locked, known bool) {
	const (
		flagsAt = 16
		lock    = 0 // WTS_SESSIONSTATE_LOCK
		unlock  = 1 // WTS_SESSIONSTATE_UNLOCK
	)
	if len(info) < flagsAt+4 || binary.LittleEndian.Uint32(info) != 1 {
		return false, false
	}
	switch binary.LittleEndian.Uint32(info[flagsAt:]) {
	case lock:
		return true, true
	case unlock:
		return false, true
	}
	return false, false
}
