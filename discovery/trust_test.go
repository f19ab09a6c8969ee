//go:build linux

package discovery_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
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
// (10.77.N.100 < 10.77.N.2), which answers /api/v3/version as "Studio Farm" too. The entry that opens
// the real Manager's page must stay the real Manager's alone, and the impostor never joins it.
func TestImpostorCannotTakeOverAManager(t *testing.T) {
	for _, tc := range []struct {
		name               string
		announcesItselfToo bool
	}{
		{"announcing its own address and the Manager's", true},
		// The real Manager announces its address itself too, so this case passed before as well.
		{"announcing only the Manager's address", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			netns.RequireIsolated(t)
			lan := netns.NewLAN(t)
			lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
			managerHost, attacker := netns.NewHost(t), netns.NewHost(t)
			managerAddr := lan.Attach(t, managerHost, netns.WithMulticastRoute())
			fakeAddr := attachImpostor(t, lan, attacker, managerAddr)
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
			managers := waitListed(t, browser, answered, want)
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
				t.Errorf("Ambiguous = %v with %d entries", real.Ambiguous, want)
			}
		})
	}
}

// TestImpostorCannotMakeTheTrayProbeAnotherHost: an impostor names the address of a Manager that
// does not advertise itself (its discovery is off). That host is never contacted, let alone listed
// under the impostor's entry.
func TestImpostorCannotMakeTheTrayProbeAnotherHost(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	quietHost, attacker := netns.NewHost(t), netns.NewHost(t)
	quietAddr := lan.Attach(t, quietHost, netns.WithMulticastRoute())
	fakeAddr := attachImpostor(t, lan, attacker, quietAddr)
	var requests atomic.Int32
	var web net.Listener
	if err := quietHost.Do(func() (err error) { web, err = net.Listen("tcp4", ":8080"); return err }); err != nil {
		t.Fatal(err)
	}
	quiet := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		standin.Handler("Studio Farm").ServeHTTP(w, r)
	})}
	go quiet.Serve(web)
	t.Cleanup(func() { quiet.Close() })
	answered := impostor(t, attacker, fakeAddr, "Studio Farm", []string{
		fmt.Sprintf("http://%s:8080/upnp/description.xml", fakeAddr),
		fmt.Sprintf("http://%s:8080/upnp/description.xml", quietAddr),
	})

	// Each answer naming the quiet host is refused as it arrives, and only a followed address is ever
	// checked: once both answers of every search the impostor answered were refused, none can bring
	// a check.
	quietLocation := fmt.Sprintf("http://%s:8080/upnp/description.xml", quietAddr)
	refused := &linesWith{parts: []string{"not following SSDP answer", quietLocation}}
	browser, _ := startBrowser(t, discovery.BrowserConfig{
		Logger: zerolog.New(io.MultiWriter(zerolog.NewTestWriter(t), refused)).Level(zerolog.DebugLevel)})
	managers := waitListed(t, browser, answered, 1)
	deadline := time.Now().Add(10 * time.Second)
	for n := answered.Load(); refused.count() < 2*int(n); n = answered.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("the impostor answered %d searches, each naming the quiet host twice; %d refusals logged", n, refused.count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the impostor answered %d searches; %d answers naming the quiet host were refused", answered.Load(), refused.count())
	if n := requests.Load(); n != 0 {
		t.Errorf("the host only the impostor named got %d HTTP requests", n)
	}
	if len(managers) != 1 || managers[0].Host != fakeAddr.String() || len(managers[0].Addresses) != 1 {
		t.Errorf("listed %+v, want only the impostor's own address", managers)
	}
}

// attachImpostor attaches the attacker to the LAN with an extra address that sorts before victim's
// as a string, and returns that address.
func attachImpostor(t *testing.T, lan *netns.LAN, attacker *netns.Host, victim netip.Addr) netip.Addr {
	t.Helper()
	lan.Attach(t, attacker, netns.WithMulticastRoute())
	fake := netip.AddrFrom4([4]byte{victim.As4()[0], victim.As4()[1], victim.As4()[2], 100})
	attacker.IP(t, "addr", "add", fake.String()+"/24", "dev", attacker.Iface)
	if !(fake.String() < victim.String()) {
		t.Fatalf("the impostor's address %s does not sort before %s as a string", fake, victim)
	}
	return fake
}

// waitListed waits until the impostor answered a search, want Managers are listed and no check is
// pending, and returns them.
func waitListed(t *testing.T, browser *discovery.Browser, answered *atomic.Int32, want int) []discovery.Manager {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		state := browser.State()
		if answered.Load() > 0 && len(state.Managers) >= want && state.PendingChecks == 0 {
			return state.Managers
		}
		if time.Now().After(deadline) {
			t.Fatalf("impostor answered %d searches; listed %+v", answered.Load(), state.Managers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// linesWith counts the log lines written to it that contain every one of parts.
type linesWith struct {
	parts []string
	mu    sync.Mutex
	n     int
}

func (w *linesWith) Write(p []byte) (int, error) {
	line := string(p)
	for _, part := range w.parts {
		if !strings.Contains(line, part) {
			return len(p), nil
		}
	}
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
	return len(p), nil
}

func (w *linesWith) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}
