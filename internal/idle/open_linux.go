package idle

import (
	"context"
	"time"
)

// openPlatform opens the first source that answers, and adds logind's lock screen where logind
// answers (without it, Locked stays false: idle time alone decides, and a lock is not seen).
func openPlatform(ctx context.Context, s session) (Source, error) {
	kinds, err := choose(s)
	if err != nil {
		return nil, err
	}
	var problems []error
	for _, k := range kinds {
		src, err := openKind(ctx, k, s)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		lockCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		lock, err := openLogindLock(lockCtx, s.sessionID)
		cancel()
		if err != nil {
			return src, nil
		}
		return withLock{Source: src, lock: lock}, nil
	}
	return nil, unavailableOn(s, problems)
}

func openKind(ctx context.Context, k kind, s session) (Source, error) {
	switch k {
	case x11:
		return openX11(ctx, s.display)
	case mutter:
		return openBus(ctx, mutterIdleMonitor)
	default:
		return openBus(ctx, freedesktopScreenSaver)
	}
}
