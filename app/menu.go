package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// maxListedManagers is how many Managers the menu lists before "N more…"; that submenu lists up to
// maxMoreManagers more, so that however many answer, the menu stays a menu.
const (
	maxListedManagers = 20
	maxMoreManagers   = 80
)

// LocalManager is what is known of the Manager on this machine.
type LocalManager struct {
	// URL is where it is expected (Settings).
	URL string
	// Info is its version answer; nil while it does not answer.
	Info *discovery.VersionInfo
	// Problem says why it cannot be advertised (it does not answer, UDP 1900 is taken, …).
	Problem string
}

// Advertising is the state of local advertising.
type Advertising struct {
	Active    bool
	Name      string
	Locations []string
	// Error is the last failure to start, or why advertising stopped by itself.
	Error string
}

// MenuState is everything the tray menu shows: a snapshot, rebuilt whole on every change.
type MenuState struct {
	Discovery   discovery.State
	Local       LocalManager
	Advertising Advertising
}

// MenuActions are what the menu's items do.
type MenuActions struct {
	Open            func(url string)
	Refresh         func()
	ToggleAdvertise func()
	Settings        func()
	Quit            func()
}

// BuildMenu returns the tray menu for a state. It is a pure function: the same state gives the same
// menu, and it needs no display.
func BuildMenu(s MenuState, a MenuActions) *fyne.Menu {
	var items []*fyne.MenuItem
	managers := s.Discovery.Managers
	switch {
	case len(managers) == 0 && s.Discovery.Searching:
		items = append(items, disabled("Searching for Managers…"))
	case len(managers) == 0:
		items = append(items, disabled("No Manager found"))
		if s.Discovery.Problem != "" {
			items = append(items, disabled(s.Discovery.Problem))
		}
	}
	for i, m := range managers {
		if i == maxListedManagers {
			rest := managers[maxListedManagers:]
			more := fyne.NewMenuItem(fmt.Sprintf("%d more…", len(rest)), nil)
			shown := rest[:min(len(rest), maxMoreManagers)]
			moreItems := managerItems(shown, a)
			if hidden := len(rest) - len(shown); hidden > 0 {
				moreItems = append(moreItems, disabled(fmt.Sprintf("and %d others (see flamenco-tray discover)", hidden)))
			}
			more.ChildMenu = fyne.NewMenu("", moreItems...)
			items = append(items, more)
			break
		}
		items = append(items, managerItem(m, a))
	}
	items = append(items,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Search again", a.Refresh),
		fyne.NewMenuItemSeparator(),
	)
	items = append(items, advertiseItems(s, a)...)
	settings := fyne.NewMenuItem("Settings…", a.Settings)
	quit := fyne.NewMenuItem("Quit", a.Quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), settings, quit)
	return fyne.NewMenu("Flamenco Tray", items...)
}

func managerItems(managers []discovery.Manager, a MenuActions) []*fyne.MenuItem {
	items := make([]*fyne.MenuItem, len(managers))
	for i, m := range managers {
		items[i] = managerItem(m, a)
	}
	return items
}

func managerItem(m discovery.Manager, a MenuActions) *fyne.MenuItem {
	url := m.URL
	item := fyne.NewMenuItem(ManagerLabel(m), func() { a.Open(url) })
	item.Disabled = !m.Reachable
	return item
}

// ManagerLabel is how a Manager is listed: "Studio Farm — 3.3.1", marked when it is on this
// computer or does not answer.
func ManagerLabel(m discovery.Manager) string {
	label := m.Name
	if m.Version != "" {
		label += " — " + m.Version
	}
	var notes []string
	if m.Local {
		notes = append(notes, "this computer")
	}
	if !m.Reachable {
		notes = append(notes, "not answering")
	}
	if len(notes) > 0 {
		label += " (" + strings.Join(notes, ", ") + ")"
	}
	return label
}

// advertiseItems is the "Advertise local Manager" toggle and, when there is one, why it is off.
func advertiseItems(s MenuState, a MenuActions) []*fyne.MenuItem {
	adv := s.Advertising
	if adv.Active {
		item := fyne.NewMenuItem(fmt.Sprintf("Advertise “%s” on the LAN", adv.Name), a.ToggleAdvertise)
		item.Checked = true
		return []*fyne.MenuItem{item}
	}
	var items []*fyne.MenuItem
	switch {
	case s.Local.Info == nil || s.Local.Problem != "":
		item := fyne.NewMenuItem("Advertise local Manager on the LAN", nil)
		if s.Local.Info != nil {
			item.Label = fmt.Sprintf("Advertise “%s” on the LAN", s.Local.Info.Name)
		}
		item.Disabled = true
		items = append(items, item)
		if s.Local.Problem != "" {
			items = append(items, disabled(s.Local.Problem))
		}
	default:
		items = append(items, fyne.NewMenuItem(fmt.Sprintf("Advertise “%s” on the LAN", s.Local.Info.Name), a.ToggleAdvertise))
	}
	if adv.Error != "" {
		items = append(items, disabled(adv.Error))
	}
	return items
}

func disabled(label string) *fyne.MenuItem {
	item := fyne.NewMenuItem(label, nil)
	item.Disabled = true
	return item
}

// IconState is the tray icon to show.
type IconState int

const (
	IconSearching IconState = iota
	IconNoManager
	IconManagersFound
	IconAdvertising
)

// IconFor picks the tray icon for a state.
func IconFor(s MenuState) IconState {
	switch {
	case s.Advertising.Active:
		return IconAdvertising
	case len(s.Discovery.Managers) > 0:
		return IconManagersFound
	case s.Discovery.Searching:
		return IconSearching
	default:
		return IconNoManager
	}
}
