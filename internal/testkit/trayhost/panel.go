//go:build linux

package trayhost

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// D-Bus names of the StatusNotifierWatcher that a Panel implements.
const (
	WatcherName      = "org.kde.StatusNotifierWatcher"
	WatcherPath      = dbus.ObjectPath("/StatusNotifierWatcher")
	WatcherInterface = "org.kde.StatusNotifierWatcher"

	// defaultItemPath is the object path used when an item registers with
	// a bus name instead of an object path.
	defaultItemPath = dbus.ObjectPath("/StatusNotifierItem")
)

// watcherIntrospection describes org.kde.StatusNotifierWatcher as exported
// by KDE Plasma.
var watcherIntrospection = introspect.Interface{
	Name: WatcherInterface,
	Methods: []introspect.Method{
		{Name: "RegisterStatusNotifierItem", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
		{Name: "RegisterStatusNotifierHost", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
	},
	Signals: []introspect.Signal{
		{Name: "StatusNotifierItemRegistered", Args: []introspect.Arg{{Type: "s"}}},
		{Name: "StatusNotifierItemUnregistered", Args: []introspect.Arg{{Type: "s"}}},
		{Name: "StatusNotifierHostRegistered"},
		{Name: "StatusNotifierHostUnregistered"},
	},
	Properties: []introspect.Property{
		{Name: "RegisteredStatusNotifierItems", Type: "as", Access: "read"},
		{Name: "IsStatusNotifierHostRegistered", Type: "b", Access: "read"},
		{Name: "ProtocolVersion", Type: "i", Access: "read"},
	},
}

// hostSeq numbers the org.kde.StatusNotifierHost-PID-N names that panels
// in this process own.
var hostSeq atomic.Int32

// Panel owns org.kde.StatusNotifierWatcher on a session bus and records the
// StatusNotifierItems that register with it, as a desktop panel would.
type Panel struct {
	conn  *dbus.Conn
	props *prop.Properties

	mu      sync.Mutex
	items   []*Item       // registered and still on the bus, oldest first
	hosts   []string      // services passed to RegisterStatusNotifierHost
	changed chan struct{} // closed and replaced whenever items changes
	closed  bool          // set when the panel's connection is closed
	done    chan struct{} // closed by Close
	signals chan *dbus.Signal
}

// NewPanel connects to s's bus, claims org.kde.StatusNotifierWatcher (the
// test fails if the name is already taken), exports the watcher with its
// properties and introspection data, and closes the connection when the
// test ends.
func NewPanel(tb testing.TB, s *Session) *Panel {
	tb.Helper()
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		tb.Fatalf("trayhost: connecting to session bus %s: %v", s.BusAddress, err)
	}
	p := &Panel{
		conn:    conn,
		changed: make(chan struct{}),
		done:    make(chan struct{}),
		signals: make(chan *dbus.Signal, 64),
	}
	tb.Cleanup(p.Close)
	if err := p.export(); err != nil {
		tb.Fatalf("trayhost: %v", err)
	}

	// Track owners going away so that items of exited processes disappear,
	// as they do from a real panel.
	if err := conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchObjectPath("/org/freedesktop/DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
	); err != nil {
		tb.Fatalf("trayhost: watching NameOwnerChanged: %v", err)
	}
	conn.Signal(p.signals)
	go p.watchOwners()

	reply, err := conn.RequestName(WatcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		tb.Fatalf("trayhost: requesting %s: %v", WatcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		tb.Fatalf("trayhost: %s is already owned on %s (reply %v)", WatcherName, s.BusAddress, reply)
	}
	// Real hosts own a name of this form; some clients look for it.
	host := fmt.Sprintf("org.kde.StatusNotifierHost-%d-%d", os.Getpid(), hostSeq.Add(1))
	if _, err := conn.RequestName(host, dbus.NameFlagDoNotQueue); err != nil {
		tb.Fatalf("trayhost: requesting %s: %v", host, err)
	}
	return p
}

// export exports the watcher's methods, properties and introspection data.
func (p *Panel) export() error {
	if err := p.conn.ExportMethodTable(map[string]interface{}{
		"RegisterStatusNotifierItem": p.registerItem,
		"RegisterStatusNotifierHost": p.registerHost,
	}, WatcherPath, WatcherInterface); err != nil {
		return fmt.Errorf("exporting %s: %w", WatcherInterface, err)
	}
	props, err := prop.Export(p.conn, WatcherPath, map[string]map[string]*prop.Prop{
		WatcherInterface: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		return fmt.Errorf("exporting watcher properties: %w", err)
	}
	p.props = props
	node := &introspect.Node{
		Name: string(WatcherPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			watcherIntrospection,
		},
	}
	if err := p.conn.Export(introspect.NewIntrospectable(node), WatcherPath,
		"org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("exporting introspection: %w", err)
	}
	return nil
}

// registerItem implements RegisterStatusNotifierItem. Like KDE's watcher it
// accepts either an object path (the item lives on the caller's connection)
// or a bus name (the item lives at /StatusNotifierItem on that name).
func (p *Panel) registerItem(sender dbus.Sender, service string) *dbus.Error {
	it := &Item{conn: p.conn}
	switch {
	case strings.HasPrefix(service, "/"):
		it.Service, it.Path = string(sender), dbus.ObjectPath(service)
	case service != "":
		it.Service, it.Path = service, defaultItemPath
	default:
		return dbus.MakeFailedError(fmt.Errorf("empty service"))
	}
	if !it.Path.IsValid() {
		return dbus.MakeFailedError(fmt.Errorf("invalid object path %q", service))
	}
	// Record the unique name, so that the item can be matched against
	// NameOwnerChanged and keeps working if a well-known name moves.
	if !strings.HasPrefix(it.Service, ":") {
		var owner string
		if err := p.conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, it.Service).Store(&owner); err != nil {
			return dbus.MakeFailedError(fmt.Errorf("service %q: %w", it.Service, err))
		}
		it.Service = owner
	}

	p.mu.Lock()
	for _, old := range p.items {
		if old.Service == it.Service && old.Path == it.Path {
			p.mu.Unlock()
			// Re-registration (e.g. after a watcher restart): still announce.
			_ = p.conn.Emit(WatcherPath, WatcherInterface+".StatusNotifierItemRegistered", it.id())
			return nil
		}
	}
	p.items = append(p.items, it)
	p.notifyLocked()
	p.mu.Unlock()

	_ = p.conn.Emit(WatcherPath, WatcherInterface+".StatusNotifierItemRegistered", it.id())
	return nil
}

// registerHost implements RegisterStatusNotifierHost.
func (p *Panel) registerHost(sender dbus.Sender, service string) *dbus.Error {
	p.mu.Lock()
	p.hosts = append(p.hosts, service)
	p.mu.Unlock()
	_ = p.conn.Emit(WatcherPath, WatcherInterface+".StatusNotifierHostRegistered")
	return nil
}

// notifyLocked publishes the item list and wakes waiters; p.mu must be held.
func (p *Panel) notifyLocked() {
	ids := make([]string, len(p.items))
	for i, it := range p.items {
		ids[i] = it.id()
	}
	if p.props != nil {
		p.props.SetMust(WatcherInterface, "RegisteredStatusNotifierItems", ids)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// watchOwners drops the items of bus connections that have gone away.
func (p *Panel) watchOwners() {
	for {
		select {
		case <-p.done:
			return
		case sig, ok := <-p.signals:
			if !ok || sig == nil {
				return
			}
			if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
				continue
			}
			name, _ := sig.Body[0].(string)
			newOwner, _ := sig.Body[2].(string)
			if newOwner != "" || !strings.HasPrefix(name, ":") {
				continue
			}
			p.dropService(name)
		}
	}
}

// dropService unregisters all items owned by the unique name service.
func (p *Panel) dropService(service string) {
	p.mu.Lock()
	var gone []*Item
	kept := p.items[:0:0]
	for _, it := range p.items {
		if it.Service == service {
			gone = append(gone, it)
		} else {
			kept = append(kept, it)
		}
	}
	if len(gone) == 0 {
		p.mu.Unlock()
		return
	}
	p.items = kept
	if !p.closed {
		p.notifyLocked()
	}
	p.mu.Unlock()
	for _, it := range gone {
		_ = p.conn.Emit(WatcherPath, WatcherInterface+".StatusNotifierItemUnregistered", it.id())
	}
}

// Items returns the items that are currently registered, oldest first.
func (p *Panel) Items() []*Item {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Item(nil), p.items...)
}

// Hosts returns the services passed to RegisterStatusNotifierHost so far.
func (p *Panel) Hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.hosts...)
}

// WaitItem waits until an item has registered (and is still on the bus) and
// returns it; if several are registered it returns the oldest.
func (p *Panel) WaitItem(ctx context.Context) (*Item, error) {
	for {
		p.mu.Lock()
		if len(p.items) > 0 {
			it := p.items[0]
			p.mu.Unlock()
			return it, nil
		}
		changed, closed := p.changed, p.closed
		p.mu.Unlock()
		if closed {
			return nil, fmt.Errorf("trayhost: panel closed before any item registered")
		}
		select {
		case <-changed:
		case <-p.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("trayhost: no StatusNotifierItem registered: %w", context.Cause(ctx))
		}
	}
}

// WaitGone waits until it is no longer registered, e.g. because its process
// exited or closed its bus connection.
func (p *Panel) WaitGone(ctx context.Context, it *Item) error {
	for {
		p.mu.Lock()
		found := false
		for _, x := range p.items {
			if x == it {
				found = true
				break
			}
		}
		changed := p.changed
		p.mu.Unlock()
		if !found {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("trayhost: item %s still registered: %w", it.id(), context.Cause(ctx))
		}
	}
}

// Close stops the panel as a panel that exits does: it leaves the bus, and with it the watcher's
// name. It is called at test cleanup too.
func (p *Panel) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	p.mu.Unlock()
	p.conn.RemoveSignal(p.signals)
	_ = p.conn.Close()
}
