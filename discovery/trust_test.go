package discovery_test

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/standin"
)

// impostor plays a hostile host at addr on h: it answers /api/v3/version on port 8080 as a Manager
// named name, and answers every M-SEARCH with the given LOCATIONs, at once and again 1.5 s later
// (after the real Manager, which waits up to MX 1, has answered too). It returns how many M-SEARCHes
// it answered in full.
func impostor(t *testing.T, h *netns.Host, addr netip.Addr, name string, locations []string) *atomic.Int32 {
	t.Helper()
	var web net.Listener
	var reply *net.UDPConn
	err := h.Do(func() (err error) {
		if web, err = net.Listen("tcp4", netip.AddrPortFrom(addr, 8080).String()); err != nil {
			return err
		}
		reply, err = net.ListenUDP("udp4", &net.UDPAddr{IP: addr.AsSlice()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: standin.Handler(name)}
	go srv.Serve(web)
	t.Cleanup(func() { srv.Close(); reply.Close() })

	listener := joinListener(t, h)
	var answered atomic.Int32
	go func() {
		buf := make([]byte, 2048)
		for {
			n, searcher, err := listener.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if !strings.HasPrefix(string(buf[:n]), "M-SEARCH") {
				continue
			}
			go func() {
				for round := range 2 {
					if round == 1 {
						time.Sleep(1500 * time.Millisecond)
					}
					for _, location := range locations {
						msg := fmt.Sprintf("HTTP/1.1 200 OK\r\nST: %s\r\nUSN: uuid:%s::%s\r\nLOCATION: %s\r\nCACHE-CONTROL: max-age=3600\r\nEXT:\r\n\r\n",
							discovery.ServiceType, discovery.DeviceUUID, discovery.ServiceType, location)
						reply.WriteToUDPAddrPort([]byte(msg), searcher)
					}
				}
				answered.Add(1)
			}()
		}
	}()
	return &answered
}

// TestImpostorCannotTakeOverAManager plays the attack on a LAN of three machines: the real "Studio
// Farm", the artist's tray, and an impostor whose address sorts before the Manager's as a string
// (10.77.N.100 < 10.77.N.2), which answers /api/v3/version as "Studio Farm" too. Clicking "Studio
// Farm" must never open the impostor's page, and the impostor never joins the real entry.
func TestImpostorCannotTakeOverAManager(t *testing.T) {
	for _, tc := range []struct {
		name               string
		announcesItselfToo bool
	}{
		{"announcing its own address and the Manager's", true},
		{"announcing only the Manager's address", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			netns.RequireIsolated(t)
			lan := netns.NewLAN(t)
			lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
			managerHost, attacker := netns.NewHost(t), netns.NewHost(t)
			managerAddr := lan.Attach(t, managerHost, netns.WithMulticastRoute())
			lan.Attach(t, attacker, netns.WithMulticastRoute())
			fakeAddr := netip.AddrFrom4([4]byte{managerAddr.As4()[0], managerAddr.As4()[1], managerAddr.As4()[2], 100})
			attacker.IP(t, "addr", "add", fakeAddr.String()+"/24", "dev", attacker.Iface)
			if !(fakeAddr.String() < managerAddr.String()) {
				t.Fatalf("the impostor's address %s does not sort before the Manager's %s as a string", fakeAddr, managerAddr)
			}
			standin.Start(t, managerHost, "Studio Farm")
			realURL := fmt.Sprintf("http://%s:8080/", managerAddr)
			fakeURL := fmt.Sprintf("http://%s:8080/", fakeAddr)
			locations := []string{realURL + "upnp/description.xml"}
			if tc.announcesItselfToo {
				locations = append([]string{fakeURL + "upnp/description.xml"}, locations...)
			}
			answered := impostor(t, attacker, fakeAddr, "Studio Farm", locations)

			browser, _ := runBrowser(t, discovery.BrowserConfig{})
			want := 1
			if tc.announcesItselfToo {
				want = 2
			}
			deadline := time.Now().Add(15 * time.Second)
			for answered.Load() == 0 || len(browser.State().Managers) < want || browser.State().PendingChecks > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("impostor answered %d searches; listed %+v", answered.Load(), browser.State().Managers)
				}
				time.Sleep(50 * time.Millisecond)
			}

			managers := browser.State().Managers
			if len(managers) != want {
				t.Fatalf("listed %+v, want %d entries", managers, want)
			}
			var real discovery.Manager
			for _, m := range managers {
				if m.Host == managerAddr.String() {
					real = m
				}
				for _, address := range m.Addresses {
					if m.Host != strings.TrimSuffix(strings.TrimPrefix(address, "http://"), ":8080") {
						t.Errorf("entry %q at %s also lists %s, another machine's address", m.Name, m.Host, address)
					}
				}
			}
			if real.URL != realURL || real.Name != "Studio Farm" || !real.Reachable {
				t.Errorf("the real Manager's entry is %+v, want it opening %s", real, realURL)
			}
			if real.Ambiguous != tc.announcesItselfToo {
				t.Errorf("Ambiguous = %v with %d entries named Studio Farm", real.Ambiguous, want)
			}
		})
	}
}
