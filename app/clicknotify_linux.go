//go:build linux

package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/rs/zerolog"
)

const (
	notificationsName  = "org.freedesktop.Notifications"
	notificationsPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyCallTimeout  = 5 * time.Second
	maxClickableNotice = 50 // the clicks remembered; older notifications are long gone from screen
)

func newNoticeSender(log zerolog.Logger, appID string) noticeSender {
	return newClickNotifier(log, appID, notificationIcon)
}

// clickNotifier sends desktop notifications that open something when clicked (the spec's "default"
// action) and show the frame ("image-data", the hint GNOME Shell, Plasma and xfce4-notifyd read
// first): Fyne's have neither. Its own bus connection gets ActionInvoked, which the daemon may send
// only to the sender. It is on godbus, not esiqveland/notify (v0.13.3), whose signal handlers drop
// the sender (a click could be forged), panic on a malformed signal, and take no context.
//
// Concurrency: the fields below mu are guarded by mu, which is never held during a call on the bus
// or a click; run, one goroutine, owns the connection and reads its signals; notify may be called
// from any goroutine and waits for the daemon.
type clickNotifier struct {
	log   zerolog.Logger
	appID string        // its desktop file's name, without .desktop
	icon  func() string // the icon's file, written on first use

	mu     sync.Mutex
	conn   *dbus.Conn
	canAct *bool // nil until the daemon was asked
	clicks map[uint32]clickable
	order  []uint32
}

// clickable is what a notification's click does, and the daemon that showed it: a click is taken
// only from that daemon, not from any program on the bus, nor from a daemon started since.
type clickable struct {
	daemon  string // its unique bus name
	onClick func()
}

func newClickNotifier(log zerolog.Logger, appID string, icon func() string) *clickNotifier {
	return &clickNotifier{log: log, appID: appID, icon: icon, clicks: map[uint32]clickable{}}
}

// imageData is the Desktop Notifications spec's image-data hint, (iiibiiay) on the bus.
type imageData struct {
	Width, Height, RowStride int32
	HasAlpha                 bool
	BitsPerSample, Channels  int32
	Pixels                   []byte
}

// imageDataHint is a JPEG or PNG frame as the image-data hint, scaled to fit notificationImageSide.
func imageDataHint(frame []byte) (dbus.Variant, error) {
	img, err := scaledFrame(frame, notificationImageSide)
	if err != nil {
		return dbus.Variant{}, err
	}
	pixels, rowStride, channels := imageDataPixels(img)
	return dbus.MakeVariant(imageData{Width: int32(img.Rect.Dx()), Height: int32(img.Rect.Dy()), RowStride: int32(rowStride),
		HasAlpha: channels == 4, BitsPerSample: 8, Channels: int32(channels), Pixels: pixels}), nil
}

// run follows the daemon's signals until ctx ends, then closes the connection. A notifier whose run
// has not started (or has ended) sends nothing: notify returns an error.
func (c *clickNotifier) run(ctx context.Context) {
	conn, signals, err := sessionSignals("notification clicks", dbus.WithMatchSender(notificationsName),
		dbus.WithMatchObjectPath(notificationsPath), dbus.WithMatchInterface(notificationsName))
	if err != nil {
		// No bus is the usual case off a desktop; a bus that will not tell us clicks is a problem.
		level := c.log.Info()
		if errors.Is(err, errCannotFollow) {
			level = c.log.Warn()
		}
		level.Err(err).Msg("notifications are Fyne's, without a click or an image")
		return
	}
	defer conn.Close()
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	forEach(ctx, signals, c.handle)
}

// handle runs a click, or forgets a closed notification, as the daemon that showed it reports.
func (c *clickNotifier) handle(s *dbus.Signal) {
	if len(s.Body) < 2 {
		return
	}
	id, ok := s.Body[0].(uint32)
	if !ok {
		return
	}
	c.mu.Lock()
	click, ok := c.clicks[id]
	c.mu.Unlock()
	if !ok || click.daemon != s.Sender {
		return
	}
	switch s.Name {
	case notificationsName + ".ActionInvoked":
		if key, _ := s.Body[1].(string); key == "default" {
			click.onClick()
		}
	case notificationsName + ".NotificationClosed":
		c.forget(id)
	}
}

// notify shows n: a click on it runs n.onClick where the daemon reports clicks. errUnsent: it was
// not shown, send it another way.
func (c *clickNotifier) notify(ctx context.Context, n desktopNotice) error {
	// GNOME Shell and Plasma take the app's name and icon from its desktop file.
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant(c.appID)}
	if n.image != nil {
		if hint, err := imageDataHint(n.image); err != nil {
			c.log.Debug().Err(err).Int("bytes", len(n.image)).Msg("the notification goes without its image")
		} else {
			hints["image-data"] = hint
		}
	}
	c.mu.Lock()
	conn := c.conn
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
	canAct, err := c.daemonCanAct(ctx, daemon)
	if err != nil {
		return err
	}
	actions := []string{}
	if n.onClick != nil && canAct {
		actions = []string{"default", "Open"}
	}
	var id uint32
	err = daemon.CallWithContext(ctx, notificationsName+".Notify", 0, notificationAppName, uint32(0), c.icon(), n.title, n.body,
		actions, hints, int32(-1)).Store(&id)
	var refused dbus.Error
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("%w: the notification daemon refused it: %v", errUnsent, err)
	case err != nil:
		return fmt.Errorf("sending a notification (it may still show): %w", err)
	}
	if len(actions) > 0 {
		c.remember(id, clickable{daemon: daemonName, onClick: n.onClick})
	}
	return nil
}

// daemonCanAct tells whether the notification daemon reports clicks ("actions"), asking it once
// it answers: it may start after the tray.
func (c *clickNotifier) daemonCanAct(ctx context.Context, daemon dbus.BusObject) (bool, error) {
	c.mu.Lock()
	canAct := c.canAct
	c.mu.Unlock()
	if canAct != nil {
		return *canAct, nil
	}
	var caps []string
	if err := daemon.CallWithContext(ctx, notificationsName+".GetCapabilities", 0).Store(&caps); err != nil {
		return false, fmt.Errorf("%w: asking the notification daemon what it supports: %v", errUnsent, err)
	}
	can := slices.Contains(caps, "actions")
	c.mu.Lock()
	c.canAct = &can
	c.mu.Unlock()
	c.log.Debug().Strs("capabilities", caps).Msg("notification daemon")
	return can, nil
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

func (c *clickNotifier) forget(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clicks, id)
	c.order = slices.DeleteFunc(c.order, func(x uint32) bool { return x == id })
}
