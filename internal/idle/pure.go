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

// lockStateOf reads whether a WTSINFOEXW (level 1) says the session is locked: its SessionFlags,
// after Level (4 bytes), the union's padding to 8 (it holds LARGE_INTEGERs), SessionId and
// SessionState, is WTS_SESSIONSTATE_LOCK (0). Another level, a short buffer,
// WTS_SESSIONSTATE_UNLOCK (1) or WTS_SESSIONSTATE_UNKNOWN count as unlocked.
func lockStateOf(info []byte) bool {
	const flagsAt = 16
	return len(info) >= flagsAt+4 && binary.LittleEndian.Uint32(info) == 1 && binary.LittleEndian.Uint32(info[flagsAt:]) == 0
}
