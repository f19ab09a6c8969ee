package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

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

func TestSettingsWindowSavesValidatedSettings(t *testing.T) {
	a := test.NewTempApp(t)
	var saved []Settings
	w := newSettingsWindow(a, loadSettings(a.Preferences()), "/tmp/flamenco-tray.log", func(s Settings) { saved = append(saved, s) })

	form, ok := findWidget[*widget.Form](w.Content())
	if !ok {
		t.Fatal("no form in the Settings window")
	}
	entry := form.Items[0].Widget.(*widget.Entry)
	if entry.Text != "http://localhost:8080/" {
		t.Errorf("default local Manager URL %q", entry.Text)
	}
	test.Type(entry, "x") // "http://localhost:8080/x" is still a valid URL
	entry.SetText("ftp://nas/")
	if err := entry.Validate(); err == nil {
		t.Error("an ftp URL passed validation")
	}
	entry.SetText("http://localhost:9090/")
	notifications := form.Items[1].Widget.(*widget.Check)
	test.Tap(notifications)
	form.OnSubmit()

	want := Settings{LocalManagerURL: "http://localhost:9090/", Notifications: false, StartAtLogin: false}
	if !slices.Equal(saved, []Settings{want}) {
		t.Fatalf("saved %+v, want %+v", saved, want)
	}
	saveSettings(a.Preferences(), want)
	if got := loadSettings(a.Preferences()); got != want {
		t.Errorf("preferences round trip: %+v", got)
	}
}

func TestRememberManagerKeepsNewestFirstAndBounded(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	for i := range maxKnownManagers + 5 {
		rememberManager(p, "http://10.0.0."+string(rune('a'+i))+":8080/")
	}
	rememberManager(p, "http://10.0.0.c:8080/")
	known := p.StringList(prefKnownManagers)
	if len(known) != maxKnownManagers || known[0] != "http://10.0.0.c:8080/" || slices.Index(known[1:], "http://10.0.0.c:8080/") >= 0 {
		t.Errorf("known = %v", known)
	}
}
