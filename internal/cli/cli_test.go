//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

// The command tests run the commands in-process against real sockets in harness namespaces.
func TestMain(m *testing.M) {
	standin.MaybeRun()
	workerstandin.MaybeRun()
	netns.Main(m)
}

// testVersion is the version the tests run the commands as.
const testVersion = "0.0.0-test"

func runCommand(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(ctx, args, &out, &errOut, testVersion)
	return code, out.String(), errOut.String()
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := runCommand(context.Background(), "version"); code != 0 || !strings.HasPrefix(out, "flamenco-tray ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := runCommand(context.Background(), "frobnicate"); code != 2 || !strings.Contains(errOut, "Usage:") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := runCommand(context.Background(), "discover", "--timeout", "-1s"); code != 2 {
		t.Errorf("negative timeout: exit %d, want 2", code)
	}
}

func TestDiscoverPrintsManagers(t *testing.T) {
	_, addr := standin.OnLAN(t, "Studio Farm")

	code, out, errOut := runCommand(context.Background(), "discover", "--json", "--timeout", "5s")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var managers []struct {
		Name, Version, URL string
		Addresses          []string
		Local, Reachable   bool
	}
	if err := json.Unmarshal([]byte(out), &managers); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	wantURL := fmt.Sprintf("http://%s:8080/", addr)
	if len(managers) != 1 || managers[0].Name != "Studio Farm" || managers[0].URL != wantURL || !managers[0].Reachable {
		t.Fatalf("got %+v, want Studio Farm at %s", managers, wantURL)
	}

	code, out, _ = runCommand(context.Background(), "discover")
	if code != 0 || !strings.Contains(out, "Studio Farm\t3.3.1\t"+wantURL) {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}
}

func TestDiscoverExplainsNothingFound(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	start := time.Now()
	code, out, errOut := runCommand(context.Background(), "discover", "--timeout", "10s")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, hint := range []string{"multicast", "firewall", "autodiscoverable"} {
		if !strings.Contains(errOut, hint) {
			t.Errorf("message does not mention %s:\n%s", hint, errOut)
		}
	}
	// It stops when the first search window (search, retry) is over, not at --timeout.
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("took %v with nothing to find", took)
	}
}

func TestDiscoverWatchPrintsEvents(t *testing.T) {
	manager, _ := standin.OnLAN(t, "Watched Farm")

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testio.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"discover", "--watch", "--json"}, &out, &errOut, testVersion) }()
	testio.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(out.String(), `"event":"appeared"`) })
	manager.Kill()
	testio.WaitFor(t, 20*time.Second, func() bool { return strings.Contains(out.String(), `"event":"gone"`) })
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after interrupt; stderr:\n%s", code, errOut.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e struct {
			Event   string
			Manager struct{ Name string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Manager.Name != "Watched Farm" {
			t.Errorf("line %q: %v", line, err)
		}
	}
}

func TestAdvertiseErrors(t *testing.T) {
	netns.RequireIsolated(t)
	code, _, errOut := runCommand(context.Background(), "advertise", "--manager", "http://127.0.0.1:1/")
	if code != 1 || !strings.Contains(errOut, "no Flamenco Manager answers at http://127.0.0.1:1") {
		t.Errorf("unreachable Manager: exit %d, %q", code, errOut)
	}

	managerURL := standin.ServeHTTP(t, "Busy Farm")
	holder, err := net.ListenUDP("udp4", &net.UDPAddr{Port: 1900})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	code, _, errOut = runCommand(context.Background(), "advertise", "--manager", managerURL)
	if code != 1 || !strings.Contains(errOut, discovery.ErrSSDPPortInUse.Error()) || !strings.Contains(errOut, "autodiscoverable") {
		t.Errorf("taken port: exit %d, %q", code, errOut)
	}
}

func TestAdvertiseUntilInterrupted(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	selfAddr := lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	peer := netns.NewHost(t)
	lan.Attach(t, peer, netns.WithMulticastRoute())
	listener := peer.JoinGroup(t, netip.MustParseAddrPort(discovery.MulticastAddress))
	managerURL := standin.ServeHTTP(t, "Local Farm")
	port := managerURL[strings.LastIndex(managerURL, ":")+1 : len(managerURL)-1]
	wantLocation := fmt.Sprintf("http://%s:%s/upnp/description.xml", selfAddr, port)

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testio.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"advertise", "--manager", managerURL}, &out, &errOut, testVersion) }()
	testio.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(out.String(), "Press Ctrl+C") })
	if !strings.Contains(out.String(), `"Local Farm"`) || !strings.Contains(out.String(), wantLocation) {
		t.Errorf("output:\n%s", out.String())
	}
	cancel() // what SIGINT does through signal.NotifyContext
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "sent ssdp:byebye") {
			t.Errorf("exit %d, output:\n%s\n%s", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("advertise did not stop within 10s of the interrupt")
	}
	// What it printed is what another machine received.
	if bye := standin.WaitByebye(t, listener, wantLocation, 5*time.Second); bye.Source.Addr() != selfAddr {
		t.Errorf("byebye from %s, want from %s", bye.Source, selfAddr)
	}
}

func TestAdvertiseSaysWhenByebyeWasNotSent(t *testing.T) {
	netns.RequireIsolated(t)
	managerURL := standin.ServeHTTP(t, "Local Farm")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testio.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"advertise", "--manager", managerURL}, &out, &errOut, testVersion) }()
	testio.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(out.String(), "Press Ctrl+C") })

	// No interface left to multicast the byebye on (the namespace has only lo).
	netns.Self().IP(t, "link", "set", "lo", "multicast", "off")
	t.Cleanup(func() { netns.Self().IP(t, "link", "set", "lo", "multicast", "on") })
	cancel()
	select {
	case code := <-done:
		if code == 0 || strings.Contains(out.String(), "sent ssdp:byebye") || !strings.Contains(out.String(), "NOT sent") ||
			!strings.Contains(errOut.String(), discovery.ErrByebyeNotSent.Error()) {
			t.Errorf("exit %d, output:\n%s\n%s", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("advertise did not stop within 10s of the interrupt")
	}
}

// A Manager that multicast cannot reach (its discovery off, over a VPN) is listed with --manager,
// marked as added by hand; one that does not answer is named, with exit 1.
func TestDiscoverListsManagersAddedByHand(t *testing.T) {
	netns.RequireIsolated(t)
	managerURL := standin.ServeHTTP(t, "VPN Farm")
	code, out, errOut := runCommand(context.Background(), "discover", "--json", "--timeout", "3s", "--manager", managerURL)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var managers []struct {
		Name, URL     string
		Manual, Local bool
	}
	if err := json.Unmarshal([]byte(out), &managers); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(managers) != 1 || managers[0].Name != "VPN Farm" || !managers[0].Manual {
		t.Errorf("listed %+v, want VPN Farm added by hand", managers)
	}

	code, out, errOut = runCommand(context.Background(), "discover", "--manager", managerURL, "--manager", "http://127.0.0.1:1/")
	if code != 1 || out != "" || !strings.Contains(errOut, "no Flamenco Manager answers at http://127.0.0.1:1") ||
		strings.Contains(errOut, managerURL) {
		t.Errorf("one URL that does not answer: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if code, _, errOut := runCommand(context.Background(), "discover", "--manager", "ftp://nas/"); code != 2 {
		t.Errorf("an ftp URL: exit %d, %s", code, errOut)
	}
}

// trayHomes holds the home folders of the tests that read the tray's settings. Reading them creates
// a Fyne app, whose file watchers recreate a watched folder that is removed: the folders go when the
// test binary ends, not at each test's end.
var trayHomes = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "flamenco-tray-cli-homes-")
	if err == nil {
		netns.AtExit(func() { os.RemoveAll(dir) })
	}
	return dir, err
})

// trayHome gives the test a home folder of its own, with no tray settings yet, and returns it.
func trayHome(t *testing.T) string {
	t.Helper()
	root, err := trayHomes()
	if err != nil {
		t.Fatal(err)
	}
	home, err := os.MkdirTemp(root, "home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	return home
}
