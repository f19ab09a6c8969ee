//go:build !linux

package app

import (
	"context"
	"errors"

	"github.com/rs/zerolog"
)

// errNoClicks: on Windows and macOS the notifications are Fyne's, which cannot report a click.
var errNoClicks = errors.New("notifications cannot be clicked here")

// errUnsent: never returned here; see the Linux notifier.
var errUnsent = errors.New("notification not sent")

type clickNotifier struct{}

func newClickNotifier(zerolog.Logger, string, func() string) *clickNotifier { return &clickNotifier{} }

func (*clickNotifier) run(context.Context) {}

func (*clickNotifier) notify(context.Context, string, string, func()) error { return errNoClicks }

func notificationIcon() string { return "" }
