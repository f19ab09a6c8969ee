// Package app is Flamenco Tray's user interface. Until the tray lands, Run browses headless and logs
// what it finds, so that `make run` already shows discovery working.
package app

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// Run browses for Managers and logs each change until ctx ends.
func Run(ctx context.Context, logger zerolog.Logger, version string) error {
	logger.Info().Str("version", version).Msg("Flamenco Tray: the tray menu is not built yet; listing Managers in this log (Ctrl+C to quit)")
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: logger})
	return browser.Run(ctx)
}
