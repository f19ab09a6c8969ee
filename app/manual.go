package app

import (
	"context"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// manualActions are what the "Managers added by hand" window does. Verify runs off the main
// goroutine (in Go, whose owner waits for it) and blocks; the others run on Fyne's main goroutine.
type manualActions struct {
	Go      func(fn func())
	Verify  func(ctx context.Context, url string) (discovery.VersionInfo, error)
	Add     func(url string)
	Remove  func(url string)
	SetByIT machineconfig.Managers // listed, never removed here
}

// newManualWindow shows the Managers IT set for this computer (read only), those added by hand, each
// with "Remove", and an entry to add one: the URL is checked like a discovered Manager's
// (/api/v3/version) before it is kept.
func newManualWindow(ctx context.Context, a fyne.App, current []string, actions manualActions) fyne.Window {
	w := a.NewWindow("Managers added by hand")
	list := container.NewVBox()
	current = slices.Clone(current) // this window's state, on Fyne's main goroutine
	var show func()
	show = func() {
		list.RemoveAll()
		if len(current) == 0 {
			list.Add(widget.NewLabel("None yet."))
		}
		for _, url := range current {
			list.Add(container.NewBorder(nil, nil, nil, widget.NewButton("Remove", func() {
				actions.Remove(url)
				current = slices.DeleteFunc(current, func(u string) bool { return u == url })
				show()
			}), widget.NewLabel(url)))
		}
	}
	show()

	entry := widget.NewEntry()
	entry.SetPlaceHolder("http://farm.example:8080/")
	status := widget.NewLabel("For a Manager that searching cannot find: over a VPN, in Docker or WSL2, on another subnet.")
	status.Wrapping = fyne.TextWrapWord
	var add *widget.Button
	submit := func() {
		url, err := settings.ManagerURL(entry.Text)
		switch {
		case err != nil:
			status.SetText(err.Error())
			return
		case slices.Contains(current, url):
			status.SetText(url + " is already in the list.")
			return
		case actions.SetByIT.Has(url):
			status.SetText(url + " is set for this computer by your IT already.")
			return
		}
		add.Disable()
		status.SetText("Asking " + url + " …")
		actions.Go(func() {
			info, err := actions.Verify(ctx, url)
			fyne.Do(func() {
				add.Enable()
				if err != nil {
					status.SetText("No Flamenco Manager answers at " + url + ". Check the address and port (its web UI opens there).")
					return
				}
				actions.Add(url)
				current = append(current, url)
				show()
				entry.SetText("")
				status.SetText(fmt.Sprintf("Added “%s” (%s).", info.Name, info.DisplayVersion()))
			})
		})
	}
	add = widget.NewButton("Add", submit)
	entry.OnSubmitted = func(string) { submit() }
	w.SetContent(container.NewPadded(container.NewVBox(append(setByITRows(actions.SetByIT),
		widget.NewLabelWithStyle("Added by hand", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		list,
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, add, entry),
		status,
	)...)))
	w.Resize(fyne.NewSize(480, 0))
	return w
}

// setByITRows list the Managers IT set for this computer, without "Remove", and what of IT's list
// was skipped; nothing when IT set none.
func setByITRows(it machineconfig.Managers) []fyne.CanvasObject {
	if len(it.URLs) == 0 && len(it.Problems) == 0 {
		return nil
	}
	rows := []fyne.CanvasObject{widget.NewLabelWithStyle("Set for this computer by your IT", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	for _, url := range it.URLs {
		rows = append(rows, widget.NewLabel(url))
	}
	for _, p := range it.Problems {
		problem := widget.NewLabel(p.String())
		problem.Wrapping = fyne.TextWrapWord
		problem.Importance = widget.WarningImportance
		rows = append(rows, problem)
	}
	note := widget.NewLabel("Only an administrator can change these, in " + it.Where + ".")
	note.Wrapping = fyne.TextWrapWord
	return append(rows, note, widget.NewSeparator())
}
