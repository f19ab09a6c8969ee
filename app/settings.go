package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// Settings are the user's choices; internal/settings owns their keys, defaults and validation.
type Settings = settings.Settings

// newSettingsWindow builds the Settings window; login is what it says beside "Start at login",
// onSave gets the validated settings, onManual opens the list of Managers added by hand.
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

// The choices of "When I come back", as the window says them.
const (
	whenBackStopLabel   = "stop at once"
	whenBackFinishLabel = "finish the current task"
)

// lendingFields are the Settings window's fields of when this computer is lent to a farm while its
// user is away; to which farms is chosen per Manager in the menu.
type lendingFields struct {
	after, hours, load *widget.Entry
	whenBack           *widget.RadioGroup
}

func newLendingFields(current settings.Lending) *lendingFields {
	f := &lendingFields{after: widget.NewEntry(), hours: widget.NewEntry(), load: widget.NewEntry(),
		whenBack: widget.NewRadioGroup([]string{whenBackStopLabel, whenBackFinishLabel}, nil)}
	f.after.SetText(strconv.Itoa(current.AfterMinutes))
	f.after.Validator = func(s string) error { _, err := parseMinutes(s); return err }
	f.hours.SetText(current.Hours)
	f.hours.SetPlaceHolder("any time")
	f.hours.Validator = func(s string) error { _, err := lending.ParseHours(strings.TrimSpace(s)); return err }
	f.load.SetText(strconv.Itoa(current.LoadPercent))
	f.load.Validator = func(s string) error { _, err := parsePercent(s); return err }
	f.whenBack.Horizontal = true
	f.whenBack.Required = true
	f.whenBack.SetSelected(whenBackStopLabel)
	if current.WhenBack == string(lending.FinishTask) {
		f.whenBack.SetSelected(whenBackFinishLabel)
	}
	return f
}

// items are the fields as rows of the Settings form.
func (f *lendingFields) items() []*widget.FormItem {
	intro := widget.NewLabel("Lend this computer to a farm while I'm away (turned on per Manager in the menu):")
	return []*widget.FormItem{
		{Text: "", Widget: intro},
		{Text: "Lend after", Widget: f.after, HintText: "minutes away (no keyboard, mouse or tablet input, or the screen locked)"},
		{Text: "Only between", Widget: f.hours, HintText: "e.g. 19:00-08:00 mon,tue,wed,thu,fri; empty: any time"},
		{Text: "Keep the computer", Widget: f.load, HintText: "while other programs use more than this % of the CPUs; 0: no limit"},
		{Text: "When I come back", Widget: f.whenBack},
	}
}

// read returns the lending settings typed, or what is wrong with them in words for the window.
func (f *lendingFields) read() (settings.Lending, error) {
	after, err := parseMinutes(f.after.Text)
	if err != nil {
		return settings.Lending{}, err
	}
	load, err := parsePercent(f.load.Text)
	if err != nil {
		return settings.Lending{}, err
	}
	whenBack := lending.StopNow
	if f.whenBack.Selected == whenBackFinishLabel {
		whenBack = lending.FinishTask
	}
	l := settings.Lending{AfterMinutes: after, Hours: strings.TrimSpace(f.hours.Text), LoadPercent: load,
		WhenBack: string(whenBack)}
	return l, l.Validate()
}

func parseMinutes(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, errors.New("lend after a whole number of minutes away, at least 1")
	}
	return n, nil
}

func parsePercent(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("the load limit is a whole percentage from 0 (none) to 100, not %q", strings.TrimSpace(s))
	}
	return n, nil
}
