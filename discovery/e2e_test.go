//go:build linux

package discovery_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ssdpworker"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// The end-to-end tests open real SSDP sockets: each runs in network namespaces made by the harness
// (netns.Main re-runs the test binary under `unshare -n`), and every SSDP socket the package opens is
// refused unless the namespace is isolated. They are not parallel: several bind UDP 1900.
func TestMain(m *testing.M) {
	standin.MaybeRun()
	discovery.SetSocketGuard(isolatedGuard)
	netns.Main(m)
}

// isolatedGuard refuses SSDP sockets in a namespace whose traffic could leave the machine.
func isolatedGuard(purpose string) error {
	if err := netns.CheckIsolated(); err != nil {
		return fmt.Errorf("refusing to open an SSDP %s socket: %w", purpose, err)
	}
	return nil
}

func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

// waitEvent waits for an event that satisfies ok.
func waitEvent(t *testing.T, events <-chan discovery.Event, within time.Duration, ok func(discovery.Event) bool) discovery.Event {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e, open := <-events:
			if !open {
				t.Fatal("event channel closed")
			}
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no matching event within %v", within)
		}
	}
}

func runBrowser(t *testing.T, cfg discovery.BrowserConfig) (*discovery.Browser, <-chan discovery.Event) {
	t.Helper()
	cfg.Logger = testLogger(t)
	return startBrowser(t, cfg)
}

// startBrowser runs a Browser with cfg as given, until the test ends.
func startBrowser(t *testing.T, cfg discovery.BrowserConfig) (*discovery.Browser, <-chan discovery.Event) {
	t.Helper()
	browser := discovery.NewBrowser(cfg)
	events, _ := browser.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- browser.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Browser.Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Browser.Run did not return within 5s of cancel")
		}
	})
	return browser, events
}

func TestSocketGuardRefusesUnisolatedNamespace(t *testing.T) {
	netns.RequireIsolated(t)
	self := netns.Self()
	// An interface the harness did not make (ifb: this kernel may lack the dummy module).
	self.IP(t, "link", "add", "dummy7", "type", "ifb")
	defer self.IP(t, "link", "del", "dummy7")
	if _, err := discovery.NewServer(testLogger(t)); err == nil || !strings.Contains(err.Error(), "dummy7") {
		t.Fatalf("NewServer with a foreign interface present: err = %v, want a refusal naming dummy7", err)
	}
	if _, err := ssdpworker.New(testLogger(t)); err == nil || !strings.Contains(err.Error(), "dummy7") {
		t.Fatalf("ssdpworker.New with a foreign interface present: err = %v, want a refusal naming dummy7", err)
	}
}

func TestWorkerSearchFindsServer(t *testing.T) {
	netns.RequireIsolated(t)
	server, err := discovery.NewServer(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:8080/upnp/description.xml", "http://127.0.0.2:8080/upnp/description.xml"}
	server.AddAdvertisementURLs([]url.URL{{Scheme: "http", Host: "127.0.0.1:8080"}, {Scheme: "http", Host: "127.0.0.2:8080"}})
	ctx, cancel := context.WithCancel(context.Background())
	serverDone := make(chan struct{})
	go func() { defer close(serverDone); server.Run(ctx) }()
	defer func() { cancel(); <-serverDone }()

	client, err := ssdpworker.New(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	searchCtx, searchCancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer searchCancel()
	got, err := client.Run(searchCtx)
	if err != nil {
		t.Fatalf("Searcher.Run: %v", err)
	}
	// Run returns at the first answer; the second may or may not have arrived by then.
	if len(got) == 0 || len(got) > 2 {
		t.Fatalf("got %v", got)
	}
	for _, l := range got {
		if l != want[0] && l != want[1] {
			t.Errorf("unexpected LOCATION %q", l)
		}
	}
	if len(got) == 2 && got[0] == got[1] {
		t.Errorf("duplicate LOCATIONs %v", got)
	}
}

// lanWithManager puts this process and a stand-in Manager on one LAN.
func lanWithManager(t *testing.T, name string) (*netns.Host, *standin.Process, netip.Addr) {
	t.Helper()
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(t)
	addr := lan.Attach(t, managerHost, netns.WithMulticastRoute())
	return managerHost, standin.Start(t, managerHost, name), addr
}

func TestBrowserFindsRemoteManagerOnceAndNoticesItsDeath(t *testing.T) {
	managerHost, manager, managerAddr := lanWithManager(t, "Studio Farm")
	browser, events := runBrowser(t, discovery.BrowserConfig{})

	appeared := waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	wantURL := "http://" + managerAddr.String() + ":8080/"
	if m := appeared.Manager; m.Name != "Studio Farm" || m.Version != "3.3.1" || m.URL != wantURL || m.Local ||
		len(m.Addresses) != 1 || m.Addresses[0] != strings.TrimSuffix(wantURL, "/") {
		t.Fatalf("appeared %+v, want Studio Farm 3.3.1 at %s only (loopback LOCATIONs dropped)", m, wantURL)
	}
	// The Manager answered with three LOCATIONs (LAN, 127.0.0.1, ::1): still one Manager, once the
	// first search window is over.
	waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.SearchWindowClosed })
	if state := browser.State(); len(state.Managers) != 1 {
		t.Fatalf("listed %d Managers, want 1: %+v", len(state.Managers), state.Managers)
	}

	killed := time.Now()
	manager.Kill()
	gone := waitEvent(t, events, 30*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerGone })
	took := time.Since(killed)
	t.Logf("gone %v after SIGKILL", took.Round(100*time.Millisecond))
	if took > 15*time.Second {
		t.Errorf("a dead Manager was listed for %v, want at most 15s", took)
	}
	if gone.Manager.Name != "Studio Farm" {
		t.Errorf("gone: %+v", gone.Manager)
	}

	// It comes back (without SSDP, so only the liveness check can find it).
	standin.Start(t, managerHost, "Studio Farm", standin.WithoutSSDP())
	waitEvent(t, events, 90*time.Second, func(e discovery.Event) bool {
		return e.Kind == discovery.ManagerAppeared && e.Manager.URL == wantURL
	})
}

func TestBrowserChecksKnownManagersWithoutSSDP(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(t)
	addr := lan.Attach(t, managerHost, netns.WithMulticastRoute())
	standin.Start(t, managerHost, "Quiet Farm", standin.WithoutSSDP())

	known := fmt.Sprintf("http://%s:8080/", addr)
	_, events := runBrowser(t, discovery.BrowserConfig{KnownURLs: []string{known, "not a url"}})
	e := waitEvent(t, events, 5*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	if e.Manager.Name != "Quiet Farm" || e.Manager.URL != known {
		t.Errorf("appeared %+v", e.Manager)
	}
}

func TestBrowserSearchesEveryInterfaceNotJustTheDefaultRoute(t *testing.T) {
	netns.RequireIsolated(t)
	// LAN 1 has the Manager; LAN 2, where the default route leads, has only a bystander.
	lan1, lan2 := netns.NewLAN(t), netns.NewLAN(t)
	lan1.Attach(t, netns.Self())
	lan2.Attach(t, netns.Self(), netns.WithDefaultRoute())
	managerHost, bystander := netns.NewHost(t), netns.NewHost(t)
	lan1.Attach(t, managerHost, netns.WithMulticastRoute())
	lan2.Attach(t, bystander, netns.WithMulticastRoute())
	standin.Start(t, managerHost, "Back Room Farm")

	// Flamenco's own search goes where the routing table sends the group: LAN 2, so it finds nothing.
	client, err := ssdpworker.New(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if got, err := client.Run(ctx); err == nil {
		t.Fatalf("gossdp's client found %v through the default route; the test LANs are wrong", got)
	}

	_, events := runBrowser(t, discovery.BrowserConfig{})
	e := waitEvent(t, events, 10*time.Second, func(e discovery.Event) bool { return e.Kind == discovery.ManagerAppeared })
	if e.Manager.Name != "Back Room Farm" {
		t.Errorf("appeared %+v", e.Manager)
	}
}

// ssdpGroup is where SSDP listeners join.
var ssdpGroup = netip.MustParseAddrPort(discovery.MulticastAddress)

// joinListener opens a socket on UDP 1900 in h's namespace that has joined the SSDP group.
func joinListener(t *testing.T, h *netns.Host) *net.UDPConn {
	t.Helper()
	return h.JoinGroup(t, ssdpGroup)
}

// waitSSDP reads listener until an SSDP message of kind arrives.
func waitSSDP(t *testing.T, listener *net.UDPConn, kind discovery.AnswerKind, within time.Duration) discovery.Answer {
	t.Helper()
	buf := make([]byte, 4096)
	listener.SetReadDeadline(time.Now().Add(within))
	for {
		n, src, err := listener.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("waiting for %v: %v", kind, err)
		}
		if a, err := discovery.ParseAnswer(buf[:n], src); err == nil && a.Kind == kind {
			return a
		}
	}
}

func TestServerByebyeReachesListener(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	selfAddr := lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	listenerHost := netns.NewHost(t)
	lan.Attach(t, listenerHost, netns.WithMulticastRoute())
	listener := joinListener(t, listenerHost)

	server, err := discovery.NewServer(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	location := fmt.Sprintf("http://%s:8080/upnp/description.xml", selfAddr)
	server.AddAdvertisementURLs([]url.URL{{Scheme: "http", Host: selfAddr.String() + ":8080"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); server.Run(ctx) }()

	// gossdp announces itself 1s after start; then stop and expect the byebye.
	alive := waitSSDP(t, listener, discovery.AliveNotify, 10*time.Second)
	if alive.Location != location {
		t.Errorf("alive for %q", alive.Location)
	}
	cancel()
	<-done
	bye := waitSSDP(t, listener, discovery.ByebyeNotify, 10*time.Second)
	if bye.Location != location || bye.Source.Addr() != selfAddr {
		t.Errorf("byebye %+v, want for %s from %s", bye, location, selfAddr)
	}
}

func TestServerExplainsTakenPort(t *testing.T) {
	netns.RequireIsolated(t)
	holder, err := net.ListenUDP("udp4", &net.UDPAddr{Port: 1900})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	_, err = discovery.NewServer(testLogger(t))
	if !errors.Is(err, discovery.ErrSSDPPortInUse) {
		t.Fatalf("err = %v, want ErrSSDPPortInUse", err)
	}
	if !strings.Contains(err.Error(), "autodiscoverable") {
		t.Errorf("error does not suggest the likely cause: %v", err)
	}
}

func TestAdvertiserIsFoundFromAnotherHost(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	selfAddr := lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	worker := netns.NewHost(t)
	lan.Attach(t, worker, netns.WithMulticastRoute())
	listener := joinListener(t, worker)
	managerURL := standin.ServeHTTP(t, "Container Farm")

	advertiser := discovery.NewAdvertiser(testLogger(t))
	advertised, err := advertiser.Start(context.Background(), managerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer advertiser.Stop()
	port := managerURL[strings.LastIndex(managerURL, ":")+1 : len(managerURL)-1]
	wantLocation := fmt.Sprintf("http://%s:%s/upnp/description.xml", selfAddr, port)
	if len(advertised.Locations) != 1 || advertised.Locations[0] != wantLocation {
		t.Fatalf("advertised %v, want only %s (the LAN address; no loopback)", advertised.Locations, wantLocation)
	}

	// A Worker-style search from the other host finds it.
	var client *ssdpworker.Searcher
	if err := worker.Do(func() (err error) { client, err = ssdpworker.New(testLogger(t)); return err }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	got, err := client.Run(ctx)
	if err != nil || len(got) != 1 || got[0] != wantLocation {
		t.Fatalf("Worker-style search got %v, %v; want [%s]", got, err, wantLocation)
	}

	advertiser.Stop()
	if bye := waitSSDP(t, listener, discovery.ByebyeNotify, 5*time.Second); bye.Location != wantLocation {
		t.Errorf("byebye for %q", bye.Location)
	}
}

func TestAdvertiserExplainsUnreachableManager(t *testing.T) {
	netns.RequireIsolated(t)
	advertiser := discovery.NewAdvertiser(testLogger(t))
	_, err := advertiser.Start(context.Background(), "http://127.0.0.1:1/")
	if err == nil || !strings.Contains(err.Error(), "no Flamenco Manager answers") {
		t.Fatalf("err = %v", err)
	}
	if advertiser.Current() != nil {
		t.Error("advertising after a failed start")
	}
}

func TestBrowserThatCannotStartSaysWhy(t *testing.T) {
	netns.RequireIsolated(t)
	discovery.SetSocketGuard(func(string) error { return errors.New("no sockets today") })
	defer discovery.SetSocketGuard(func(purpose string) error { return netns.CheckIsolated() })
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: testLogger(t)})
	events, _ := browser.Subscribe()
	if err := browser.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no sockets today") {
		t.Fatalf("Run without a socket: %v", err)
	}
	// The menu shows Problem: a sentence, the error itself goes to the log.
	state := browser.State()
	if state.Searching || !strings.Contains(state.Problem, "cannot open a network socket") || strings.Contains(state.Problem, "no sockets today") {
		t.Errorf("state %+v", state)
	}
	if e := <-events; e.Kind != discovery.SearchWindowClosed {
		t.Errorf("event %v", e)
	}
}
