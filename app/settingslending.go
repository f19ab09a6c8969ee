package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

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
