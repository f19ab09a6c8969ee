package app

import (
	"slices"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/rs/zerolog"
)

// sentNotifications keeps every notification the windows ask for.
type sentNotifications struct {
	mu   sync.Mutex
	sent []string
}

func (n *sentNotifications) notify(title, body string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, title+": "+body)
}

func (n *sentNotifications) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.sent)
}

// A second click raises a window rather than opening another; the window shown without a tray host
// shows the latest menu, and a second launch is told where the tray is.
func TestWindowsOpenOnceAndTheFallbackShowsTheLatestMenu(t *testing.T) {
	a := test.NewTempApp(t)
	sent := &sentNotifications{}
	before := len(a.Driver().AllWindows())
	w := newWindows(t.Context(), a, zerolog.Nop(), "1.2.3", "", windowActions{Connections: func() []string { return nil },
		Notify: sent.notify})
	w.ShowAbout()
	w.ShowAbout()
	if n := len(a.Driver().AllWindows()) - before; n != 1 {
		t.Errorf("%d windows after two clicks on About, want 1", n)
	}
	w.ShowItself()

	w.SetMenu(fyne.NewMenu("", fyne.NewMenuItem("Studio Farm", nil)))
	w.ShowFallback(true)
	w.SetMenu(fyne.NewMenu("", fyne.NewMenuItem("Render Farm", nil)))
	windows := a.Driver().AllWindows()
	if n := len(windows) - before; n != 2 {
		t.Fatalf("%d windows, want About and the fallback", n)
	}
	var texts []string
	for label := range labels(windows[len(windows)-1].Content(), fyne.Position{}) {
		texts = append(texts, label.Text)
	}
	if !slices.Contains(texts, "Render Farm") || slices.Contains(texts, "Studio Farm") {
		t.Errorf("the fallback window shows %q, want the latest menu", texts)
	}
	w.ShowItself()
	w.ShowFallback(false)
	w.ShowItself()

	want := []string{"Flamenco Tray is already running: Its menu is in the system tray.",
		"Flamenco Tray is already running: Its window is open.", "Flamenco Tray is already running: Its menu is in the system tray."}
	if got := sent.all(); !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
}
