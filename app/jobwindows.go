package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// newCancelWindow asks before canceling a job: a canceled render cannot be resumed, only
// requeued from its first frame. Only "Cancel the job" cancels; closing the window keeps it.
func newCancelWindow(a fyne.App, job, manager string, cancelJob func()) fyne.Window {
	w := a.NewWindow("Cancel “" + job + "”?")
	text := widget.NewLabel("“" + job + "” on " + manager + " stops rendering. Frames already rendered are kept; " +
		"what is left can only be rendered again by requeueing the whole job.")
	text.Wrapping = fyne.TextWrapWord
	keep := widget.NewButton("Keep rendering", w.Close)
	confirm := widget.NewButton("Cancel the job", func() {
		cancelJob()
		w.Close()
	})
	confirm.Importance = widget.DangerImportance
	w.SetContent(container.NewVBox(text, container.NewHBox(keep, confirm)))
	w.Resize(fyne.NewSize(420, 0))
	w.Canvas().Focus(keep) // Enter keeps the render
	return w
}

// newRefusedWindow says that an action on a job did not happen, in the Manager's own words.
func newRefusedWindow(a fyne.App, title, words string) fyne.Window {
	w := a.NewWindow(title)
	text := widget.NewLabel(words)
	text.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewVBox(text, widget.NewButton("OK", w.Close)))
	w.Resize(fyne.NewSize(420, 0))
	return w
}
