//go:build !linux && !windows && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package idle

import (
	"context"
	"runtime"
)

func openPlatform(context.Context, session) (Source, error) {
	return nil, unavailable("not read on %s", runtime.GOOS)
}
