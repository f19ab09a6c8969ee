package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// formItem is the widget of the form's row with this label.
func formItem[T any](t *testing.T, form *widget.Form, label string) T {
	t.Helper()
	for _, item := range form.Items {
		if item.Text == label {
			if w, ok := item.Widget.(T); ok {
				return w
			}
		}
	}
	t.Fatalf("no %q in the form", label)
	var zero T
	return zero
}

// When to lend this computer is set in the window and saved with the rest.
func TestSettingsWindowSavesWhenToLend(t *testing.T) {
	var saved []Settings
	current := Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, Lending: defaultLending}
	_, form, _, save := settingsForm(t, current, func(s Settings) { saved = append(saved, s) })
	if got := formItem[*widget.Entry](t, form, "Lend after").Text; got != "10" {
		t.Errorf("Lend after shows %q, want the default 10", got)
	}
	if got := formItem[*widget.RadioGroup](t, form, "When I come back").Selected; got != whenBackStopLabel {
		t.Errorf("When I come back shows %q", got)
	}
	formItem[*widget.Entry](t, form, "Lend after").SetText(" 25 ")
	formItem[*widget.Entry](t, form, "Only between").SetText(" 19:00-08:00 mon,tue,wed,thu,fri ")
	formItem[*widget.Entry](t, form, "Keep the computer").SetText("50")
	formItem[*widget.RadioGroup](t, form, "When I come back").SetSelected(whenBackFinishLabel)
	test.Tap(save)

	want := current
	want.Identity.MetadataKey = "user.name"
	want.Lending = settings.Lending{AfterMinutes: 25, Hours: "19:00-08:00 mon,tue,wed,thu,fri", LoadPercent: 50, WhenBack: "finish"}
	if !slices.Equal(saved, []Settings{want}) {
		t.Fatalf("saved %+v, want %+v", saved, want)
	}
	if err := saved[0].Lending.Validate(); err != nil {
		t.Errorf("saved lending settings that do not validate: %v", err)
	}
}

// Lending fields that cannot be saved are refused, and the window says why, however the form is
// submitted.
func TestSettingsWindowRefusesInvalidLending(t *testing.T) {
	tests := []struct{ label, typed, why string }{
		{"Only between", "25:00-08:00", "25:00"},
		{"Only between", "19:00-19:00", ""},
		{"Lend after", "0", "at least 1"},
		{"Lend after", "ten", "at least 1"},
		{"Keep the computer", "150", "0 (none) to 100"},
	}
	for _, tc := range tests {
		t.Run(tc.label+"/"+tc.typed, func(t *testing.T) {
			var saved []Settings
			w, form, _, save := settingsForm(t, Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, Lending: defaultLending},
				func(s Settings) { saved = append(saved, s) })
			entry := formItem[*widget.Entry](t, form, tc.label)
			entry.SetText(tc.typed)
			if entry.Validate() == nil {
				t.Error("the entry is not marked invalid")
			}
			test.Tap(save)
			form.OnSubmit()
			if len(saved) > 0 {
				t.Fatalf("saved %+v", saved)
			}
			if got := shownProblem(w); got == "" || !strings.Contains(got, tc.why) {
				t.Errorf("the window says %q, want why (%q)", got, tc.why)
			}
		})
	}
}
