// Package app is Flamenco Tray's user interface.
package app

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
)

// Run starts the tray and blocks until ctx ends or the user quits.
func Run(ctx context.Context, logger zerolog.Logger, version string) error {
	return fmt.Errorf("the tray is not built yet in %s; use \"flamenco-tray discover --watch\"", version)
}
