//go:build linux

package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/assets"
)

const (
	notificationsName  = "org.freedesktop.Notifications"
	notificationsPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyCallTimeout  = 5 * time.Second
	maxClickableNotice = 50 // the clicks remembered; older notifications are long gone from screen
)

// errNoClicks says the desktop's notification daemon cannot report clicks: use Fyne's notifications.
var errNoClicks = errors.New("the notification daemon does not support actions")

// errUnsent says the notification was certainly not shown (no bus, no daemon, refused): send it
// another way. Other errors (a daemon that did not answer in time) may have shown it.
var errUnsent = errors.New("notification not sent")

// clickNotifier sends desktop notifications that open something when clicked (the Desktop
// Notifications spec's "default" action, which GNOME, KDE and Xfce run on a click). Fyne's own
// notifications have no actions. It uses a session bus connection of its own, as the daemon may
// send ActionInvoked only to the connection that sent the notification.
//
// It is written on godbus rather than on github.com/esiqveland/notify (v0.13.3, the latest; v0.11.0
// alike), which would delete little and lose what matters here:
//   - notify's Notifier hands its handlers ActionInvokedSignal{ID, ActionKey} and
//     NotificationClosedSignal{ID, Reason}: the signal's sender is dropped, and its match rule has
//     no sender, so a click cannot be checked to come from the daemon that showed the notification
//     (any program on the bus could forge one; see TestClickNotifierRunsTheClickOfItsDaemonOnly).
//   - Its signal loop reads Body[0].(uint32) and Body[1] unchecked: a malformed signal from any
//     program on the bus panics that goroutine, and with it the tray.
//   - Its calls (Notify, GetCapabilities) take no context: no notifyCallTimeout, no end at quit.
//
// Its package functions alone (SendNotification, GetCapabilities) would replace two calls of a few
// lines each, keeping this signal loop, and drop the timeout: no code saved worth a dependency.
//
// Concurrency: the fields below mu are guarded by mu; run, one goroutine, owns the connection and
// reads its signals; notify may be called from any goroutine and waits for the daemon.
type clickNotifier struct {
	log     zerolog.Logger
	appName string
	icon    func() string // the icon's file, written on first use
	ready   chan struct{} // closed once run is connected

	mu     sync.Mutex
	conn   *dbus.Conn
	canAct *bool // nil until the daemon was asked
	clicks map[uint32]clickable
	order  []uint32
}

// clickable is what a notification's click does, and the daemon that showed it: a click is taken
// only from that daemon's connection, not from any program on the bus, nor from a daemon started
// since (which numbers its notifications anew).
type clickable struct {
	daemon  string // its unique bus name
	onClick func()
}

func newClickNotifier(log zerolog.Logger, appName string, icon func() string) *clickNotifier {
	return &clickNotifier{log: log, appName: appName, icon: icon, ready: make(chan struct{}), clicks: map[uint32]clickable{}}
}

// run follows the daemon's signals until ctx ends, then closes the connection. A notifier whose run
// has not started (or has ended) sends nothing: notify returns an error.
func (c *clickNotifier) run(ctx context.Context) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		c.log.Info().Err(err).Msg("no session bus: notifications cannot be clicked")
		return
	}
	defer conn.Close()
	if err := conn.AddMatchSignal(dbus.WithMatchSender(notificationsName), dbus.WithMatchObjectPath(notificationsPath),
		dbus.WithMatchInterface(notificationsName)); err != nil {
		c.log.Warn().Err(err).Msg("cannot follow notification clicks")
		return
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	close(c.ready)
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-signals:
			if !ok {
				return
			}
			c.handle(s)
		}
	}
}

func (c *clickNotifier) handle(s *dbus.Signal) {
	if len(s.Body) < 2 {
		return
	}
	id, ok := s.Body[0].(uint32)
	if !ok {
		return
	}
	switch s.Name {
	case notificationsName + ".ActionInvoked":
		if key, _ := s.Body[1].(string); key != "default" {
			return
		}
		c.mu.Lock()
		click, ok := c.clicks[id]
		c.mu.Unlock()
		if ok && click.daemon == s.Sender {
			click.onClick()
		}
	case notificationsName + ".NotificationClosed":
		c.mu.Lock()
		click, ok := c.clicks[id]
		c.mu.Unlock()
		if ok && click.daemon == s.Sender {
			c.forget(id)
		}
	}
}

// notify shows a notification; a click on it runs onClick. errNoClicks or errUnsent: it was not
// shown, send it another way.
func (c *clickNotifier) notify(ctx context.Context, title, body string, onClick func()) error {
	c.mu.Lock()
	conn, canAct := c.conn, c.canAct
	c.mu.Unlock()
	if conn == nil {
		return fmt.Errorf("%w: not connected to the session bus", errUnsent)
	}
	ctx, cancel := context.WithTimeout(ctx, notifyCallTimeout)
	defer cancel()
	var daemonName string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, notificationsName).Store(&daemonName); err != nil {
		// No daemon now (none runs, or it starts on demand and has not yet): Fyne's call starts one.
		return fmt.Errorf("%w: no notification daemon: %v", errUnsent, err)
	}
	daemon := conn.Object(notificationsName, notificationsPath)
	if canAct == nil {
		// Asked once a daemon answers: it may start after the tray.
		var caps []string
		if err := daemon.CallWithContext(ctx, notificationsName+".GetCapabilities", 0).Store(&caps); err != nil {
			return fmt.Errorf("%w: asking the notification daemon what it supports: %v", errUnsent, err)
		}
		can := slices.Contains(caps, "actions")
		c.mu.Lock()
		c.canAct = &can
		c.mu.Unlock()
		canAct = &can
		c.log.Debug().Strs("capabilities", caps).Msg("notification daemon")
	}
	if !*canAct {
		return errNoClicks
	}
	var id uint32
	err := daemon.CallWithContext(ctx, notificationsName+".Notify", 0, c.appName, uint32(0), c.icon(), title, body,
		[]string{"default", "Open"}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	var refused dbus.Error
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("%w: the notification daemon refused it: %v", errUnsent, err)
	case err != nil:
		return fmt.Errorf("sending a notification (it may still show): %w", err)
	}
	c.remember(id, clickable{daemon: daemonName, onClick: onClick})
	return nil
}

func (c *clickNotifier) remember(id uint32, click clickable) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.clicks[id]; !ok {
		c.order = append(c.order, id)
	}
	c.clicks[id] = click
	for len(c.order) > maxClickableNotice {
		delete(c.clicks, c.order[0])
		c.order = c.order[1:]
	}
}

// remembered is how many notifications' clicks are remembered: those shown and not yet closed.
func (c *clickNotifier) remembered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.clicks)
}

func (c *clickNotifier) forget(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.clicks[id]; !ok {
		return
	}
	delete(c.clicks, id)
	c.order = slices.DeleteFunc(c.order, func(x uint32) bool { return x == id })
}

// notificationIcon writes the app's icon where the notification daemon can read it, once, and
// returns its path ("" when it cannot be written: the daemon shows its default).
var notificationIcon = sync.OnceValue(func() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "flamenco-tray")
	path := filepath.Join(dir, "notification-icon.png")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	if err := os.WriteFile(path, assets.AppIcon.Content(), 0o600); err != nil {
		return ""
	}
	return path
})
