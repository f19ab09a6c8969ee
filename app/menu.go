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
	URL     string                 // where Settings expect it
	Info    *discovery.VersionInfo // nil while it does not answer
	Problem string                 // why it cannot be advertised (it does not answer, UDP 1900 is taken, …)
}

// Advertising is the state of local advertising.
type Advertising struct {
	Active bool
	Name   string
	Error  string // the last failure to start, or why advertising stopped by itself
}

// MenuState is everything the tray menu shows: a snapshot, rebuilt whole on every change.
type MenuState struct {
	Discovery   discovery.State
	Local       LocalManager
	Advertising Advertising
	// Farms, Workers (those this tray runs) and Lending (to the Managers this computer is lent to)
	// are by Manager ID. A running Worker whose Manager has no row gets its own, so it can be stopped.
	Farms   map[string]ManagerFarm
	Workers map[string]LocalWorker
	Lending map[string]lending.Status
	// SetByIT are the Managers IT set for every user of this computer: their rows say so.
	SetByIT machineconfig.Managers
}

// MenuActions are what the menu's items do. An item captures nothing that its row does not show,
// except a Manager's ID (part of the menu's key, see menuKey): a menu that is not re-sent because it
// looks the same must still do what it says.
type MenuActions struct {
	Open            func(managerID string) // its web UI, at its URL at click time
	Refresh         func()
	AddByURL        func()
	ToggleAdvertise func()
	Settings        func()
	About           func()
	Quit            func()
	OpenJob         func(managerID, jobID string)
	ShowFrame       func(managerID, jobID string) // its last rendered frame, full size
	// JobAction pauses, resumes, requeues or (once the user confirmed) cancels a job.
	JobAction     func(managerID, jobID string, action farm.JobAction)
	ToggleWatch   func(managerID, jobID string)
	HowToTagJobs  func()
	StartWorker   func(managerID string)
	StopWorker    func(managerID string, afterThisTask bool)
	ToggleLending func(managerID string)
	// NotTonight skips lending until the morning, LendTonight undoes that.
	NotTonight  func(managerID string)
	LendTonight func(managerID string)
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
		lent := lendsTo(s.Lending, m.ID)
		// Not answering, nothing of its farm is shown, but its Worker here can still be stopped, and
		// lending to it turned off.
		switch {
		case ok && m.Reachable:
			items = append(items, farmItems(m, f, a)...)
		case ok && f.Worker.Running:
			items = append(items, workerItems(m, f.Worker, a)...)
		case !ok || !lent:
			continue
		}
		if m.Reachable || lent {
			items = append(items, lendingItems(m, f.Worker, s.Lending, a)...)
		}
		rowOf[m.ID] = true
	}
	items = append(items, workersWithoutRow(s.Workers, rowOf, a)...)
	if len(more) > 0 {
		var moreItems []*fyne.MenuItem
		for _, m := range more {
			moreItems = append(moreItems, managerItem(m, s.SetByIT.Includes(m), a))
		}
		if hidden > 0 {
			moreItems = append(moreItems, disabled(fmt.Sprintf("and %d others (see flamenco-tray discover)", hidden)))
		}
		items = append(items, submenu(fmt.Sprintf("%d more…", len(more)+hidden), moreItems...))
	}
	items = append(items,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Search again", a.Refresh),
		fyne.NewMenuItem("Add Manager by URL…", a.AddByURL),
		fyne.NewMenuItemSeparator(),
	)
	items = append(items, advertiseItems(s, a)...)
	quit := fyne.NewMenuItem("Quit", a.Quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem("Settings…", a.Settings),
		fyne.NewMenuItem("About Flamenco Tray…", a.About), quit)
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

// managerByID finds a listed Manager by its ID.
func managerByID(managers []discovery.Manager, id string) (discovery.Manager, bool) {
	i := slices.IndexFunc(managers, func(m discovery.Manager) bool { return m.ID == id })
	if i < 0 {
		return discovery.Manager{}, false
	}
	return managers[i], true
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

// managerLabel is how a Manager is listed: "Studio Farm — 3.3.1 (this computer, not answering)"; its
// host is noted when another listed Manager has the same name.
func managerLabel(m discovery.Manager, notAnswering, byIT bool) string {
	label := m.Name
	if m.Version != "" {
		label += " — " + m.Version
	}
	var notes []string
	for _, n := range []struct {
		on   bool
		note string
	}{{m.Ambiguous && m.Host != "", m.Host}, {m.Local, "this computer"}, {byIT, "set by your IT"},
		{m.Manual && !byIT, "added by hand"}, {notAnswering, "not answering"}} {
		if n.on {
			notes = append(notes, n.note)
		}
	}
	if len(notes) > 0 {
		label += " (" + strings.Join(notes, ", ") + ")"
	}
	return label
}

// maxRowRunes bounds a menu row made from a message: tray menus do not wrap.
const maxRowRunes = 78

// shortMessage fits a message that may end in a Go error chain ("cannot search: listen udp4 …: …")
// into one row: a long one by its outer context, which says what failed (the rest is in the log),
// else cut at a word.
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
	listed, more, _ := splitManagers(s.Discovery.Managers)
	var ids []string // the Managers' in menu order, then their jobs'
	for _, m := range append(slices.Clip(listed), more...) {
		ids = append(ids, m.ID)
	}
	ids = append(ids, farmIDs(listed, s.Farms)...)
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

// menuKey is everything a tray host shows of a menu, item by item, and the IDs its items capture.
// Two menus with the same key look and act the same, so the second is not sent: Fyne's
// SetSystemTrayMenu renumbers every item, and a click on a number read before that is lost.
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
	item := fyne.NewMenuItem("Advertise local Manager on the LAN", a.ToggleAdvertise)
	switch {
	case adv.Active:
		item.Label, item.Checked = fmt.Sprintf("Advertise “%s” on the LAN", adv.Name), true
		return []*fyne.MenuItem{item}
	case s.Local.Info != nil:
		item.Label = fmt.Sprintf("Advertise “%s” on the LAN", s.Local.Info.Name)
	}
	if s.Local.Info == nil || s.Local.Problem != "" {
		item.Action, item.Disabled = nil, true
	}
	items := []*fyne.MenuItem{item}
	for _, why := range []string{s.Local.Problem, adv.Error} {
		if why != "" {
			items = append(items, disabled(shortMessage(why)))
		}
	}
	return items
}

// submenu is a row that opens items.
func submenu(label string, items ...*fyne.MenuItem) *fyne.MenuItem {
	item := fyne.NewMenuItem(label, nil)
	item.ChildMenu = fyne.NewMenu("", items...)
	return item
}

func disabled(label string) *fyne.MenuItem {
	item := fyne.NewMenuItem(label, nil)
	item.Disabled = true
	return item
}
