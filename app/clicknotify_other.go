//go:build !linux && !windows

package app

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
)

// fyneNotices leaves every notification to Fyne, which on macOS (2.7.1, app/app_darwin.m) sends a
// title and a body only: the frame is left out, and a click does nothing.
type fyneNotices struct{}

func newNoticeSender(zerolog.Logger, string) noticeSender { return fyneNotices{} }

func (fyneNotices) run(context.Context) {}

func (fyneNotices) notify(context.Context, desktopNotice) error {
	return fmt.Errorf("%w: notifications here are Fyne's", errUnsent)
}
