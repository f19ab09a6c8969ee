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

// ShowCancel asks before canceling a job (one window per job: a second click raises it).
func (w *windows) ShowCancel(jobID, job, manager string, cancelJob func()) {
	w.showOnce("cancel/"+jobID, func() fyne.Window { return newCancelWindow(w.app, job, manager, cancelJob) })
}

// ShowRefusal says that an action on a job did not happen, in the Manager's own words.
func (w *windows) ShowRefusal(title, words string) {
	if w.ctx.Err() != nil {
		return
	}
	win := w.app.NewWindow(title)
	text := widget.NewLabel(words)
	text.Wrapping = fyne.TextWrapWord
	win.SetContent(container.NewVBox(text, widget.NewButton("OK", win.Close)))
	win.Resize(fyne.NewSize(420, 0))
	win.Show()
}
