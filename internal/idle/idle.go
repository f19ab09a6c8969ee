// Package idle reads how long the user of this desktop session has left the keyboard, mouse and
// tablet alone, and whether the screen is locked: one small Source per desktop, chosen by Open from
// the session's environment. Where idle cannot be read, Open says why, and the computer is never
// lent on a guess.
//
// How Open chooses (choose, open_*.go):
//   - Linux, WAYLAND_DISPLAY set: the compositor over the session bus, never Xwayland (it sees only
//     X programs' input). GNOME: org.gnome.Mutter.IdleMonitor GetIdletime (ms). KDE:
//     org.freedesktop.ScreenSaver GetSessionIdleTime (ms; Plasma on Wayland refuses it). Others:
//     both, in that order.
//   - Linux, only DISPLAY set: the X server's MIT-SCREEN-SAVER (ms), through a pure-Go X client.
//   - Linux, either: logind's LockedHint for this session (system bus) adds the lock screen where
//     logind answers; otherwise Locked comes from the compositor or stays false.
//   - Windows: GetLastInputInfo against GetTickCount (ms), and WTSSessionInfoEx's lock state.
//   - macOS: IOKit's HIDIdleTime (ns) as /usr/sbin/ioreg prints it; Locked stays false.
//   - The BSDs: X11 only. With neither DISPLAY nor WAYLAND_DISPLAY: ErrUnavailable.
package idle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Reading is what a Source tells about the user of this desktop session.
type Reading struct {
	Idle   time.Duration // since the last keyboard, mouse or tablet input
	Locked bool          // the session's screen is locked (a locked screen counts as away)
}

// Source reads the user's idleness in the desktop session this process runs in.
type Source interface {
	Read(ctx context.Context) (Reading, error) // must return within ctx, and quickly (it is polled every 250 ms)
	Name() string                              // for the log and the menu: "X11 (MIT-SCREEN-SAVER)", "GNOME (Mutter IdleMonitor)", ...
	Close() error                              // safe to call twice
}

// ErrUnavailable is wrapped by Open's error when idle cannot be read on this desktop; the error's
// text says why in words a user can act on (it is shown in the menu and the log).
var ErrUnavailable = errors.New("idle time cannot be read on this desktop")

// unavailable is an error wrapping ErrUnavailable that says why.
func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}

// Open finds the Source for the desktop session this process runs in, from its environment
// (DISPLAY, WAYLAND_DISPLAY, XDG_CURRENT_DESKTOP, XDG_SESSION_ID, DBUS_SESSION_BUS_ADDRESS), or
// returns an error wrapping ErrUnavailable. ctx bounds the opening only: the Source lives until Close.
func Open(ctx context.Context) (Source, error) { return openPlatform(ctx, sessionFromEnv()) }

// session is what the environment says of the desktop session.
type session struct {
	display, wayland, desktop, sessionID string
}

func sessionFromEnv() session {
	return session{display: os.Getenv("DISPLAY"), wayland: os.Getenv("WAYLAND_DISPLAY"),
		desktop: os.Getenv("XDG_CURRENT_DESKTOP"), sessionID: os.Getenv("XDG_SESSION_ID")}
}

// kind is a way of reading idle on a Unix desktop.
type kind string

const (
	x11         kind = "x11"
	mutter      kind = "mutter"       // GNOME's org.gnome.Mutter.IdleMonitor
	screenSaver kind = "screen-saver" // org.freedesktop.ScreenSaver (KDE and others)
)

// choose says which sources to try, in order, for a Unix desktop session. On Wayland the X server
// (Xwayland) sees only the input of X programs, so the compositor is asked instead.
func choose(s session) ([]kind, error) {
	switch {
	case s.wayland != "":
		desktop := strings.ToUpper(s.desktop)
		switch {
		case strings.Contains(desktop, "GNOME"):
			return []kind{mutter}, nil
		case strings.Contains(desktop, "KDE"):
			return []kind{screenSaver}, nil
		}
		return []kind{mutter, screenSaver}, nil
	case s.display != "":
		return []kind{x11}, nil
	}
	return nil, unavailable("no desktop session: neither DISPLAY nor WAYLAND_DISPLAY is set " +
		"(start Flamenco Tray from your desktop session, not over ssh or as a system service)")
}
