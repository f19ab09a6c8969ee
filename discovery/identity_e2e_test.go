//go:build linux

package discovery_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// fakeDNS is the injected resolver: a studio's DNS, whose answers a test can change.
type fakeDNS struct {
	mu    sync.Mutex
	names map[string][]netip.Addr
}

func (d *fakeDNS) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if addrs, ok := d.names[host]; ok {
		return slices.Clone(addrs), nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// eventLog keeps every event of a Browser, so that a test can look back at all of them.
type eventLog struct {
	mu  sync.Mutex
	all []discovery.Event
	in  <-chan discovery.Event
}

// next waits for the next event that satisfies ok, keeping every event it reads.
func (l *eventLog) next(t *testing.T, within time.Duration, what string, ok func(discovery.Event) bool) discovery.Event {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e, open := <-l.in:
			if !open {
				t.Fatal("event channel closed")
			}
			l.mu.Lock()
			l.all = append(l.all, e)
			l.mu.Unlock()
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s within %v; events so far: %v", what, within, l.all)
		}
	}
}

// checkOneEntry fails unless every Manager event in the log is of the Manager id, and the only
// ManagerAppeared is the first.
func (l *eventLog) checkOneEntry(t *testing.T, id string) {
	t.Helper()
	appeared := 0
	for _, e := range l.all {
		if e.Kind == discovery.SearchWindowClosed {
			continue
		}
		if e.Manager.ID != id || e.Kind == discovery.ManagerGone {
			t.Errorf("%v (ID %q): want only events of the one entry %q, none gone", e, e.Manager.ID, id)
		}
		if e.Kind == discovery.ManagerAppeared {
			appeared++
		}
	}
	if appeared != 1 {
		t.Errorf("%d ManagerAppeared events, want 1: %v", appeared, l.all)
	}
}

// TestBrowserListsAManagerGivenByNameAndFoundAtItsAddressOnce: a Manager set by host name
// (http://farmhost:8080/, as IT's list or a user writes it) and found by searching at its address,
// real SSDP on a namespace LAN, the name resolved by the injected resolver. In either order it is one
// entry with one ID throughout: no ManagerAppeared for the second address (no "Manager found"
// notification, no second watcher), opening the address the user gave.
func TestBrowserListsAManagerGivenByNameAndFoundAtItsAddressOnce(t *testing.T) {
	for _, nameFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "name first", false: "address first"}[nameFirst], func(t *testing.T) {
			_, _, addr := lanWithManager(t, "Studio Farm")
			dns := &fakeDNS{names: map[string][]netip.Addr{"farmhost": {addr}}}
			byName, byAddress := "http://farmhost:8080/", fmt.Sprintf("http://%s:8080", addr)
			output := testBrowserLog(t)
			cfg := discovery.BrowserConfig{Logger: output.logger(), Resolver: dns}
			if nameFirst {
				cfg.ManualURLs = []string{byName}
			}
			browser, events := startBrowser(t, cfg)
			log := &eventLog{in: events}

			first := log.next(t, 10*time.Second, "Manager listed", func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
			if nameFirst {
				if first.Manager.URL != byName {
					t.Fatalf("appeared %+v, want the Manager at %s", first.Manager, byName)
				}
				browser.Refresh() // remembered Managers answered, so the start-up search was skipped
			} else if err := browser.AddManual(context.Background(), byName); err != nil {
				t.Fatal(err)
			}
			joined := log.next(t, 15*time.Second, "entry with both addresses", func(e discovery.Event) bool {
				return e.Kind != discovery.SearchWindowClosed && slices.Contains(e.Manager.Addresses, byAddress) &&
					slices.Contains(e.Manager.Addresses, strings.TrimSuffix(byName, "/"))
			})
			if joined.Manager.URL != byName || joined.Manager.Host != "farmhost" || !joined.Manager.Manual {
				t.Errorf("joined entry %+v, want it opening %s, added by hand", joined.Manager, byName)
			}

			// Both addresses are checked again, and nothing changes: the checks' results are all in, and
			// the browser's loop that took the last of them has published what it changed.
			checks := output.checks()
			deadline := time.Now().Add(20 * time.Second)
			for output.checks() < checks+4 || browser.State().PendingChecks > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no further checks: %+v", browser.State())
				}
				time.Sleep(100 * time.Millisecond)
			}
			log.all = append(log.all, drain(events)...)
			log.checkOneEntry(t, first.Manager.ID)
			if ms := browser.State().Managers; len(ms) != 1 || ms[0].ID != first.Manager.ID || ms[0].URL != byName {
				t.Errorf("listed %+v, want the one entry %q at %s", ms, first.Manager.ID, byName)
			}
		})
	}
}

// TestBrowserSplitsTheEntryWhenTheNameMoves: the Manager given by name moves to another machine and
// DNS says so; the old machine still answers. The entry keeps its ID and its name, and the old
// machine's address is listed on its own.
func TestBrowserSplitsTheEntryWhenTheNameMoves(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	oldHost, newHost := netns.NewHost(t), netns.NewHost(t)
	oldAddr := lan.Attach(t, oldHost, netns.WithMulticastRoute())
	newAddr := lan.Attach(t, newHost, netns.WithMulticastRoute())
	standin.Start(t, oldHost, "Studio Farm")
	standin.Start(t, newHost, "Studio Farm", standin.WithoutSSDP())
	dns := &fakeDNS{names: map[string][]netip.Addr{"farmhost": {oldAddr}}}
	byName, oldURL := "http://farmhost:8080/", fmt.Sprintf("http://%s:8080/", oldAddr)
	browser, events := runBrowser(t, discovery.BrowserConfig{Resolver: dns, ManualURLs: []string{byName}})
	log := &eventLog{in: events}
	first := log.next(t, 10*time.Second, "Manager listed", func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	browser.Refresh()
	log.next(t, 15*time.Second, "entry with both addresses", func(e discovery.Event) bool {
		return e.Kind == discovery.ManagerChanged && len(e.Manager.Addresses) == 2
	})

	dns.mu.Lock()
	dns.names["farmhost"] = []netip.Addr{newAddr}
	dns.mu.Unlock()
	browser.Refresh() // a lookup comes with every check asked for
	split := log.next(t, 15*time.Second, "old address listed on its own", func(e discovery.Event) bool {
		return e.Kind == discovery.ManagerAppeared
	})
	if split.Manager.URL != oldURL || split.Manager.ID == first.Manager.ID {
		t.Errorf("appeared %+v (ID %q), want the old machine at %s under an ID of its own", split.Manager, split.Manager.ID, oldURL)
	}
	ms := browser.State().Managers
	i := slices.IndexFunc(ms, func(m discovery.Manager) bool { return m.ID == first.Manager.ID })
	if i < 0 || ms[i].URL != byName || !slices.Equal(ms[i].Addresses, []string{strings.TrimSuffix(byName, "/")}) {
		t.Errorf("listed %+v, want the entry %q still at %s alone", ms, first.Manager.ID, byName)
	}
}
