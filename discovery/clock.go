package discovery

import "github.com/flamenco-tray/flamenco-tray/internal/clock"

// Clock, Timer and SystemClock are internal/clock's, for the packages not yet moved to it.
type (
	Clock       = clock.Clock
	Timer       = clock.Timer
	SystemClock = clock.System
)
