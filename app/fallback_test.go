package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// labels returns every label in o, with its position in o, looking into scroll containers.
func labels(o fyne.CanvasObject, at fyne.Position) map[*widget.Label]fyne.Position {
	found := map[*widget.Label]fyne.Position{}
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		at = at.Add(o.Position())
		switch c := o.(type) {
		case *widget.Label:
			found[c] = at
		case *fyne.Container:
			for _, child := range c.Objects {
				walk(child, at)
			}
		case *container.Scroll:
			walk(c.Content, at.Add(c.Offset.Subtract(fyne.NewPos(2*c.Offset.X, 2*c.Offset.Y))))
		}
	}
	walk(o, at)
	return found
}

// The window shown without a tray host is as wide as fallbackSize, and none of its text is cut
// at its edge or wraps a URL over more than two lines (it wrapped over four, in a window as narrow
// as its widest button).
func TestFallbackWindowIsTidy(t *testing.T) {
	a := test.NewTempApp(t)
	var managers []discovery.Manager
	for i := range 3 {
		url := fmt.Sprintf("http://render-manager-%d.studio.example.com:8080/", i)
		managers = append(managers, discovery.Manager{ID: url, Name: fmt.Sprintf("Studio Farm %d", i), Version: "3.3.1",
			URL: url, Addresses: []string{url}, Reachable: true})
	}
	state := MenuState{
		Discovery: discovery.State{Managers: managers},
		Local:     LocalManager{Problem: "no Manager answers at http://workstation-0042.studio.example.com:8080/"},
	}
	view := buildView(state, MenuActions{Open: func(string) {}, Refresh: func() {}, AddByURL: func() {},
		ToggleAdvertise: func() {}, Settings: func() {}, About: func() {}, Quit: func() {}})
	w := newFallbackWindow(a, view.menu)
	defer w.Close()
	w.Show()
	if got := w.Canvas().Size(); got.Width < fallbackSize.Width || got.Height < fallbackSize.Height {
		t.Errorf("window %v, want %v", got, fallbackSize)
	}
	width := w.Canvas().Size().Width
	lineHeight := fyne.MeasureText("Mg", theme.TextSize(), fyne.TextStyle{}).Height
	found := labels(w.Content(), fyne.Position{})
	if len(found) < 3 {
		t.Fatalf("found %d labels, want the title and the menu's text", len(found))
	}
	sawURL := false
	for label, at := range found {
		if at.X+label.Size().Width > width {
			t.Errorf("%q ends at x=%v, past the window's width %v", label.Text, at.X+label.Size().Width, width)
		}
		lines := (label.MinSize().Height - 2*theme.InnerPadding()) / lineHeight
		if lines > 2.01 {
			t.Errorf("%q takes %.1f lines", label.Text, lines)
		}
		if label.Text == "Flamenco Tray" && label.TextStyle.Bold {
			continue
		}
		sawURL = sawURL || label.Wrapping == fyne.TextWrapWord && len(label.Text) > 50
	}
	if !sawURL {
		t.Errorf("no wrapping label with the local Manager's URL among %d labels", len(found))
	}
	if _, ok := findButton(w.Content(), "Quit"); !ok {
		t.Error("no Quit button")
	}
}
