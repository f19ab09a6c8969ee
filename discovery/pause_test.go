//go:build linux

package discovery_test

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// waitIdle waits until the browser waits on the fake clock with no HTTP check or lookup pending:
// every loop of the browser ends by publishing its state and then making a timer, so once a timer is
// waiting and nothing is pending, everything the last clock step caused has happened. No sleeps.
func waitIdle(t testing.TB, clock *fakeclock.Clock, browser *discovery.Browser) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		changed := clock.Changed()
		if clock.Waiting() > 0 && browser.State().PendingChecks == 0 {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the browser did not settle: %d timers waiting, state %+v", clock.Waiting(), browser.State())
		}
	}
}

// drain returns the events already delivered, without waiting.
func drain(events <-chan discovery.Event) []discovery.Event {
	var got []discovery.Event
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return got
			}
			if e.Kind != discovery.SearchWindowClosed {
				got = append(got, e)
			}
		default:
			return got
		}
	}
}

// A laptop that sleeps (or a process that is stopped) for 20 s while its Manager stays up: on the
// browser's clock 20 s pass at once. It must check first and decide after: no event at all.
func TestBrowserAfterAPauseChecksBeforeItDecides(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	listen, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var checks atomic.Int32 // the checks the Manager answered
	handler := standin.Handler("Night Farm")
	manager := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checks.Add(1)
		handler.ServeHTTP(w, r)
	})}
	go manager.Serve(listen)
	defer manager.Close()
	managerURL := fmt.Sprintf("http://%s/", listen.Addr())

	clock := fakeclock.New(time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC))
	browser, events := runBrowser(t, discovery.BrowserConfig{Clock: clock, KnownURLs: []string{managerURL}})
	waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	waitIdle(t, clock, browser)
	checksBefore := checks.Load()

	clock.Advance(20 * time.Second)
	waitIdle(t, clock, browser)
	if checks.Load() == checksBefore {
		t.Fatal("no check after the pause: the test proves nothing")
	}
	// Then a while of normal running, in steps well below every interval.
	for range 30 {
		clock.Advance(time.Second)
		waitIdle(t, clock, browser)
	}
	if got := drain(events); len(got) != 0 {
		t.Errorf("events after a pause, with the Manager up all along: %v", got)
	}

	// The same browser does notice a Manager that really stopped: the test can fail.
	manager.Close()
	var gone bool
	for step := 0; step < 30 && !gone; step++ {
		clock.Advance(time.Second)
		waitIdle(t, clock, browser)
		for _, e := range drain(events) {
			gone = gone || e.Kind == discovery.ManagerGone
		}
	}
	if !gone {
		t.Error("a Manager that stopped was not reported gone within 30 s of fake time")
	}
}
