package idle

import (
	"context"
	"strings"
	"time"
)

// openPlatform opens the first source that answers, and adds logind's lock screen where logind
// answers (without it, Locked stays false: idle time alone decides).
func openPlatform(ctx context.Context, s session) (Source, error) {
	kinds, err := choose(s)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, k := range kinds {
		var src Source
		var err error
		if k == x11 {
			src, err = openX11(s.display)
		} else {
			src, err = openBus(ctx, k)
		}
		if err != nil {
			problems = append(problems, err.Error())
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
	return nil, unavailable("%s", strings.Join(problems, "; "))
}
