package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// Settings are the user's choices; internal/settings owns their keys, defaults and validation.
type Settings = settings.Settings

// newSettingsWindow builds the Settings window; login is what it says beside the "Start at login"
// switch (current.StartAtLogin), onSave gets the validated settings, onManual opens the list of
// Managers added by hand.
func newSettingsWindow(a fyne.App, current Settings, login loginSwitch, logPath string, onSave func(Settings), onManual func()) fyne.Window {
	w := a.NewWindow("Flamenco Tray Settings")
	urlEntry := widget.NewEntry()
	urlEntry.SetText(current.LocalManagerURL)
	urlEntry.Validator = settings.CheckLocalManagerURL
	notifications := widget.NewCheck("Notify when a Manager appears or goes away", nil)
	notifications.SetChecked(current.Notifications)
	jobNotifications := widget.NewCheck("Notify when my jobs finish, fail or are canceled", nil)
	jobNotifications.SetChecked(current.JobNotifications)
	userEntry := widget.NewEntry()
	userEntry.SetText(current.Identity.UserName)
	keyEntry := widget.NewEntry()
	keyEntry.SetText(current.Identity.MetadataKey)
	workerEntry := widget.NewEntry()
	workerEntry.SetText(current.WorkerPath)
	workerEntry.SetPlaceHolder("found on PATH or beside Flamenco Tray")
	startAtLogin := widget.NewCheck("Start at login", nil)
	startAtLogin.SetChecked(current.StartAtLogin)
	if !autostartSupported() {
		startAtLogin.Disable()
		startAtLogin.Text = "Start at login (not available on this system yet)"
	}
	if login.Locked {
		startAtLogin.Disable()
	}
	lend := newLendingFields(current.Lending)
	problem := widget.NewLabel("")
	problem.Importance = widget.DangerImportance
	problem.Wrapping = fyne.TextWrapWord
	problem.Hide()
	refuse := func(err error) {
		problem.SetText("Not saved: " + err.Error())
		problem.Show()
	}
	// Fyne calls OnSubmit whatever the Entry's Validator says (Enter in the entry, or a button that
	// was enabled before the text changed), so the URL and the lending fields are checked here,
	// where they are saved.
	submit := func() {
		url := strings.TrimSpace(urlEntry.Text)
		if err := settings.CheckLocalManagerURL(url); err != nil {
			urlEntry.SetValidationError(err)
			refuse(err)
			return
		}
		lending, err := lend.read()
		if err != nil {
			refuse(err)
			return
		}
		onSave(Settings{LocalManagerURL: url, Notifications: notifications.Checked, StartAtLogin: startAtLogin.Checked,
			JobNotifications: jobNotifications.Checked,
			Identity:         farm.Identity{MetadataKey: keyEntry.Text, UserName: userEntry.Text}.Normalized(),
			WorkerPath:       strings.TrimSpace(workerEntry.Text), Lending: lending})
		w.Close()
	}
	urlEntry.OnSubmitted = func(string) { submit() }
	form := &widget.Form{
		Items: append([]*widget.FormItem{
			{Text: "Local Manager URL", Widget: urlEntry, HintText: "where a Manager on this computer answers"},
			{Text: "", Widget: notifications},
			{Text: "", Widget: jobNotifications},
			{Text: "My user name", Widget: userEntry, HintText: "my jobs are those whose metadata says so (case ignored)"},
			{Text: "Job metadata key", Widget: keyEntry, HintText: "where jobs say who submitted them (default user.name)"},
			{Text: "flamenco-worker", Widget: workerEntry, HintText: "the Worker program for “Run a Worker here”"},
			{Text: "", Widget: startAtLogin, HintText: login.Note},
		}, lend.items()...),
		SubmitText: "Save",
		OnSubmit:   submit,
		OnCancel:   w.Close,
	}
	logLabel := widget.NewLabel("Log file: " + logPath)
	logLabel.Wrapping = fyne.TextWrapBreak
	manual := widget.NewButton("Managers added by hand…", onManual)
	w.SetContent(container.NewVBox(form, problem, widget.NewSeparator(), container.NewHBox(manual), logLabel))
	w.Resize(fyne.NewSize(520, 0))
	return w
}
