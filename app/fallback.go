package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// fallbackSize is the size of the window shown without a tray host: wide enough that a Manager's
// name, version and address, or a URL in a message, fit on one or two lines; a longer list scrolls.
var fallbackSize = fyne.NewSize(440, 480)

// newFallbackWindow makes the window that shows a menu without a tray host: the same items, the
// same actions. Closing it quits, as it is the app's only face then.
func newFallbackWindow(a fyne.App, menu *fyne.Menu) fyne.Window {
	w := a.NewWindow("Flamenco Tray")
	w.SetContent(fallbackContent(menu))
	w.SetCloseIntercept(a.Quit)
	w.Resize(fallbackSize)
	// Centred: placed at the top left, a window manager can put it under a panel.
	w.CenterOnScreen()
	return w
}

// fallbackContent shows a menu as a titled column of buttons.
func fallbackContent(menu *fyne.Menu) fyne.CanvasObject {
	box := container.NewVBox()
	addMenuItems(box, menu.Items)
	title := widget.NewLabelWithStyle("Flamenco Tray", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	// The column is as wide as the window and no wider, so long labels wrap rather than widen it.
	return container.NewPadded(container.NewBorder(title, nil, nil, nil, container.NewVScroll(box)))
}

func addMenuItems(box *fyne.Container, items []*fyne.MenuItem) {
	for _, item := range items {
		switch {
		case item.IsSeparator:
			box.Add(widget.NewSeparator())
		case item.ChildMenu != nil:
			box.Add(widget.NewLabelWithStyle(item.Label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
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
