//go:build !linux

package app

import "context"

// watchTrayHost: macOS and Windows always have a tray (the menu bar, the notification area).
func watchTrayHost(ctx context.Context, hostUp func(up bool)) error {
	hostUp(true)
	<-ctx.Done()
	return nil
}
