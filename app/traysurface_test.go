package app

import (
	"context"
	"slices"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/rs/zerolog"
)

// fakeDesk counts what the tray sends to the tray host.
type fakeDesk struct {
	mu           sync.Mutex
	menus, icons int
	menu         *fyne.Menu
	newMenus     int // menus other than the first given: Fyne's tray start-up would show the first
}

func (d *fakeDesk) SetSystemTrayMenu(m *fyne.Menu) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.menus++
	if d.menu != nil && m != d.menu {
		d.newMenus++
	}
	d.menu = m
}

func (d *fakeDesk) SetSystemTrayIcon(fyne.Resource) { d.mu.Lock(); d.icons++; d.mu.Unlock() }
func (d *fakeDesk) SetSystemTrayWindow(fyne.Window) {}

func (d *fakeDesk) sent() (menus, icons int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.menus, d.icons
}

func TestTrayResendsTheMenuOnlyWhenItChanges(t *testing.T) {
	test.NewTempApp(t) // fyne.Do runs on the test driver
	desk := &fakeDesk{}
	var mu sync.Mutex
	var state MenuState
	snapshot := func() MenuState { mu.Lock(); defer mu.Unlock(); return state }
	change := func(f func(*MenuState)) { mu.Lock(); defer mu.Unlock(); f(&state) }
	requests := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rebuildLoop(ctx, requests, snapshot, MenuActions{}, newTraySurface(desk, zerolog.Nop(), func(*fyne.Menu) {}))
	}()
	t.Cleanup(func() { cancel(); <-done })
	// requests holds one: the second of two blocking sends returns once the loop took the first,
	// the third once it handled it.
	rebuild := func() {
		for range 3 {
			requests <- struct{}{}
		}
	}
	expect := func(step string, menus, icons int) {
		t.Helper()
		if m, i := desk.sent(); m != menus || i != icons {
			t.Errorf("%s: %d menus and %d icons sent, want %d and %d", step, m, i, menus, icons)
		}
	}

	rebuild()
	expect("first", 1, 1)
	rebuild()
	expect("nothing changed", 1, 1)
	change(func(s *MenuState) { s.Local.URL = "http://localhost:9090/" }) // not shown
	rebuild()
	expect("a change that is not shown", 1, 1)
	change(func(s *MenuState) { s.Local = LocalManager{URL: "http://localhost:9090/", Info: studioInfo} })
	rebuild()
	expect("the local Manager answers", 2, 1)
	change(func(s *MenuState) { s.Advertising = Advertising{Active: true, Name: studioInfo.Name} })
	rebuild()
	expect("advertising", 3, 2)
	desk.mu.Lock()
	defer desk.mu.Unlock()
	if desk.newMenus > 0 {
		t.Errorf("%d menus other than the first were given to Fyne", desk.newMenus)
	}
	if got := render(desk.menu, 0); !slices.Contains(got, "Advertise “Studio Farm” on the LAN [x]") {
		t.Errorf("the menu given to Fyne is not the latest: %q", got)
	}
}
