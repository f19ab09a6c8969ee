//go:build !linux && !windows

package app

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
)

// fyneNotices leaves every notification to Fyne. On macOS Fyne 2.7.1 sends a UNNotificationRequest
// with a title and a body only (app/app_darwin.m), or, for an app outside a bundle, AppleScript's
// "display notification", which takes no image: the frame is left out, and a click does nothing.
type fyneNotices struct{}

func newNoticeSender(zerolog.Logger, string) noticeSender { return fyneNotices{} }

func (fyneNotices) run(context.Context) {}

func (fyneNotices) notify(context.Context, desktopNotice) error {
	return fmt.Errorf("%w: notifications here are Fyne's", errUnsent)
}
