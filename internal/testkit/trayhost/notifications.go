//go:build linux

package trayhost

import (
	"context"
	"fmt"
	"image"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notification is one desktop notification an app sent.
type Notification struct {
	ID                 uint32
	App, Summary, Body string
	Icon               string
	// Actions are the action keys and labels, in pairs, as sent ("default" is a click on it).
	Actions []string
	Sender  string // the unique bus name of the connection that sent it
	// Hints are the names of the hints sent, sorted.
	Hints []string
	// DesktopEntry is the "desktop-entry" hint: the sender's desktop file, without .desktop.
	DesktopEntry string
	// Image is the "image-data" hint's picture, nil without one; ImageErr says why one sent could
	// not be read, as a daemon would (GNOME's, Plasma's and Xfce's) refuse it.
	Image    image.Image
	ImageErr error
}

// Notifications plays a notification daemon: it owns org.freedesktop.Notifications on the session bus,
// says it supports actions (as GNOME's, KDE's and Xfce's daemons do), records every Notify call with
// its hints (the image-data hint read as the daemons read it), and clicks a notification on request.
type Notifications struct {
	conn *dbus.Conn
	mu   sync.Mutex
	got  []Notification
}

// NotificationsOption changes what the daemon says it supports.
type NotificationsOption func(*[]string)

// WithoutActions plays a daemon that cannot report clicks (no "actions" capability).
func WithoutActions() NotificationsOption {
	return func(caps *[]string) { *caps = slices.DeleteFunc(*caps, func(c string) bool { return c == "actions" }) }
}

// NewNotifications claims org.freedesktop.Notifications on s's bus (the test fails if it is taken).
func NewNotifications(tb testing.TB, s *Session, opts ...NotificationsOption) *Notifications {
	tb.Helper()
	caps := []string{"body", "actions"}
	for _, opt := range opts {
		opt(&caps)
	}
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		tb.Fatalf("trayhost: connecting to session bus %s: %v", s.BusAddress, err)
	}
	tb.Cleanup(func() { conn.Close() })
	n := &Notifications{conn: conn}
	methods := map[string]interface{}{
		"Notify": func(sender dbus.Sender, app string, _ uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
			got := Notification{App: app, Summary: summary, Body: body, Icon: icon, Actions: slices.Clone(actions),
				Sender: string(sender), Hints: slices.Sorted(maps.Keys(hints))}
			got.DesktopEntry, _ = hints["desktop-entry"].Value().(string)
			if data, ok := hints["image-data"]; ok {
				got.Image, got.ImageErr = decodeImageData(data)
			}
			n.mu.Lock()
			defer n.mu.Unlock()
			got.ID = uint32(len(n.got) + 1)
			n.got = append(n.got, got)
			return got.ID, nil
		},
		"GetCapabilities":   func() ([]string, *dbus.Error) { return slices.Clone(caps), nil },
		"CloseNotification": func(uint32) *dbus.Error { return nil },
		"GetServerInformation": func() (string, string, string, string, *dbus.Error) {
			return "trayhost", "flamenco-tray", "1", "1.2", nil
		},
	}
	if err := conn.ExportMethodTable(methods, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		tb.Fatalf("trayhost: exporting notifications: %v", err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		tb.Fatalf("trayhost: claiming org.freedesktop.Notifications: %v (reply %v)", err, reply)
	}
	return n
}

// Click does what a daemon does when the user clicks notification id: it emits ActionInvoked with
// "default" to the connection that sent it (as GNOME Shell does; a broadcast would reach it too),
// then NotificationClosed (reason 2, dismissed by the user).
func (n *Notifications) Click(id uint32) error {
	n.mu.Lock()
	var sender string
	for _, got := range n.got {
		if got.ID == id {
			sender = got.Sender
		}
	}
	n.mu.Unlock()
	if sender == "" {
		return fmt.Errorf("trayhost: no notification %d", id)
	}
	for _, signal := range []struct {
		member string
		body   []interface{}
	}{{"ActionInvoked", []interface{}{id, "default"}}, {"NotificationClosed", []interface{}{id, uint32(2)}}} {
		msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/Notifications")),
			dbus.FieldInterface:   dbus.MakeVariant("org.freedesktop.Notifications"),
			dbus.FieldMember:      dbus.MakeVariant(signal.member),
			dbus.FieldDestination: dbus.MakeVariant(sender),
		}, Body: signal.body}
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(signal.body...))
		call := n.conn.Send(msg, nil)
		if call.Err != nil {
			return fmt.Errorf("trayhost: emitting %s: %w", signal.member, call.Err)
		}
	}
	return nil
}

// All returns the notifications received so far, oldest first.
func (n *Notifications) All() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// Wait polls until cond holds for the notifications received, or ctx ends.
func (n *Notifications) Wait(ctx context.Context, cond func([]Notification) bool) ([]Notification, error) {
	for {
		got := n.All()
		if cond(got) {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("trayhost: waiting for a notification: %w (received %+v)", ctx.Err(), got)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// decodeImageData reads the Desktop Notifications spec's image-data hint, (iiibiiay): width,
// height, row stride, has alpha, bits per sample, channels, pixels. It refuses what the daemons
// refuse: other types, samples other than 8 bits, channels other than 3 (RGB) or 4 (RGBA, with
// alpha), and pixels of another length than xfce4-notifyd's (height-1)*stride + width*channels.
//
// The types are checked on the values: godbus hands an exported method a hint's variant with a
// signature made anew from its Go value ("av" for any struct), not the one on the wire.
func decodeImageData(v dbus.Variant) (image.Image, error) {
	fields, ok := v.Value().([]interface{})
	if !ok || len(fields) != 7 {
		return nil, fmt.Errorf("image-data %s is not a struct of 7 fields", v)
	}
	var ints [6]int32 // width, height, stride, -, bits, channels
	for i, f := range fields[:6] {
		if i == 3 {
			continue
		}
		if ints[i], ok = f.(int32); !ok {
			return nil, fmt.Errorf("image-data field %d is a %T, want an int32", i, f)
		}
	}
	alpha, okAlpha := fields[3].(bool)
	pixels, okPixels := fields[6].([]byte)
	if !okAlpha || !okPixels {
		return nil, fmt.Errorf("image-data fields 3 and 6 are %T and %T, want a bool and bytes", fields[3], fields[6])
	}
	width, height, stride, bits, channels := ints[0], ints[1], ints[2], ints[4], ints[5]
	switch {
	case width < 1 || height < 1 || width > 10000 || height > 10000:
		return nil, fmt.Errorf("image-data of %d×%d pixels", width, height)
	case bits != 8:
		return nil, fmt.Errorf("image-data of %d bits a sample, want 8", bits)
	case !(channels == 3 && !alpha || channels == 4 && alpha):
		return nil, fmt.Errorf("image-data of %d channels with alpha %v", channels, alpha)
	case int64(stride) < int64(width)*int64(channels):
		return nil, fmt.Errorf("image-data row stride %d for %d pixels of %d channels", stride, width, channels)
	case int64(len(pixels)) != int64(height-1)*int64(stride)+int64(width)*int64(channels):
		return nil, fmt.Errorf("image-data of %d bytes for %d×%d pixels, stride %d", len(pixels), width, height, stride)
	}
	img := image.NewNRGBA(image.Rect(0, 0, int(width), int(height)))
	for y := range int(height) {
		line := pixels[y*int(stride):]
		for x := range int(width) {
			p := line[x*int(channels):]
			a := byte(255)
			if channels == 4 {
				a = p[3]
			}
			copy(img.Pix[y*img.Stride+4*x:], []byte{p[0], p[1], p[2], a})
		}
	}
	return img, nil
}
