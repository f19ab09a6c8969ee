package app

import (
	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
)

// lendingItems are a Manager's rows of lending this computer to its farm: the checkbox (w is its
// Worker here), and while lending is on, what it does now and “Not tonight” or its undoing.
func lendingItems(m discovery.Manager, w LocalWorker, lent map[string]lending.Status, a MenuActions) []*fyne.MenuItem {
	managerID := m.ID
	toggle := fyne.NewMenuItem(farmIndent+"Lend this computer when I'm away", func() { a.ToggleLending(managerID) })
	status, on := lent[managerID]
	toggle.Checked = on
	items := []*fyne.MenuItem{toggle}
	if !on {
		// No Worker can run here: greyed, as "Run a Worker here" is, just under the reason. Once
		// on, it stays clickable so that it can be turned off.
		if w.Unavailable != "" {
			toggle.Action, toggle.Disabled = nil, true
		}
		return items
	}
	// Empty until the Lender's first look at the desktop.
	if line := status.MenuLine(m.Name); line != "" {
		items = append(items, disabled(farmIndent+shortMessage(line)))
	}
	switch {
	case !status.NotTonightUntil.IsZero():
		items = append(items, fyne.NewMenuItem(farmIndent+"Lend tonight after all", func() { a.LendTonight(managerID) }))
	case status.Decision.Mode != lending.NoIdle: // nothing to skip when the computer cannot be lent
		items = append(items, fyne.NewMenuItem(farmIndent+"Not tonight", func() { a.NotTonight(managerID) }))
	}
	return items
}

func lendsTo(lent map[string]lending.Status, managerID string) bool {
	_, on := lent[managerID]
	return on
}

// rendersForAFarm says whether this computer renders for any farm it is lent to (the icon shows it).
func rendersForAFarm(lent map[string]lending.Status) bool {
	for _, status := range lent {
		if status.Rendering() {
			return true
		}
	}
	return false
}
