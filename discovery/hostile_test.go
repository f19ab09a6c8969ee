//go:build linux

package discovery_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

func TestBrowserSurvivesHostileManagers(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	for _, behaviour := range []string{standin.Hang, standin.Trickle, standin.Huge, standin.Redirect, standin.Shape} {
		h := netns.NewHost(t)
		lan.Attach(t, h, netns.WithMulticastRoute())
		standin.Start(t, h, "hostile-"+behaviour, standin.Hostile(behaviour))
	}
	real := netns.NewHost(t)
	lan.Attach(t, real, netns.WithMulticastRoute())
	standin.Start(t, real, "Studio Farm")

	browser, events := runBrowser(t, discovery.BrowserConfig{})
	appeared := waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	if appeared.Manager.Name != "Studio Farm" {
		t.Fatalf("listed %+v", appeared.Manager)
	}
	// Let every hostile endpoint run out its tricks (trickle, timeouts, retries).
	deadline := time.After(15 * time.Second)
	for {
		select {
		case e := <-events:
			if strings.HasPrefix(e.Manager.Name, "hostile") || strings.HasPrefix(e.Manager.Name, "Trickle") {
				t.Errorf("a hostile endpoint was listed: %+v", e)
			}
			continue
		case <-deadline:
		}
		break
	}
	state := browser.State()
	if len(state.Managers) != 1 || state.Managers[0].Name != "Studio Farm" || !state.Managers[0].Reachable {
		t.Errorf("listed %+v, want only a reachable Studio Farm", state.Managers)
	}
}

// flood answers every M-SEARCH it hears with count forged answers, each with another LOCATION, until
// stop is called; stop returns how many it sent.
func flood(t *testing.T, h *netns.Host, count int) (stop func() int) {
	t.Helper()
	listener := joinListener(t, h)
	done := make(chan int, 1)
	go func() {
		buf := make([]byte, 2048)
		sent := 0
		for {
			listener.SetReadDeadline(time.Now().Add(30 * time.Second))
			n, src, err := listener.ReadFromUDPAddrPort(buf)
			if err != nil {
				done <- sent
				return
			}
			if !strings.HasPrefix(string(buf[:n]), "M-SEARCH") {
				continue
			}
			for i := range count {
				// Mostly our own address on ever new ports; some other hosts of the LAN, some off it.
				host := h.Addr.String()
				switch i % 10 {
				case 7:
					host = fmt.Sprintf("10.77.%d.%d", h.Addr.As4()[2], 2+i%250)
				case 8:
					host = fmt.Sprintf("203.0.113.%d", 1+i%250)
				}
				msg := fmt.Sprintf("HTTP/1.1 200 OK\r\nST: %s\r\nUSN: uuid:%s::%s\r\nLOCATION: http://%s:%d/upnp/description.xml\r\nCACHE-CONTROL: max-age=3600\r\n\r\n",
					discovery.ServiceType, discovery.DeviceUUID, discovery.ServiceType, host, 10000+i%50000)
				if _, err := listener.WriteToUDPAddrPort([]byte(msg), src); err == nil {
					sent++
				}
			}
		}
	}()
	return func() int {
		listener.Close()
		return <-done
	}
}

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

func TestBrowserStaysBoundedUnderAFlood(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	managerHost, attacker := netns.NewHost(t), netns.NewHost(t)
	lan.Attach(t, managerHost, netns.WithMulticastRoute())
	lan.Attach(t, attacker, netns.WithMulticastRoute())
	standin.Start(t, managerHost, "Studio Farm")
	// Every forged LOCATION the Browser follows is the attacker's address on a port nothing listens
	// on: each of its checks is one connection attempt there.
	asked := countSYNs(t, attacker)
	stopFlood := flood(t, attacker, 10000)
	heapBefore := heapMiB()

	browser, events := runBrowser(t, discovery.BrowserConfig{})
	waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	// A refresh makes the attacker flood again.
	browser.Refresh()
	start := time.Now()
	for time.Since(start) < 15*time.Second {
		state := browser.State()
		if len(state.Managers) != 1 || state.Managers[0].Name != "Studio Farm" || !state.Managers[0].Reachable {
			t.Fatalf("during the flood: %+v", state.Managers)
		}
		time.Sleep(100 * time.Millisecond)
	}
	checks, followed := asked.counts()
	heapAfter := heapMiB()
	elapsed := time.Since(start) + 2*time.Second // the flood began with the first search
	t.Logf("flood: checked %d of the attacker's addresses, %d times in %v, heap %.1f → %.1f MiB",
		followed, checks, elapsed.Round(time.Second), heapBefore, heapAfter)
	// One machine may have at most 16 of its addresses followed (the registry's maxLocationsPerSource).
	if followed > 16 {
		t.Errorf("followed %d of the attacker's addresses, bound is 16 per machine", followed)
	}
	// Checks of new addresses: a burst of 20 then 10 a second.
	if limit := 20 + int(10*elapsed.Seconds()) + 2; checks > limit {
		t.Errorf("%d checks of the attacker's addresses in %v, more than the rate limit allows (%d)", checks, elapsed, limit)
	}
	if heapAfter-heapBefore > 20 {
		t.Errorf("heap grew by %.1f MiB during the flood", heapAfter-heapBefore)
	}
	t.Logf("the attacker sent %d forged answers", stopFlood())
}
