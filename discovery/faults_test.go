//go:build linux

package discovery_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// fastChanges is the default search policy with interface changes noticed within a second.
var fastChanges = func() discovery.SearchPolicy {
	p := discovery.DefaultSearchPolicy
	p.InterfaceCheck = 500 * time.Millisecond
	p.ChangeJitter = 500 * time.Millisecond
	return p
}()

func TestBrowserFollowsNetworkChanges(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	managerHost := netns.NewHost(t)
	lan.Attach(t, managerHost, netns.WithMulticastRoute())
	standin.Start(t, managerHost, "Studio Farm")

	// Start with no LAN interface at all: nothing to find.
	browser, events := runBrowser(t, discovery.BrowserConfig{Search: fastChanges})
	waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.SearchWindowClosed })
	if n := len(browser.State().Managers); n != 0 {
		t.Fatalf("%d Managers before any LAN", n)
	}

	// An interface that appears after start is searched on.
	self := netns.Self()
	lan.Attach(t, self, netns.WithMulticastRoute())
	waitEvent(t, events, 15*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })

	// The interface goes down (a laptop's Wi-Fi, a cable): the Manager is shown not answering, but it
	// is not gone, since no check could reach its network. It comes back up: the Manager answers again
	// without any SSDP answer having to arrive (known addresses are checked at once on a change).
	self.IP(t, "link", "set", self.Iface, "down")
	waitEvent(t, events, 20*time.Second, func(e discovery.Event) bool {
		if e.Kind == discovery.ManagerGone {
			t.Fatalf("gone while this machine was off the network: %v", e)
		}
		return e.Kind == discovery.ManagerChanged && !e.Manager.Reachable
	})
	offline := time.After(12 * time.Second) // more than it takes to remove a Manager whose checks fail
	for waiting := true; waiting; {
		select {
		case e := <-events:
			if e.Kind == discovery.ManagerGone {
				t.Fatalf("gone while this machine was off the network: %v", e)
			}
		case <-offline:
			waiting = false
		}
	}
	self.IP(t, "link", "set", self.Iface, "up")
	waitEvent(t, events, 15*time.Second, func(e discovery.Event) bool {
		if e.Kind == discovery.ManagerAppeared || e.Kind == discovery.ManagerGone {
			t.Fatalf("%v: the Manager was listed all along", e)
		}
		return e.Kind == discovery.ManagerChanged && e.Manager.Reachable
	})

	// Our address changes: the Manager is listed and reachable from the new one.
	newAddr := netip.AddrFrom4([4]byte{self.Addr.As4()[0], self.Addr.As4()[1], self.Addr.As4()[2], 200})
	self.IP(t, "addr", "del", self.Addr.String()+"/24", "dev", self.Iface)
	self.IP(t, "addr", "add", newAddr.String()+"/24", "dev", self.Iface)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms := browser.State().Managers
		if len(ms) == 1 && ms[0].Reachable && ms[0].Name == "Studio Farm" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the address change: %+v", ms)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Two Managers of one name on two machines, one of them also on a second network this computer is
// on: one entry per machine, the multihomed one with both of its addresses (each network's answer
// names the other's address: mutual claims), the twin on its own (a name is not an identity). A
// restart on another port replaces the old entries.
func TestBrowserListsTwinsAndMultihomedManagersByAddress(t *testing.T) {
	netns.RequireIsolated(t)
	lan1, lan2 := netns.NewLAN(t), netns.NewLAN(t)
	lan1.Attach(t, netns.Self(), netns.WithMulticastRoute())
	lan2.Attach(t, netns.Self())
	// Two Managers with the same name on two machines; one of them is on both networks.
	twinA, twinB := netns.NewHost(t), netns.NewHost(t)
	addrA := lan1.Attach(t, twinA, netns.WithMulticastRoute())
	addrA2 := lan2.Attach(t, twinA)
	addrB := lan1.Attach(t, twinB, netns.WithMulticastRoute())
	managerA := standin.Start(t, twinA, "Twin Farm")
	standin.Start(t, twinB, "Twin Farm")

	policy := fastChanges
	policy.GoneJitter = time.Second // the search that follows a Manager's going finds it elsewhere
	browser, events := runBrowser(t, discovery.BrowserConfig{Search: policy})
	waitFor := func(what string, ok func([]discovery.Manager) bool) []discovery.Manager {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ms := browser.State().Managers
			if ok(ms) {
				return ms
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: listed %+v", what, ms)
			}
			select {
			case <-events:
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	entries := func(ms []discovery.Manager) map[string]int {
		seen := map[string]int{}
		for _, m := range ms {
			addrs := slices.Clone(m.Addresses)
			slices.Sort(addrs)
			seen[strings.Join(addrs, " ")]++
		}
		return seen
	}
	base := func(a netip.Addr, port string) string { return "http://" + a.String() + ":" + port }
	pair := func(port string) string {
		addrs := []string{base(addrA, port), base(addrA2, port)}
		slices.Sort(addrs)
		return strings.Join(addrs, " ")
	}
	waitFor("twins", func(ms []discovery.Manager) bool {
		e := entries(ms)
		if len(ms) != 2 || e[pair("8080")] != 1 || e[base(addrB, "8080")] != 1 {
			return false
		}
		for _, m := range ms {
			if !m.Ambiguous || m.Name != "Twin Farm" {
				return false
			}
		}
		return true
	})

	// Twin A restarts on another port: its old entries go, the new ones are found.
	managerA.Kill()
	standin.Start(t, twinA, "Twin Farm", standin.WithPort(9090))
	waitFor("restart on port 9090", func(ms []discovery.Manager) bool {
		e := entries(ms)
		return len(ms) == 2 && e[pair("9090")] == 1 && e[base(addrB, "8080")] == 1
	})
}
