//go:build linux

package discovery_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ssdpworker"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// BenchmarkDiscovery compares how fast the Browser finds a verified Manager with how fast the seed's
// way (gossdp Client, as Flamenco's Worker searches, then an HTTP check of the first LOCATION) does,
// and counts the M-SEARCHes the Browser sends per interface at start and per hour afterwards. It runs
// its body once whatever b.N is (it takes minutes of real time):
//
//	go test -run '^$' -bench BenchmarkDiscovery -benchtime 1x -count 1 ./discovery/
//
// FLAMENCO_TRAY_BENCH_RUNS sets the number of timed runs of each kind (default 20).
func BenchmarkDiscovery(b *testing.B) {
	netns.RequireIsolated(b)
	runs := 20
	if s := os.Getenv("FLAMENCO_TRAY_BENCH_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("FLAMENCO_TRAY_BENCH_RUNS=%q: want a positive integer", s)
		}
		runs = n
	}
	// The body is one long experiment, run once whatever b.N is; it takes far longer than the default
	// benchtime, so the framework does not ask for a second round.
	benchDiscoveryOnce(b, runs)
}

// never stands for a run that did not get a verified Manager: it sorts last and prints as +Inf.
const never = time.Duration(math.MaxInt64)

func benchDiscoveryOnce(b *testing.B, runs int) {
	// The Manager's LAN is torn down before the M-SEARCH counts, where nothing must answer.
	managerLAN := newBenchScope(b)
	lan := netns.NewLAN(managerLAN)
	lan.Attach(managerLAN, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(managerLAN)
	managerAddr := lan.Attach(managerLAN, managerHost, netns.WithMulticastRoute())
	standin.Start(managerLAN, managerHost, "Bench Farm")
	wantURL := "http://" + managerAddr.String() + ":8080/"

	var ours, seed, seedAnswer []time.Duration
	var notes []string
	oursFailed, seedFailed := 0, 0
	for i := range runs {
		d, err := timeBrowser(b, wantURL)
		if err != nil {
			oursFailed++
			d = never
			notes = append(notes, fmt.Sprintf("ours run %d: %v", i+1, err))
		}
		ours = append(ours, d)
		time.Sleep(1200 * time.Millisecond) // MX 1: the Manager's responder is idle again

		r := timeSeed()
		seed, seedAnswer = append(seed, r.verified), append(seedAnswer, r.answer)
		if r.verified == never {
			seedFailed++
			notes = append(notes, fmt.Sprintf("seed run %d: %v", i+1, r.err))
		} else if r.err != nil {
			notes = append(notes, fmt.Sprintf("seed run %d: %v", i+1, r.err))
		}
		// MX 3: the responder answers one search at a time, each for up to 3 s; the client sends one
		// search a second until the first answer.
		time.Sleep(time.Duration(r.searches) * 3200 * time.Millisecond)
	}
	managerLAN.close()

	// M-SEARCH counts on a LAN where nothing answers: this process, a bystander and a listener.
	silentLAN := netns.NewLAN(b)
	selfAddr := silentLAN.Attach(b, netns.Self(), netns.WithMulticastRoute())
	bystander := netns.NewHost(b)
	silentLAN.Attach(b, bystander, netns.WithMulticastRoute())
	listenerHost := netns.NewHost(b)
	silentLAN.Attach(b, listenerHost, netns.WithMulticastRoute())
	selfIface := selfIfaceOn(b, selfAddr)
	heard := startMSearchCounter(b, listenerHost, selfAddr)

	// (a) The first 10 s, real time. This namespace's one multicast interface is on the silent LAN,
	// so a Browser's searches are its M-SEARCHes on that interface.
	heardBefore := heard.Load()
	sentFirst10s := countRealFirst10s(b)
	time.Sleep(300 * time.Millisecond) // datagrams in flight reach the listener
	heardFirst10s := heard.Load() - heardBefore

	// (b) Per hour afterwards, on a fake clock.
	sentFake10s, sentHour, heardHour := countFakeHour(b, heard)

	oursP50, oursP95 := percentile(ours, 0.50), percentile(ours, 0.95)
	seedP50, seedP95 := percentile(seed, 0.50), percentile(seed, 0.95)
	answerP50, answerP95 := percentile(seedAnswer, 0.50), percentile(seedAnswer, 0.95)
	ratio := durRatio(oursP50, seedP50)
	answerRatio := durRatio(oursP50, answerP50)
	b.ReportMetric(ms(oursP50), "ours_p50_ms")
	b.ReportMetric(ms(oursP95), "ours_p95_ms")
	b.ReportMetric(ms(seedP50), "seed_p50_ms")
	b.ReportMetric(ms(seedP95), "seed_p95_ms")
	b.ReportMetric(ratio, "p50_ratio")
	b.ReportMetric(ms(answerP50), "seed_answer_p50_ms")
	b.ReportMetric(ms(answerP95), "seed_answer_p95_ms")
	b.ReportMetric(answerRatio, "p50_ratio_vs_seed_answer")
	b.ReportMetric(float64(seedFailed), "seed_unverified_runs")
	b.ReportMetric(float64(oursFailed), "ours_unverified_runs")
	b.ReportMetric(float64(heardFirst10s), "msearch_first10s_per_iface")
	b.ReportMetric(float64(sentFirst10s), "msearch_first10s_sent")
	b.ReportMetric(float64(sentHour), "msearch_per_hour_per_iface")
	b.ReportMetric(float64(heardHour), "msearch_per_hour_heard")
	// The built-in ns/op would only confuse: the body runs once and its time is mostly sleeping.
	b.ReportMetric(0, "ns/op")

	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "\nBenchmarkDiscovery: %d runs of each kind, alternated; stand-in Manager at %s\n", runs, wantURL)
	fmt.Fprintf(&t, "Time to first verified Manager (ms)       p50       p95       min       max  unverified\n")
	row := func(name string, ds []time.Duration, failed int) {
		fmt.Fprintf(&t, "  %-38s %8.1f  %8.1f  %8.1f  %8.1f  %d/%d\n", name,
			ms(percentile(ds, 0.5)), ms(percentile(ds, 0.95)), ms(slices.Min(ds)), ms(slices.Max(ds)), failed, len(ds))
	}
	row("ours: Browser MX 1, verified", ours, oursFailed)
	row("seed: Client MX 3 + GET of LOCATIONs", seed, seedFailed)
	row("seed: first answer only (unverified)", seedAnswer, 0)
	fmt.Fprintf(&t, "  p50 ratio ours/seed (verified)          %.3f   target <= 0.5  %s\n", ratio, verdict(ratio <= 0.5))
	fmt.Fprintf(&t, "  p50 ratio ours/seed first answer        %.3f   (seed-favouring bound)  %s\n", answerRatio, verdict(answerRatio <= 0.5))
	fmt.Fprintf(&t, "M-SEARCHes per interface (%s, %s, where nothing answers)\n", selfIface, selfAddr)
	fmt.Fprintf(&t, "  first 10 s, real clock                  heard %d, sent %d   target <= 2   %s\n",
		heardFirst10s, sentFirst10s, verdict(heardFirst10s <= 2 && sentFirst10s <= 2))
	fmt.Fprintf(&t, "  first 10 s, fake clock                  sent %d\n", sentFake10s)
	fmt.Fprintf(&t, "  per hour after (sim. 10 s..3610 s)      sent %d, heard %d  target <= 12  %s\n",
		sentHour, heardHour, verdict(sentHour <= 12 && heardHour <= 12))
	fmt.Fprintf(&t, "ours runs (ms):        %s\n", msList(ours))
	fmt.Fprintf(&t, "seed runs (ms):        %s\n", msList(seed))
	fmt.Fprintf(&t, "seed answer runs (ms): %s\n", msList(seedAnswer))
	for i, n := range notes {
		if i == 5 {
			fmt.Fprintf(&t, "  ... and %d more\n", len(notes)-i)
			break
		}
		fmt.Fprintf(&t, "  %s\n", n)
	}
	fmt.Print(t.String())
}

// timeBrowser measures one Browser from its start to its first ManagerAppeared, which must be for
// wantURL. Run must return promptly once cancelled, or the benchmark fails.
func timeBrowser(b *testing.B, wantURL string) (time.Duration, error) {
	start := time.Now()
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: zerolog.Nop()})
	events, _ := browser.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- browser.Run(ctx) }()
	defer func() {
		cancel()
		waitRun(b, done)
	}()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case e, open := <-events:
			if !open {
				return 0, fmt.Errorf("event channel closed before a Manager appeared")
			}
			if e.Kind == discovery.ManagerAppeared {
				took := time.Since(start)
				if e.Manager.URL != wantURL {
					return 0, fmt.Errorf("appeared %s, want %s", e.Manager.URL, wantURL)
				}
				return took, nil
			}
		case <-deadline:
			return 0, fmt.Errorf("no Manager within 15s")
		}
	}
}

type seedRun struct {
	answer   time.Duration // start to Searcher.Run returning LOCATIONs (never if it did not)
	verified time.Duration // start to the first LOCATION that verified (never if none did)
	searches int           // M-SEARCHes the client sent (one a second until the first answer)
	err      error         // why it did not verify, or that a later LOCATION than the first did
}

// timeSeed measures the seed's way, as Flamenco's Worker does it: the gossdp Client's search, then an
// HTTP check of the LOCATIONs it returned, in order; the first that answers is the Manager.
func timeSeed() seedRun {
	start := time.Now()
	r := seedRun{answer: never, verified: never, searches: 1}
	client, err := ssdpworker.New(zerolog.Nop())
	if err != nil {
		r.err = err
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	locations, err := client.Run(ctx)
	elapsed := time.Since(start)
	r.searches = 1 + int(elapsed/time.Second)
	if err != nil {
		r.err = fmt.Errorf("Searcher.Run: %w", err)
		return r
	}
	r.answer = elapsed
	prober := discovery.NewProber(discovery.DefaultProbeTimeout)
	defer prober.CloseIdleConnections()
	var errs []string
	for i, location := range locations {
		base, err := managerapi.BaseURL(location)
		if err == nil {
			_, err = prober.Probe(ctx, base)
		}
		if err == nil {
			r.verified = time.Since(start)
			if i > 0 {
				r.err = fmt.Errorf("first LOCATION of %v did not verify (%s); %s did", locations, errs[0], location)
			}
			return r
		}
		errs = append(errs, err.Error())
	}
	r.err = fmt.Errorf("Searcher.Run returned %v after %v; none verified: %s", locations,
		elapsed.Round(time.Millisecond), strings.Join(errs, "; "))
	return r
}

// countRealFirst10s runs a Browser on the real clock for 10 s and returns the M-SEARCHes its log says
// it sent.
func countRealFirst10s(b *testing.B) int {
	log := newBrowserLog(io.Discard)
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: log.logger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- browser.Run(ctx) }()
	time.Sleep(10 * time.Second)
	sent := log.searches()
	cancel()
	waitRun(b, done)
	return sent
}

// countFakeHour runs a Browser on a fake clock: the first 10 s in 500 ms steps, then an hour in 10 s
// steps. It returns the M-SEARCHes its log says it sent in the first 10 s and in the hour after, and
// how many the listener heard in that hour.
func countFakeHour(b *testing.B, heard *atomic.Int64) (first10s, hour int, heardHour int64) {
	clock := fakeclock.New(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	log := newBrowserLog(io.Discard)
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: log.logger(), Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- browser.Run(ctx) }()
	defer func() {
		cancel()
		waitRun(b, done)
	}()

	settle := func() int {
		waitIdle(b, clock, browser)
		return log.searches()
	}
	settle()
	for range 20 {
		clock.Advance(500 * time.Millisecond)
		settle()
	}
	first10s = settle()
	time.Sleep(300 * time.Millisecond) // real time: datagrams in flight reach the listener
	heardBefore := heard.Load()
	for range 360 {
		clock.Advance(10 * time.Second)
		settle()
	}
	hour = settle() - first10s
	time.Sleep(300 * time.Millisecond) // real time: datagrams in flight reach the listener
	return first10s, hour, heard.Load() - heardBefore
}

func waitRun(b *testing.B, done <-chan error) {
	select {
	case err := <-done:
		if err != nil {
			b.Errorf("Browser.Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		b.Fatal("Browser.Run did not return within 10s of cancel")
	}
}

// selfIfaceOn returns the name of this namespace's interface that has addr.
func selfIfaceOn(b *testing.B, addr netip.Addr) string {
	ifaces, err := net.Interfaces()
	if err != nil {
		b.Fatal(err)
	}
	for _, ifi := range ifaces {
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipnet.IP); ok && ip.Unmap() == addr {
					return ifi.Name
				}
			}
		}
	}
	b.Fatalf("no interface has %s", addr)
	return ""
}

// startMSearchCounter listens for SSDP in h's namespace and counts the M-SEARCHes from "from" until
// the benchmark ends.
func startMSearchCounter(b *testing.B, h *netns.Host, from netip.Addr) *atomic.Int64 {
	conn := h.JoinGroup(b, ssdpGroup)
	count := new(atomic.Int64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 8192)
		for {
			n, src, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed at cleanup
			}
			if src.Addr().Unmap() == from && strings.HasPrefix(string(buf[:n]), "M-SEARCH") {
				count.Add(1)
			}
		}
	}()
	b.Cleanup(func() {
		conn.Close()
		wg.Wait()
	})
	return count
}

// percentile returns the nearest-rank p-quantile of ds (0 for none).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 {
	if d == never {
		return math.Inf(1)
	}
	return float64(d) / float64(time.Millisecond)
}

// durRatio returns a/b, treating never as infinitely long.
func durRatio(a, b time.Duration) float64 {
	switch {
	case a == never && b == never, b == 0:
		return math.NaN()
	case b == never:
		return 0
	case a == never:
		return math.Inf(1)
	}
	return float64(a) / float64(b)
}

func msList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strconv.FormatFloat(ms(d), 'f', 0, 64)
	}
	return strings.Join(parts, " ")
}

// benchScope is a testing.TB whose cleanups run when close is called (or at the end of the benchmark
// at the latest), so that a LAN and its stand-in can go before the benchmark ends. It keeps the
// stand-in's log to itself unless the benchmark fails: logging per search would only add noise.
type benchScope struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	logs     []string
	closed   bool
}

func newBenchScope(tb testing.TB) *benchScope {
	s := &benchScope{TB: tb}
	tb.Cleanup(s.close)
	return s
}

func (s *benchScope) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

func (s *benchScope) Log(args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs = append(s.logs, fmt.Sprint(args...))
}

func (s *benchScope) Logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs = append(s.logs, fmt.Sprintf(format, args...))
}

func (s *benchScope) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	cleanups := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	if s.TB.Failed() {
		s.mu.Lock()
		logs := s.logs
		s.mu.Unlock()
		for _, l := range logs {
			s.TB.Log(l)
		}
	}
}
