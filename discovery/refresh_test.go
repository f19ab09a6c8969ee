//go:build linux

package discovery_test

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// searchCounter counts the M-SEARCHes a host of the LAN hears.
type searchCounter struct {
	heard atomic.Int32
	more  chan struct{} // a token per M-SEARCH heard
}

func countSearches(t *testing.T, listener *net.UDPConn) *searchCounter {
	c := &searchCounter{more: make(chan struct{}, 64)}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, _, err := listener.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:n]), "M-SEARCH") {
				c.heard.Add(1)
				c.more <- struct{}{}
			}
		}
	}()
	return c
}

// waitHeard waits until the LAN heard an M-SEARCH the Browser says it sent.
func (c *searchCounter) waitHeard(t *testing.T, want int32) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for c.heard.Load() < want {
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("the LAN heard %d M-SEARCHes, want %d", c.heard.Load(), want)
		}
	}
}

// TestSearchAgainSearchesAtOnceEvenEarly clicks "Search again" (Browser.Refresh) in the first seconds
// after start, on the Browser's fake clock: each click sends an M-SEARCH, heard on the LAN, at once or
// at the latest when the answers of the search before it are in (the answer window of MX 1), never
// later, and never not at all.
func TestSearchAgainSearchesAtOnceEvenEarly(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	self := netns.Self()
	lan.Attach(t, self, netns.WithMulticastRoute())
	listenerHost := netns.NewHost(t)
	lan.Attach(t, listenerHost, netns.WithMulticastRoute())
	heard := countSearches(t, joinListener(t, listenerHost))
	remembered := standin.ServeHTTP(t, "Desk Farm")
	window := discovery.DefaultSearchPolicy.RetryAfter

	for _, tc := range []struct {
		name    string
		known   []string
		clickAt time.Duration // after start
	}{
		{"nothing found, after the start-up search and its retry", nil, 5 * time.Second},
		{"a remembered Manager answered, so no search was sent at start", []string{remembered}, 2 * time.Second},
		{"a remembered Manager, clicked before its grace ended", []string{remembered}, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := heard.heard.Load()
			clock := fakeclock.New(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
			log := testBrowserLog(t)
			browser, _ := startBrowser(t, discovery.BrowserConfig{Logger: log.logger(), Clock: clock, KnownURLs: tc.known})
			waitIdle(t, clock, browser)
			for elapsed := time.Duration(0); elapsed < tc.clickAt; elapsed += 100 * time.Millisecond {
				clock.Advance(100 * time.Millisecond)
				waitIdle(t, clock, browser)
			}
			sent := log.searches // each round goes out on the LAN too
			before := sent()
			heard.waitHeard(t, base+int32(before)) // every search sent so far is on the wire

			if waited := click(t, clock, browser, sent, window); waited > 0 {
				t.Errorf("clicked %v after start: the M-SEARCH went out %v later, want at once", tc.clickAt, waited)
			}
			heard.waitHeard(t, base+int32(before)+1)

			// Clicked again at once: the answers of the search just sent are not in yet, so the next
			// one waits for them, and then goes out.
			if waited := click(t, clock, browser, sent, window); waited != window {
				t.Errorf("clicked again at once: the M-SEARCH went out %v later, want %v", waited, window)
			}
			heard.waitHeard(t, base+int32(before)+2)
		})
	}
}

// click clicks "Search again" and moves the fake clock in steps of 100 ms until the Browser sent an
// M-SEARCH, for at most within; it returns how long that took on the clock.
func click(t *testing.T, clock *fakeclock.Clock, browser *discovery.Browser, sent func() int, within time.Duration) time.Duration {
	t.Helper()
	before := sent()
	taken := clock.Changed() // the Browser's loop stops its timer when the click wakes it
	browser.Refresh()
	select {
	case <-taken:
	case <-time.After(5 * time.Second):
		t.Fatal("the click did not wake the Browser")
	}
	waitIdle(t, clock, browser)
	var waited time.Duration
	for ; sent() == before && waited < within; waited += 100 * time.Millisecond {
		clock.Advance(100 * time.Millisecond)
		waitIdle(t, clock, browser)
	}
	if sent() == before {
		t.Fatalf("no M-SEARCH within %v of the click (%d before it)", within, before)
	}
	return waited
}
