//go:build linux

package discovery_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// settled waits until the goroutine count drops to at most want, and returns the last count.
func settled(want int) int {
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAdvertiserStartStop200TimesLeaksNothing(t *testing.T) {
	netns.RequireIsolated(t)
	managerURL := standin.ServeHTTP(t, "Loop Farm")
	advertiser := discovery.NewAdvertiser(zerolog.Nop()) // t.Log keeps every line in memory: it would count as growth

	const cycles = 200
	cycle := func() {
		t.Helper()
		advertised, err := advertiser.Start(context.Background(), managerURL)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		if len(advertised.Locations) == 0 {
			t.Fatal("nothing advertised")
		}
		if _, err := advertiser.Start(context.Background(), managerURL); err != discovery.ErrAlreadyAdvertising {
			t.Fatalf("second Start: %v", err)
		}
		advertiser.Stop()
		advertiser.Stop() // twice is fine
	}
	// Warm up: HTTP keep-alive connections, lazily started runtime goroutines.
	for range 5 {
		cycle()
	}
	goroutines, files, heap := settled(0), openFiles(t), heapInUse()

	for range cycles {
		cycle()
	}
	gotGoroutines, gotFiles, gotHeap := settled(goroutines), openFiles(t), heapInUse()
	t.Logf("after %d start/stop cycles: goroutines %d → %d, open files %d → %d, heap in use %d KiB → %d KiB",
		cycles, goroutines, gotGoroutines, files, gotFiles, heap>>10, gotHeap>>10)
	if gotGoroutines > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines grew from %d to %d:\n%s", goroutines, gotGoroutines, buf[:runtime.Stack(buf, true)])
	}
	if gotFiles > files {
		t.Errorf("open files grew from %d to %d", files, gotFiles)
	}
	if gotHeap > heap+1<<20 {
		t.Errorf("heap in use grew from %d KiB to %d KiB", heap>>10, gotHeap>>10)
	}
}

func TestAdvertiserStopsWhenTheManagerStops(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	selfAddr := lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	listenerHost := netns.NewHost(t)
	lan.Attach(t, listenerHost, netns.WithMulticastRoute())
	listener := joinListener(t, listenerHost)

	listen, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: standin.Handler("Fragile Farm")}
	go srv.Serve(listen)
	port := listen.Addr().(*net.TCPAddr).Port

	advertiser := discovery.NewAdvertiser(testLogger(t))
	ad, err := advertiser.Start(context.Background(), fmt.Sprintf("http://localhost:%d/", port))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	select {
	case <-ad.Done():
	case <-time.After(30 * time.Second): // two failed checks, 10 s apart, and room to spare
		t.Fatal("still advertising 30 s after the Manager stopped")
	}
	if err := ad.StopReason(); !errors.Is(err, discovery.ErrManagerStoppedAnswering) {
		t.Errorf("StopReason = %v, want ErrManagerStoppedAnswering", err)
	}
	if err := ad.ByebyeErr(); err != nil {
		t.Errorf("ByebyeErr = %v", err)
	}
	if advertiser.Current() != nil {
		t.Error("Current says still advertising")
	}
	want := fmt.Sprintf("http://%s:%d/upnp/description.xml", selfAddr, port)
	if bye := waitSSDP(t, listener, discovery.ByebyeNotify, 5*time.Second); bye.Location != want {
		t.Errorf("byebye for %q, want %q", bye.Location, want)
	}
}

// hangingManager serves a version endpoint that never answers; entered receives once per request.
func hangingManager(t *testing.T) (url string, entered <-chan struct{}) {
	t.Helper()
	requests := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case requests <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/", requests
}

func TestAdvertiserStopCancelsAStartStuckInACheck(t *testing.T) {
	netns.RequireIsolated(t)
	managerURL, entered := hangingManager(t)
	advertiser := discovery.NewAdvertiser(testLogger(t))

	started := make(chan error, 1)
	go func() {
		_, err := advertiser.Start(context.Background(), managerURL)
		started <- err
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("Start never checked the Manager")
	}
	stopAt := time.Now()
	advertiser.Stop()
	stopTook := time.Since(stopAt)
	var err error
	select {
	case err = <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return within 5s of Stop")
	}
	startTook := time.Since(stopAt)
	t.Logf("Stop returned %v after it was called, Start %v after, with %v", stopTook, startTook, err)
	if stopTook > 200*time.Millisecond || startTook > 200*time.Millisecond {
		t.Errorf("Stop took %v and Start returned %v after Stop; want both within 200ms", stopTook, startTook)
	}
	if !errors.Is(err, discovery.ErrStopped) {
		t.Errorf("Start after Stop: %v, want ErrStopped", err)
	}
	if advertiser.Current() != nil {
		t.Error("advertising after a stopped start")
	}
}

// recordSocketPurposes makes the package's socket guard also record what each SSDP socket is for.
func recordSocketPurposes(t *testing.T) func() []string {
	var mu sync.Mutex
	var purposes []string
	discovery.SetSocketGuard(func(purpose string) error {
		mu.Lock()
		purposes = append(purposes, purpose)
		mu.Unlock()
		return isolatedGuard(purpose)
	})
	t.Cleanup(func() { discovery.SetSocketGuard(isolatedGuard) })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(purposes)
	}
}

func TestAdvertiserRefusesAManagerThatAdvertisesItself(t *testing.T) {
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	advertiser := discovery.NewAdvertiser(testLogger(t))
	purposes := recordSocketPurposes(t)

	// A Manager with its own discovery on, on this machine: asked, it answers; UDP 1900 is not bound.
	selfAdvertising := standin.Start(t, netns.Self(), "Desk Farm", standin.WithPort(8080))
	asked := time.Now()
	_, err := advertiser.Start(context.Background(), "http://localhost:8080/")
	t.Logf("refused after %v: %v", time.Since(asked).Round(time.Millisecond), err)
	if !errors.Is(err, discovery.ErrAlreadyAdvertised) {
		t.Errorf("Start = %v, want ErrAlreadyAdvertised", err)
	}
	if slices.Contains(purposes(), "server") {
		t.Errorf("Start bound UDP 1900 (sockets opened: %v)", purposes())
	}

	// Another Manager on this machine holds UDP 1900: its answers are not taken for ours.
	standin.Start(t, netns.Self(), "Quiet Farm", standin.WithPort(8081), standin.WithoutSSDP())
	if _, err := advertiser.Start(context.Background(), "http://localhost:8081/"); !errors.Is(err, discovery.ErrSSDPPortInUse) {
		t.Errorf("Start with another Manager's responder on UDP 1900 = %v, want ErrSSDPPortInUse", err)
	}

	// Without SSDP on this machine (nothing on UDP 1900: a quick "no"), it advertises.
	if err := selfAdvertising.Stop(); err != nil {
		t.Fatal(err)
	}
	asked = time.Now()
	ad, err := advertiser.Start(context.Background(), "http://localhost:8081/")
	if err != nil {
		t.Fatalf("Start without SSDP on this machine: %v", err)
	}
	t.Logf("advertising after %v", time.Since(asked).Round(time.Millisecond))
	if ad.Manager.Name != "Quiet Farm" {
		t.Errorf("advertising %+v", ad.Manager)
	}
	advertiser.Stop()
	if err := ad.ByebyeErr(); err != nil {
		t.Errorf("ByebyeErr = %v", err)
	}
}
