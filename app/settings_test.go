package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// defaultLending is what settings.Load gives a new user: the window saves only valid lending fields.
var defaultLending = settings.Defaults().Lending

func findWidget[T fyne.CanvasObject](o fyne.CanvasObject) (T, bool) {
	if w, ok := o.(T); ok {
		return w, true
	}
	var children []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		children = c.Objects
	case *widget.Form:
		for _, item := range c.Items {
			children = append(children, item.Widget)
		}
	}
	for _, child := range children {
		if w, ok := findWidget[T](child); ok {
			return w, true
		}
	}
	var zero T
	return zero, false
}

// findButton finds a button by its text, in containers and inside rendered widgets (the form's own
// Save button).
func findButton(o fyne.CanvasObject, text string) (*widget.Button, bool) {
	if b, ok := o.(*widget.Button); ok && b.Text == text {
		return b, true
	}
	var children []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		children = c.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(c).Objects()
	}
	for _, child := range children {
		if b, ok := findButton(child, text); ok {
			return b, true
		}
	}
	return nil, false
}

// settingsForm opens the Settings window as a user sees it and returns its parts.
func settingsForm(t *testing.T, current Settings, onSave func(Settings)) (fyne.Window, *widget.Form, *widget.Entry, *widget.Button) {
	t.Helper()
	return settingsFormWith(t, current, loginSwitch{}, onSave)
}

// settingsFormWith is settingsForm with login beside the "Start at login" switch.
func settingsFormWith(t *testing.T, current Settings, login loginSwitch, onSave func(Settings)) (fyne.Window, *widget.Form, *widget.Entry, *widget.Button) {
	t.Helper()
	a := test.NewTempApp(t)
	w := newSettingsWindow(a, current, login, "/tmp/flamenco-tray.log", onSave, func() {})
	w.Show()
	form, ok := findWidget[*widget.Form](w.Content())
	if !ok {
		t.Fatal("no form in the Settings window")
	}
	save, ok := findButton(w.Content(), "Save")
	if !ok {
		t.Fatal("no Save button in the Settings window")
	}
	return w, form, form.Items[0].Widget.(*widget.Entry), save
}

// shownProblem is the visible text of the window that says why nothing was saved.
func shownProblem(w fyne.Window) string {
	var found string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch c := o.(type) {
		case *widget.Label:
			if c.Visible() && strings.HasPrefix(c.Text, "Not saved") {
				found = c.Text
			}
		case *fyne.Container:
			for _, child := range c.Objects {
				walk(child)
			}
		}
	}
	walk(w.Content())
	return found
}

func TestSettingsWindowSavesValidatedSettings(t *testing.T) {
	alice := farm.Identity{MetadataKey: "user.name", UserName: "alice"}
	defaults := Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, Notifications: true, JobNotifications: true, Identity: alice,
		Lending: defaultLending}
	var saved []Settings
	w, form, entry, save := settingsForm(t, defaults, func(s Settings) { saved = append(saved, s) })
	if entry.Text != "http://localhost:8080/" {
		t.Errorf("default local Manager URL %q", entry.Text)
	}
	w.Canvas().Focus(entry)
	entry.SetText("")
	test.Type(entry, "http://localhost:9090/")
	test.Tap(form.Items[1].Widget.(*widget.Check))
	test.Tap(save)

	want := Settings{LocalManagerURL: "http://localhost:9090/", Notifications: false, StartAtLogin: false,
		JobNotifications: true, Identity: alice, Lending: defaultLending}
	if !slices.Equal(saved, []Settings{want}) {
		t.Fatalf("saved %+v, want %+v", saved, want)
	}
	prefs := fyne.CurrentApp().Preferences()
	settings.Save(prefs, want)
	if got := settings.Load(prefs); got != want {
		t.Errorf("preferences round trip: %+v", got)
	}
}

func TestSettingsWindowSavesOnEnter(t *testing.T) {
	var saved []Settings
	w, _, entry, _ := settingsForm(t, Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, Lending: defaultLending},
		func(s Settings) { saved = append(saved, s) })
	w.Canvas().Focus(entry)
	entry.SetText("")
	test.Type(entry, " http://farm.local:8080/ ")
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	want := []Settings{{LocalManagerURL: "http://farm.local:8080/", Identity: farm.Identity{MetadataKey: "user.name"}, Lending: defaultLending}}
	if !slices.Equal(saved, want) {
		t.Errorf("saved %+v, want %+v", saved, want)
	}
}

// Whose jobs are mine and which Worker program runs are set in the window; a DOMAIN\user name is
// the user part, an empty key the default.
func TestSettingsWindowSavesIdentityAndWorker(t *testing.T) {
	var saved []Settings
	current := Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, JobNotifications: true,
		Identity: farm.Identity{MetadataKey: "user.name", UserName: "alice"}, Lending: defaultLending}
	_, form, _, save := settingsForm(t, current, func(s Settings) { saved = append(saved, s) })
	entryFor := func(label string) *widget.Entry {
		for _, item := range form.Items {
			if item.Text == label {
				return item.Widget.(*widget.Entry)
			}
		}
		t.Fatalf("no %q in the form", label)
		return nil
	}
	entryFor("My user name").SetText(`STUDIO\Bob`)
	entryFor("Job metadata key").SetText("  ")
	entryFor("flamenco-worker").SetText(" /opt/flamenco/flamenco-worker ")
	test.Tap(save)
	want := Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, JobNotifications: true,
		Identity: farm.Identity{MetadataKey: "user.name", UserName: "Bob"}, WorkerPath: "/opt/flamenco/flamenco-worker",
		Lending: defaultLending}
	if !slices.Equal(saved, []Settings{want}) {
		t.Fatalf("saved %+v, want %+v", saved, want)
	}
	prefs := fyne.CurrentApp().Preferences()
	settings.Save(prefs, want)
	if got := settings.Load(prefs); got != want {
		t.Errorf("preferences round trip: %+v", got)
	}
}

// Fyne's form calls OnSubmit without asking the Entry's Validator (Enter in the entry, or OnSubmit
// itself): every way to submit must refuse an unusable URL and say why.
func TestSettingsWindowRefusesAnInvalidURL(t *testing.T) {
	submitPaths := map[string]func(form *widget.Form, entry *widget.Entry, save *widget.Button){
		"Save button": func(_ *widget.Form, _ *widget.Entry, save *widget.Button) { test.Tap(save) },
		"Enter in the URL entry": func(_ *widget.Form, entry *widget.Entry, _ *widget.Button) {
			entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		},
		"the form's OnSubmit": func(form *widget.Form, _ *widget.Entry, _ *widget.Button) { form.OnSubmit() },
	}
	for name, submit := range submitPaths {
		for _, typed := range []string{"ftp://nas/", "localhost:8080", "http://user@farm:8080/", "http://"} {
			t.Run(name+"/"+typed, func(t *testing.T) {
				var saved []Settings
				w, form, entry, save := settingsForm(t, Settings{LocalManagerURL: discovery.DefaultLocalManagerURL},
					func(s Settings) { saved = append(saved, s) })
				w.Canvas().Focus(entry)
				entry.SetText("")
				test.Type(entry, typed)
				submit(form, entry, save)
				if len(saved) > 0 {
					t.Fatalf("saved %+v", saved)
				}
				if name == "Save button" {
					if !save.Disabled() {
						t.Error("the Save button is enabled under an invalid URL")
					}
					return // a disabled button is the form's own answer; its hint says why
				}
				if got := shownProblem(w); !strings.Contains(got, "http:// or https://") {
					t.Errorf("the window does not say why nothing was saved (%q)", got)
				}
				if entry.Validate() == nil {
					t.Error("the entry is not marked invalid")
				}
			})
		}
	}
}

func TestSettingsWindowOpensManagersAddedByHand(t *testing.T) {
	a := test.NewTempApp(t)
	opened := 0
	w := newSettingsWindow(a, Settings{LocalManagerURL: "http://localhost:8080/"}, loginSwitch{}, "/tmp/flamenco-tray.log",
		func(Settings) {}, func() { opened++ })
	button, ok := findButton(w.Content(), "Managers added by hand…")
	if !ok {
		t.Fatal("no button for the Managers added by hand")
	}
	test.Tap(button)
	if opened != 1 {
		t.Errorf("opened %d times, want 1", opened)
	}
}
