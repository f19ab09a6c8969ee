package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// fallbackContent shows a menu as a column of buttons, for desktops without a tray: the same items,
// the same actions.
func fallbackContent(menu *fyne.Menu) fyne.CanvasObject {
	box := container.NewVBox()
	addMenuItems(box, menu.Items)
	return container.NewPadded(box)
}

func addMenuItems(box *fyne.Container, items []*fyne.MenuItem) {
	for _, item := range items {
		switch {
		case item.IsSeparator:
			box.Add(widget.NewSeparator())
		case item.ChildMenu != nil:
			box.Add(widget.NewLabel(item.Label))
			addMenuItems(box, item.ChildMenu.Items)
		case item.Action == nil || item.Disabled:
			label := widget.NewLabel(item.Label)
			label.Wrapping = fyne.TextWrapWord
			box.Add(label)
		case item.Checked:
			check := widget.NewCheck(item.Label, nil)
			check.SetChecked(true)
			action := item.Action
			check.OnChanged = func(bool) { action() }
			box.Add(check)
		default:
			box.Add(widget.NewButton(item.Label, item.Action))
		}
	}
}
