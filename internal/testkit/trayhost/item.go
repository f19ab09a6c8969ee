//go:build linux

package trayhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus interfaces of a StatusNotifierItem and its menu.
const (
	ItemInterface = "org.kde.StatusNotifierItem"
	MenuInterface = "com.canonical.dbusmenu"
)

// pollInterval is how often WaitMenu re-reads the menu.
const pollInterval = 100 * time.Millisecond

// Item is a StatusNotifierItem registered with a Panel.
type Item struct {
	Service string          // unique bus name of the connection exporting the item
	Path    dbus.ObjectPath // object path of the item, e.g. /StatusNotifierItem

	conn *dbus.Conn
}

// id is the item's entry in RegisteredStatusNotifierItems.
func (it *Item) id() string { return it.Service + string(it.Path) }

// String returns the item's service and path.
func (it *Item) String() string { return it.id() }

// Property returns the item's org.kde.StatusNotifierItem property name.
func (it *Item) Property(ctx context.Context, name string) (dbus.Variant, error) {
	var v dbus.Variant
	err := it.conn.Object(it.Service, it.Path).CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, ItemInterface, name).Store(&v)
	if err != nil {
		return dbus.Variant{}, fmt.Errorf("trayhost: reading %s property %s of %s: %w", ItemInterface, name, it, err)
	}
	return v, nil
}

// Title returns the item's Title property.
func (it *Item) Title(ctx context.Context) (string, error) {
	v, err := it.Property(ctx, "Title")
	if err != nil {
		return "", err
	}
	s, ok := v.Value().(string)
	if !ok {
		return "", fmt.Errorf("trayhost: Title of %s has type %s, want s", it, v.Signature())
	}
	return s, nil
}

// menuPath reads the item's Menu property.
func (it *Item) menuPath(ctx context.Context) (dbus.ObjectPath, error) {
	v, err := it.Property(ctx, "Menu")
	if err != nil {
		return "", err
	}
	p, ok := v.Value().(dbus.ObjectPath)
	if !ok || !p.IsValid() || p == "/" {
		return "", fmt.Errorf("trayhost: %s has no menu (Menu property %v)", it, v)
	}
	return p, nil
}

// Menu reads the item's Menu property and returns the whole menu tree from
// com.canonical.dbusmenu.GetLayout(0, -1, []). The returned root node has ID
// 0 and no label; the menu entries are its Children.
func (it *Item) Menu(ctx context.Context) (MenuNode, error) {
	_, root, err := it.Layout(ctx)
	return root, err
}

// Layout is Menu with the layout's revision, which the application raises
// whenever it changes the menu: an unchanged revision means unchanged entry
// IDs.
func (it *Item) Layout(ctx context.Context) (revision uint32, root MenuNode, err error) {
	path, err := it.menuPath(ctx)
	if err != nil {
		return 0, MenuNode{}, err
	}
	call := it.conn.Object(it.Service, path).CallWithContext(ctx,
		MenuInterface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		return 0, MenuNode{}, fmt.Errorf("trayhost: GetLayout on %s%s: %w", it.Service, path, call.Err)
	}
	if len(call.Body) != 2 {
		return 0, MenuNode{}, fmt.Errorf("trayhost: GetLayout on %s%s returned %d values, want 2", it.Service, path, len(call.Body))
	}
	revision, ok := call.Body[0].(uint32)
	if !ok {
		return 0, MenuNode{}, fmt.Errorf("trayhost: GetLayout on %s%s returned revision of type %T, want u", it.Service, path, call.Body[0])
	}
	root, err = parseLayout(call.Body[1])
	if err != nil {
		return 0, MenuNode{}, fmt.Errorf("trayhost: GetLayout on %s%s: %w", it.Service, path, err)
	}
	return revision, root, nil
}

// Click sends the "clicked" event for menu entry id, as a panel does when
// the user activates the entry.
func (it *Item) Click(ctx context.Context, id int32) error {
	return it.event(ctx, id, "clicked")
}

// Open sends the "opened" event for menu entry id (0: the whole menu), as
// a panel does when it shows that menu.
func (it *Item) Open(ctx context.Context, id int32) error {
	return it.event(ctx, id, "opened")
}

func (it *Item) event(ctx context.Context, id int32, event string) error {
	path, err := it.menuPath(ctx)
	if err != nil {
		return err
	}
	call := it.conn.Object(it.Service, path).CallWithContext(ctx, MenuInterface+".Event", 0,
		id, event, dbus.MakeVariant(""), uint32(time.Now().Unix()))
	if call.Err != nil {
		return fmt.Errorf("trayhost: %s event for menu entry %d of %s: %w", event, id, it, call.Err)
	}
	return nil
}

// WaitMenu reads the menu every 100 ms until cond returns true for it or ctx
// ends. It returns the last menu read; on timeout the error includes the
// last menu's Labels (or the last read error).
func (it *Item) WaitMenu(ctx context.Context, cond func(MenuNode) bool) (MenuNode, error) {
	_, m, err := it.waitLayout(ctx, 0, "menu", cond)
	return m, err
}

// WaitSettled reads the menu every 100 ms until cond holds for it and its
// revision has not changed for quiet, or ctx ends; it returns that menu and
// its revision. Entry IDs read from it stay valid until the application
// changes the menu, so a test can click one without racing a rebuild it
// could have seen coming.
func (it *Item) WaitSettled(ctx context.Context, quiet time.Duration, cond func(MenuNode) bool) (uint32, MenuNode, error) {
	return it.waitLayout(ctx, quiet, "settled menu", cond)
}

// waitLayout reads the menu every 100 ms until cond holds for it and its
// revision has not changed for quiet, or ctx ends.
func (it *Item) waitLayout(ctx context.Context, quiet time.Duration, what string, cond func(MenuNode) bool) (uint32, MenuNode, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var (
		last     MenuNode
		lastRev  uint32
		lastErr  error
		read     bool
		revSince time.Time
	)
	for {
		rev, m, err := it.Layout(ctx)
		if err == nil {
			if !read || rev != lastRev {
				revSince = time.Now()
			}
			last, lastRev, lastErr, read = m, rev, nil, true
			if cond(m) && time.Since(revSince) >= quiet {
				return rev, m, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			cause := context.Cause(ctx)
			switch {
			case lastErr != nil:
				return lastRev, last, fmt.Errorf("trayhost: waiting for a %s of %s: %w (last error: %v)", what, it, cause, lastErr)
			case read:
				return lastRev, last, fmt.Errorf("trayhost: waiting for a %s of %s: %w; last revision %d, labels: %q", what, it, cause, lastRev, last.Labels())
			default:
				return 0, last, fmt.Errorf("trayhost: waiting for a %s of %s: %w before the menu could be read", what, it, cause)
			}
		case <-ticker.C:
		}
	}
}

// Icon reads the item's IconPixmap property and returns the first pixmap's
// dimensions and the hex SHA-256 of its ARGB bytes, so that tests can tell
// whether the icon changed.
func (it *Item) Icon(ctx context.Context) (width, height int32, sum string, err error) {
	v, err := it.Property(ctx, "IconPixmap")
	if err != nil {
		return 0, 0, "", err
	}
	var pixmaps []struct {
		W, H int32
		Pix  []byte
	}
	if err := dbus.Store([]interface{}{v.Value()}, &pixmaps); err != nil {
		return 0, 0, "", fmt.Errorf("trayhost: IconPixmap of %s has type %s, want a(iiay): %w", it, v.Signature(), err)
	}
	if len(pixmaps) == 0 {
		return 0, 0, "", fmt.Errorf("trayhost: %s has no IconPixmap", it)
	}
	px := pixmaps[0]
	h := sha256.Sum256(px.Pix)
	return px.W, px.H, hex.EncodeToString(h[:]), nil
}

// WaitProperty reads the item's property name every 100 ms until cond
// returns true for it or ctx ends, and returns the last value read.
func (it *Item) WaitProperty(ctx context.Context, name string, cond func(dbus.Variant) bool) (dbus.Variant, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var (
		last    dbus.Variant
		lastErr error
	)
	for {
		v, err := it.Property(ctx, name)
		if err == nil {
			last, lastErr = v, nil
			if cond(v) {
				return v, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return last, fmt.Errorf("trayhost: waiting for property %s of %s: %w (last error: %v)", name, it, context.Cause(ctx), lastErr)
			}
			return last, fmt.Errorf("trayhost: waiting for property %s of %s: %w; last value: %v", name, it, context.Cause(ctx), last)
		case <-ticker.C:
		}
	}
}

// WaitIcon reads the icon as a panel does: once, then again at each NewIcon
// signal of the item, until cond returns true for the first pixmap's
// dimensions and hash or ctx ends; it returns the last values read. Reading
// only after a change, not polling, keeps the test from reading IconPixmap
// while fyne.io/systray replaces it in place (godbus's prop.Store writes into
// the value a Get's reply is encoding: a data race inside the two).
func (it *Item) WaitIcon(ctx context.Context, cond func(width, height int32, sum string) bool) (width, height int32, sum string, err error) {
	match := []dbus.MatchOption{dbus.WithMatchSender(it.Service), dbus.WithMatchInterface("org.kde.StatusNotifierItem"),
		dbus.WithMatchMember("NewIcon")}
	if err := it.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return 0, 0, "", fmt.Errorf("trayhost: following the icon of %s: %w", it, err)
	}
	defer it.conn.RemoveMatchSignal(match...)
	signals := make(chan *dbus.Signal, 16)
	it.conn.Signal(signals)
	defer it.conn.RemoveSignal(signals)
	var lastErr error
	for {
		w, h, s, err := it.Icon(ctx)
		if err == nil {
			width, height, sum, lastErr = w, h, s, nil
			if cond(w, h, s) {
				return w, h, s, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		if err := it.nextNewIcon(ctx, signals); err != nil {
			if lastErr != nil {
				return width, height, sum, fmt.Errorf("trayhost: waiting for icon of %s: %w (last error: %v)", it, err, lastErr)
			}
			return width, height, sum, fmt.Errorf("trayhost: waiting for icon of %s: %w; last icon %d×%d %s", it, err, width, height, sum)
		}
	}
}

// nextNewIcon waits for the item's next NewIcon signal.
func (it *Item) nextNewIcon(ctx context.Context, signals <-chan *dbus.Signal) error {
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case sig, ok := <-signals:
			if !ok {
				return errors.New("the bus connection closed")
			}
			if sig.Name == "org.kde.StatusNotifierItem.NewIcon" && sig.Sender == it.Service {
				return nil
			}
		}
	}
}

// MenuNode is one entry of a com.canonical.dbusmenu menu.
type MenuNode struct {
	ID          int32
	Label       string // mnemonic underscores removed; "__" becomes "_"
	Enabled     bool   // "enabled" property, default true
	Visible     bool   // "visible" property, default true
	Type        string // "separator", or "" for a standard entry
	ToggleType  string // "checkmark", "radio" or ""
	ToggleState int32  // -1 (default) none, 0 off, 1 on
	Children    []MenuNode

	// Props holds all properties of the entry as sent by the application.
	Props map[string]dbus.Variant
}

// Find returns the first node, in depth-first pre-order starting with n
// itself, whose Label contains substr.
func (n MenuNode) Find(substr string) (MenuNode, bool) {
	if strings.Contains(n.Label, substr) {
		return n, true
	}
	for _, c := range n.Children {
		if f, ok := c.Find(substr); ok {
			return f, true
		}
	}
	return MenuNode{}, false
}

// Labels returns the labels of all visible, non-separator entries with a
// non-empty label, depth-first, skipping the children of hidden entries.
// It is meant for error messages.
func (n MenuNode) Labels() []string {
	var out []string
	var walk func(MenuNode)
	walk = func(n MenuNode) {
		if !n.Visible {
			return
		}
		if n.Type != "separator" && n.Label != "" {
			out = append(out, n.Label)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Entries returns "ID label" for n's entries (separators as "ID ---"),
// depth-first, without the root: what a click addresses.
func (n MenuNode) Entries() []string {
	var out []string
	var walk func(MenuNode)
	walk = func(n MenuNode) {
		for _, c := range n.Children {
			label := c.Label
			if c.Type == "separator" {
				label = "---"
			}
			out = append(out, fmt.Sprintf("%d %s", c.ID, label))
			walk(c)
		}
	}
	walk(n)
	return out
}

// parseLayout converts a dbusmenu layout, (ia{sv}av), as decoded by godbus
// into a MenuNode.
func parseLayout(v interface{}) (MenuNode, error) {
	if vv, ok := v.(dbus.Variant); ok {
		v = vv.Value()
	}
	var raw struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	fields, ok := v.([]interface{})
	if !ok {
		return MenuNode{}, fmt.Errorf("menu layout has Go type %T, want (ia{sv}av)", v)
	}
	if err := dbus.Store(fields, &raw.ID, &raw.Props, &raw.Children); err != nil {
		return MenuNode{}, fmt.Errorf("menu layout: %w", err)
	}
	n := MenuNode{
		ID:          raw.ID,
		Enabled:     true,
		Visible:     true,
		ToggleState: -1,
		Props:       raw.Props,
	}
	if n.Props == nil {
		n.Props = map[string]dbus.Variant{}
	}
	var errs []error
	for k, pv := range raw.Props {
		var err error
		switch k {
		case "label":
			var s string
			s, err = propString(pv)
			n.Label = stripMnemonic(s)
		case "enabled":
			n.Enabled, err = propBool(pv)
		case "visible":
			n.Visible, err = propBool(pv)
		case "type":
			n.Type, err = propString(pv)
			if n.Type == "standard" {
				n.Type = ""
			}
		case "toggle-type":
			n.ToggleType, err = propString(pv)
		case "toggle-state":
			n.ToggleState, err = propInt32(pv)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d property %q: %w", raw.ID, k, err))
		}
	}
	for _, c := range raw.Children {
		child, err := parseLayout(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n.Children = append(n.Children, child)
	}
	return n, errors.Join(errs...)
}

func propString(v dbus.Variant) (string, error) {
	s, ok := v.Value().(string)
	if !ok {
		return "", fmt.Errorf("type %s, want s", v.Signature())
	}
	return s, nil
}

func propBool(v dbus.Variant) (bool, error) {
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("type %s, want b", v.Signature())
	}
	return b, nil
}

// propInt32 accepts any integer type, since applications differ in what
// they send for toggle-state.
func propInt32(v dbus.Variant) (int32, error) {
	switch x := v.Value().(type) {
	case int32:
		return x, nil
	case int16:
		return int32(x), nil
	case int64:
		return int32(x), nil
	case uint32:
		return int32(x), nil
	case uint16:
		return int32(x), nil
	case uint64:
		return int32(x), nil
	case byte:
		return int32(x), nil
	}
	return 0, fmt.Errorf("type %s, want i", v.Signature())
}

// stripMnemonic applies the dbusmenu label rules: "__" is a literal
// underscore and any other underscore (a mnemonic marker) is not displayed.
func stripMnemonic(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '_' {
			b.WriteByte('_')
			i++
		}
	}
	return b.String()
}
