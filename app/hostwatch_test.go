package app

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// runHostWatch runs a trayHostWatch over watch in the test's bubble; shown returns, once the bubble
// is idle, what it showed (true) and hid (false) so far.
func runHostWatch(t *testing.T, hasTray bool, watch func(ctx context.Context, hostUp func(bool)) error) (shown func() []bool) {
	var mu sync.Mutex
	var visible []bool
	ctx, cancel := context.WithCancel(t.Context())
	o := newOwner(ctx)
	t.Cleanup(func() { cancel(); o.wait() })
	h := trayHostWatch{log: zerolog.New(zerolog.NewTestWriter(t)), owner: o, hasTray: hasTray,
		watch: watch, show: func(v bool) { mu.Lock(); visible = append(visible, v); mu.Unlock() }}
	o.Go(h.Run)
	return func() []bool {
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(visible)
	}
}

// hostsFrom is a tray-host watch that starts with no host and then reports what hosts says.
func hostsFrom(hosts <-chan bool) func(ctx context.Context, hostUp func(bool)) error {
	return func(ctx context.Context, hostUp func(bool)) error {
		hostUp(false)
		for {
			select {
			case <-ctx.Done():
				return nil
			case up := <-hosts:
				hostUp(up)
			}
		}
	}
}

// The window waits for a panel at start, hides when one comes, and shows again only when a panel
// that went is not back within waitForHostBack.
func TestTrayHostWatchShowsTheWindowOnlyWhileNoHostIsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hosts := make(chan bool)
		shown := runHostWatch(t, true, hostsFrom(hosts))
		expect := func(step string, want ...bool) {
			t.Helper()
			if got := shown(); !slices.Equal(got, want) {
				t.Errorf("%s: shown %v, want %v", step, got, want)
			}
		}
		time.Sleep(waitForHostAtStart - time.Nanosecond)
		expect("waiting for a panel at start")
		time.Sleep(time.Nanosecond)
		expect("no panel came", true)
		hosts <- true
		expect("a panel came", true, false)
		hosts <- false
		time.Sleep(waitForHostBack / 2)
		hosts <- true
		expect("the panel restarted", true, false)
		time.Sleep(waitForHostBack)
		expect("past the wait for a panel that went, with the panel back", true, false)
		hosts <- false
		time.Sleep(waitForHostBack)
		expect("the panel went", true, false, true)
	})
}

// A panel that comes before the wait at start is over cancels it: no window then, nor later.
func TestTrayHostWatchShowsNoWindowWhenThePanelComesInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hosts := make(chan bool)
		shown := runHostWatch(t, true, hostsFrom(hosts))
		time.Sleep(2 * time.Second) // the panel comes late, but in time
		hosts <- true
		time.Sleep(10 * waitForHostAtStart)
		if got := shown(); slices.Contains(got, true) {
			t.Errorf("shown %v with a panel up since 2 s after start, want no window", got)
		}
	})
}

// Where no host can come (a driver without a tray, no session bus), the window shows at once.
func TestTrayHostWatchShowsTheWindowAtOnceWhenNoHostCanCome(t *testing.T) {
	for name, hasTray := range map[string]bool{"no tray in the driver": false, "no session bus": true} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				shown := runHostWatch(t, hasTray, func(context.Context, func(bool)) error { return errors.New("no D-Bus session bus") })
				if got := shown(); !slices.Equal(got, []bool{true}) {
					t.Errorf("shown %v, want the window at once", got)
				}
			})
		})
	}
}
