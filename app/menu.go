package app

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
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
	Active bool
	Name   string
	// Error is the last failure to start, or why advertising stopped by itself.
	Error string
}

// MenuState is everything the tray menu shows: a snapshot, rebuilt whole on every change.
type MenuState struct {
	Discovery   discovery.State
	Local       LocalManager
	Advertising Advertising
	// Farms are what is known of each listed Manager's farm, by Manager ID; a Manager without one
	// shows no farm rows.
	Farms map[string]ManagerFarm
	// Workers are the Workers this tray runs, by Manager ID: one whose Manager has no row in the menu
	// (it is gone from the list, or in "more…") gets its own, so it can still be stopped.
	Workers map[string]LocalWorker
	// Lending is what lending this computer does for each Manager it is lent to while its user is
	// away, by Manager ID; a Manager without an entry is not lent to.
	Lending map[string]lending.Status
	// SetByIT are the Managers IT set for every user of this computer: a listed Manager that answers
	// at one of them is marked so.
	SetByIT machineconfig.Managers
}

// MenuActions are what the menu's items do. An item captures nothing that its row does not show,
// except a Manager's ID (part of the menu's key, see menuKey): a menu that is not re-sent because it
// looks the same must still do what it says.
type MenuActions struct {
	// Open opens the web UI of the listed Manager with this ID, at its URL at click time.
	Open            func(managerID string)
	Refresh         func()
	AddByURL        func()
	ToggleAdvertise func()
	Settings        func()
	About           func()
	Quit            func()
	// OpenJob opens a job of the listed Manager with this ID in its web UI; ShowFrame opens its last
	// rendered frame, full size; JobAction asks the Manager to pause, resume, requeue or cancel it
	// (cancel after the user confirms).
	OpenJob   func(managerID, jobID string)
	ShowFrame func(managerID, jobID string)
	JobAction func(managerID, jobID string, action farm.JobAction)
	// ToggleWatch starts or stops watching a job of a Manager.
	ToggleWatch func(managerID, jobID string)
	// HowToTagJobs explains how jobs can say who submitted them.
	HowToTagJobs func()
	// StartWorker runs a Worker for a Manager on this computer; StopWorker stops it, after its
	// current task or now.
	StartWorker func(managerID string)
	StopWorker  func(managerID string, afterThisTask bool)
	// ToggleLending turns lending this computer to a Manager while its user is away on or off;
	// NotTonight skips it until the morning, LendTonight undoes that.
	ToggleLending func(managerID string)
	NotTonight    func(managerID string)
	LendTonight   func(managerID string)
}

// BuildMenu returns the tray menu for a state. It is a pure function: the same state gives the same
// menu, and it needs no display.
func BuildMenu(s MenuState, a MenuActions) *fyne.Menu {
	var items []*fyne.MenuItem
	listed, more, hidden := splitManagers(s.Discovery.Managers)
	switch {
	case len(listed) == 0 && s.Discovery.Searching:
		items = append(items, disabled("Searching for Managers…"))
	case len(listed) == 0:
		items = append(items, disabled("No Manager found"))
		if s.Discovery.Problem != "" {
			items = append(items, disabled(shortMessage(s.Discovery.Problem)))
		}
	}
	rowOf := map[string]bool{}
	for _, m := range listed {
		items = append(items, managerItem(m, s.SetByIT.Includes(m), a))
		f, ok := s.Farms[m.ID]
		switch {
		case ok && m.Reachable:
			items = append(items, farmItems(m, f, a)...)
			items = append(items, lendingItems(m, f.Worker, s.Lending, a)...)
			rowOf[m.ID] = true
		case ok && (f.Worker.Running || lendsTo(s.Lending, m.ID)):
			// Not answering: nothing of its farm is shown, but its Worker here can still be stopped,
			// and lending to it turned off.
			if f.Worker.Running {
				items = append(items, workerItems(m, f.Worker, a)...)
			}
			if lendsTo(s.Lending, m.ID) {
				items = append(items, lendingItems(m, f.Worker, s.Lending, a)...)
			}
			rowOf[m.ID] = true
		}
	}
	items = append(items, workersWithoutRow(s.Workers, rowOf, a)...)
	if len(more) > 0 {
		item := fyne.NewMenuItem(fmt.Sprintf("%d more…", len(more)+hidden), nil)
		moreItems := managerItems(more, s.SetByIT, a)
		if hidden > 0 {
			moreItems = append(moreItems, disabled(fmt.Sprintf("and %d others (see flamenco-tray discover)", hidden)))
		}
		item.ChildMenu = fyne.NewMenu("", moreItems...)
		items = append(items, item)
	}
	items = append(items,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Search again", a.Refresh),
		fyne.NewMenuItem("Add Manager by URL…", a.AddByURL),
		fyne.NewMenuItemSeparator(),
	)
	items = append(items, advertiseItems(s, a)...)
	settings := fyne.NewMenuItem("Settings…", a.Settings)
	about := fyne.NewMenuItem("About Flamenco Tray…", a.About)
	quit := fyne.NewMenuItem("Quit", a.Quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), settings, about, quit)
	return fyne.NewMenu("Flamenco Tray", items...)
}

// splitManagers bounds the menu however many answer: the Managers listed at the top, those in the
// "N more…" submenu, and how many are left out.
func splitManagers(managers []discovery.Manager) (listed, more []discovery.Manager, hidden int) {
	if len(managers) <= maxListedManagers {
		return managers, nil, 0
	}
	listed, rest := managers[:maxListedManagers], managers[maxListedManagers:]
	more = rest[:min(len(rest), maxMoreManagers)]
	return listed, more, len(rest) - len(more)
}

// shownManagerIDs are the IDs of the Managers the menu has items for, in menu order.
func shownManagerIDs(managers []discovery.Manager) []string {
	listed, more, _ := splitManagers(managers)
	var ids []string
	for _, m := range append(slices.Clip(listed), more...) {
		ids = append(ids, m.ID)
	}
	return ids
}

// managerByID finds a listed Manager by its ID.
func managerByID(managers []discovery.Manager, id string) (discovery.Manager, bool) {
	i := slices.IndexFunc(managers, func(m discovery.Manager) bool { return m.ID == id })
	if i < 0 {
		return discovery.Manager{}, false
	}
	return managers[i], true
}

func managerItems(managers []discovery.Manager, setByIT machineconfig.Managers, a MenuActions) []*fyne.MenuItem {
	items := make([]*fyne.MenuItem, len(managers))
	for i, m := range managers {
		items[i] = managerItem(m, setByIT.Includes(m), a)
	}
	return items
}

func managerItem(m discovery.Manager, byIT bool, a MenuActions) *fyne.MenuItem {
	id := m.ID
	item := fyne.NewMenuItem(managerLabel(m, !m.Reachable, byIT), func() { a.Open(id) })
	item.Disabled = !m.Reachable
	return item
}

// NotificationLabel is how a notification names a Manager: as the menu lists it, without "not
// answering", which a notification says in words.
func NotificationLabel(m discovery.Manager) string {
	return managerLabel(m, false, false)
}

// managerLabel is how a Manager is listed: "Studio Farm — 3.3.1", with notes in brackets: its host
// when another listed Manager has the same name, "this computer", "added by hand" (or "set by your
// IT" for the Managers IT set: byIT), "not answering".
func managerLabel(m discovery.Manager, notAnswering, byIT bool) string {
	label := m.Name
	if m.Version != "" {
		label += " — " + m.Version
	}
	var notes []string
	if m.Ambiguous && m.Host != "" {
		notes = append(notes, m.Host)
	}
	if m.Local {
		notes = append(notes, "this computer")
	}
	switch {
	case byIT:
		notes = append(notes, "set by your IT")
	case m.Manual:
		notes = append(notes, "added by hand")
	}
	if notAnswering {
		notes = append(notes, "not answering")
	}
	if len(notes) > 0 {
		label += " (" + strings.Join(notes, ", ") + ")"
	}
	return label
}

// maxRowRunes bounds a menu row made from a message: tray menus do not wrap.
const maxRowRunes = 78

// shortMessage fits a message that may end in a Go error chain ("cannot search: listen udp4 …:
// …") into one menu row: a short message as it is; a long one by its outer context (the part
// before the first ": "), which says what failed; otherwise cut at a word. The whole message is
// in the log, where it was made.
func shortMessage(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxRowRunes {
		return s
	}
	const more = " (details in the log)"
	if outer, _, ok := strings.Cut(s, ": "); ok && utf8.RuneCountInString(outer+more) <= maxRowRunes {
		return outer + more
	}
	runes := []rune(s)[:maxRowRunes-1]
	if i := strings.LastIndex(string(runes), " "); i > maxRowRunes/2 {
		return string(runes)[:i] + "…"
	}
	return string(runes) + "…"
}

// trayView is what the tray shows for a state: the menu and the icon, and the menu's key.
type trayView struct {
	menu *fyne.Menu
	key  string
	icon IconState
}

func buildView(s MenuState, a MenuActions) trayView {
	menu := BuildMenu(s, a)
	listed, _, _ := splitManagers(s.Discovery.Managers)
	ids := append(shownManagerIDs(s.Discovery.Managers), farmIDs(listed, s.Farms)...)
	var workers []string // a Worker's row without its Manager's stops the Worker of this ID
	for id, w := range s.Workers {
		if w.Running {
			workers = append(workers, "worker/"+id)
		}
	}
	slices.Sort(workers)
	ids = append(ids, workers...)
	return trayView{menu: menu, key: menuKey(menu, ids), icon: IconFor(s)}
}

// menuKey is everything a tray host shows of a menu, item by item (label, greyed out, checked,
// separator, submenu, Quit), and the IDs of the Managers and jobs its items open. Two menus with the same key
// look and act the same, so the second is not sent: Fyne's SetSystemTrayMenu renumbers every item,
// and a click on a number read before that is lost.
func menuKey(m *fyne.Menu, ids []string) string {
	var b strings.Builder
	var walk func(items []*fyne.MenuItem, depth int)
	walk = func(items []*fyne.MenuItem, depth int) {
		for _, item := range items {
			icon := ""
			if item.Icon != nil {
				icon = item.Icon.Name()
			}
			fmt.Fprintf(&b, "%d %q sep=%t off=%t checked=%t quit=%t icon=%q\n", depth, item.Label,
				item.IsSeparator, item.Disabled, item.Checked, item.IsQuit, icon)
			if item.ChildMenu != nil {
				walk(item.ChildMenu.Items, depth+1)
			}
		}
	}
	walk(m.Items, 0)
	fmt.Fprintf(&b, "ids %q", ids)
	return b.String()
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
			items = append(items, disabled(shortMessage(s.Local.Problem)))
		}
	default:
		items = append(items, fyne.NewMenuItem(fmt.Sprintf("Advertise “%s” on the LAN", s.Local.Info.Name), a.ToggleAdvertise))
	}
	if adv.Error != "" {
		items = append(items, disabled(shortMessage(adv.Error)))
	}
	return items
}

func disabled(label string) *fyne.MenuItem {
	item := fyne.NewMenuItem(label, nil)
	item.Disabled = true
	return item
}
