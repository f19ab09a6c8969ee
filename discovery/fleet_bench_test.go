//go:build linux

package discovery_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ssdpworker"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// BenchmarkFleet asks whether a studio full of trays slows down Flamenco's Worker: every Manager's
// SSDP responder (gossdp's Server) answers M-SEARCHes strictly one at a time, each after sleeping a
// random 0..MX seconds, so every tray's search delays every Worker's. For each fleet size N it runs N
// tray Browsers in this process (each with its own socket) next to a stand-in Manager on one LAN, and
// times a Worker-style searcher (ssdpworker: gossdp's client, MX 3, one M-SEARCH a second, done
// at the first answer) on another host, K times; first with no trays, as the baseline. A listener on a
// fourth host counts the fleet's M-SEARCHes as they cross the LAN. Target: with 200 trays the
// searcher's p50 stays within 1.2x of its p50 with none.
//
// Time is compressed: the trays' periodic search Interval is divided by FLAMENCO_TRAY_FLEET_SCALE
// (default 10: 5 min -> 30 s), so that their periodic searches happen while the searcher is timed.
// RetryAfter and the responder's cost per M-SEARCH (the MX 1 sleep) stay real, so N compressed trays
// load the responder like N*scale trays on the real policy: the table says so ("load like"), and gives
// the fleet's M-SEARCH rate both as measured and divided by the scale (the rate N real trays send).
// To measure a real fleet of M trays, run M/scale compressed ones.
//
// Trays start at random (seeded) offsets spread over one compressed Interval, so their start-up
// searches are already the steady-state stream (one search per tray per Interval, random phases);
// the searcher is timed once every tray has listed the Manager (or 30 s after the last start). Runs
// are made independent: the searcher keeps sending one M-SEARCH a second until answered, and each
// holds the responder up to 3 s, so after each run a probe M-SEARCH (MX 1, like a tray's) is sent and
// its answer awaited: FIFO, so the searcher's leftovers have then been served. A size whose responder
// does not drain within 20 s, or whose searches time out (15 s) 3 times in a row, is saturated.
//
//	go test -run '^$' -bench BenchmarkFleet -benchtime 1x -count 1 -timeout 30m ./discovery/
//
// FLAMENCO_TRAY_FLEET_SIZES (default "10,50,200") picks the fleet sizes, FLAMENCO_TRAY_FLEET_RUNS
// (default 10) the timed searches per size, FLAMENCO_TRAY_FLEET_SCALE (default 10) the compression.
// It runs its body once whatever b.N is; the default takes about 6 minutes.
func BenchmarkFleet(b *testing.B) {
	netns.RequireIsolated(b)
	runs := fleetEnvInt(b, "FLAMENCO_TRAY_FLEET_RUNS", 10)
	scale := fleetEnvInt(b, "FLAMENCO_TRAY_FLEET_SCALE", 10)
	sizes := []int{10, 50, 200}
	if s := os.Getenv("FLAMENCO_TRAY_FLEET_SIZES"); s != "" {
		sizes = nil
		for f := range strings.SplitSeq(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 1000 {
				b.Fatalf("FLAMENCO_TRAY_FLEET_SIZES=%q: want comma-separated sizes in 1..1000", s)
			}
			sizes = append(sizes, n)
		}
	}
	benchFleetOnce(b, runs, scale, sizes)
}

func fleetEnvInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

const (
	// fleetSearchTimeout bounds one timed search; a search that times out counts as never.
	fleetSearchTimeout = 15 * time.Second
	// fleetGiveUpAfter consecutive timed-out searches end the runs for that size: the responder is
	// saturated and more runs would only burn minutes.
	fleetGiveUpAfter = 3
	// fleetListWait is how long after the last tray started the benchmark waits for every tray to list
	// the Manager before it times the searcher anyway.
	fleetListWait = 30 * time.Second
	// fleetDrainWithin bounds the wait for the responder to serve the searches queued before a probe
	// between runs; past it the responder is taken as saturated.
	fleetDrainWithin = 20 * time.Second
	// fleetDrainBetweenSizes bounds the same wait after a fleet stopped, before the next size starts.
	fleetDrainBetweenSizes = 90 * time.Second
)

// fleetRow is one line of the table.
type fleetRow struct {
	n        int
	listed   int
	searches []time.Duration // never for a timed-out search
	timeouts int
	drains   []time.Duration // how long each drain probe between runs waited for its answer
	skipped  int             // runs not made after fleetGiveUpAfter timeouts in a row
	window   time.Duration   // how long the fleet's M-SEARCHes were counted
	heard    int64           // fleet M-SEARCHes the listener heard in window
	sent     int             // fleet M-SEARCHes the Browsers say they sent on the LAN interface in window
	leaked   int             // goroutines left after the fleet stopped
	notes    []string
}

func benchFleetOnce(b *testing.B, runs, scale int, sizes []int) {
	began := time.Now()
	scope := newBenchScope(b) // keeps the stand-in's log quiet unless the benchmark fails
	lan := netns.NewLAN(scope)
	selfAddr := lan.Attach(scope, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(scope)
	managerAddr := lan.Attach(scope, managerHost, netns.WithMulticastRoute())
	standin.Start(scope, managerHost, "Fleet Farm")
	wantURL := "http://" + managerAddr.String() + ":8080/"
	worker := netns.NewHost(scope)
	workerAddr := lan.Attach(scope, worker, netns.WithMulticastRoute())
	listenerHost := netns.NewHost(scope)
	lan.Attach(scope, listenerHost, netns.WithMulticastRoute())
	counter := startFleetCounter(b, listenerHost)
	defer scope.close()

	policy := discovery.DefaultSearchPolicy
	policy.Interval /= time.Duration(scale)
	policy.IntervalWhileListed /= time.Duration(scale)
	rng := rand.New(rand.NewPCG(2025, 1))

	// Baseline first: no trays.
	heard0 := counter.from(selfAddr)
	base := fleetRow{n: 0}
	fleetTimeSearches(&base, worker, listenerHost, wantURL, runs)
	if h := counter.from(selfAddr) - heard0; h != 0 {
		base.notes = append(base.notes, fmt.Sprintf("heard %d M-SEARCHes from the tray host with no trays running", h))
	}
	rows := []fleetRow{base}
	for i, n := range sizes {
		row := fleetMeasure(b, n, policy, rng, selfAddr, counter, worker, listenerHost, wantURL, runs)
		if i < len(sizes)-1 {
			// The stopped fleet's searches still queued at the responder must not meet the next one.
			if took, err := fleetDrain(listenerHost, fleetDrainBetweenSizes); err != nil {
				b.Fatalf("after N=%d: %v", n, err)
			} else if took > 2*time.Second {
				row.notes = append(row.notes, fmt.Sprintf("the responder took %v to drain after the fleet stopped", took.Round(time.Second)))
			}
		}
		rows = append(rows, row)
	}
	total := time.Since(began)
	workerHeard := counter.from(workerAddr)

	basP50 := percentile(base.searches, 0.5)
	verdict := func(ratio float64) string {
		if ratio <= 1.2 {
			return "ok"
		}
		return "MISSED"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "\nBenchmarkFleet: stand-in Manager at %s; Worker-style searcher (gossdp Client, MX 3, 1 M-SEARCH/s,\n", wantURL)
	fmt.Fprintf(&t, "fresh Client per run) timed %d times per fleet size; trays are Browsers in one namespace. Between runs a\n", runs)
	fmt.Fprintf(&t, "tray-like probe M-SEARCH waits out the responder's backlog (the searcher's leftovers), runs >= 3.5 s apart.\n")
	fmt.Fprintf(&t, "Time compressed %dx: tray search Interval %v -> %v (RetryAfter %v and the responder's MX sleep are real),\n",
		scale, discovery.DefaultSearchPolicy.Interval, policy.Interval, policy.RetryAfter)
	fmt.Fprintf(&t, "so N trays load the Manager's responder like N*%d trays on the real policy (\"load like\").\n", scale)
	fmt.Fprintf(&t, "Trays start at random over %v (one compressed Interval); timing starts once all listed the Manager.\n", policy.Interval)
	if fleetTraysRemember() {
		fmt.Fprintf(&t, "Trays remember the Manager from an earlier run, as in a studio after day one (FLAMENCO_TRAY_FLEET_KNOWN=0: first run ever).\n")
	} else {
		fmt.Fprintf(&t, "First run ever: no tray remembers the Manager (FLAMENCO_TRAY_FLEET_KNOWN=0).\n")
	}
	fmt.Fprintf(&t, "    N  load like  listed   p50 ms   p95 ms  p50 ratio  timeouts  fleet M-SEARCH/min: measured@%dx  real time  (heard/sent in s)  target p50 <= 1.2x\n", scale)
	for _, r := range rows {
		p50, p95 := percentile(r.searches, 0.5), percentile(r.searches, 0.95)
		ratio := durRatio(p50, basP50)
		failed := fmt.Sprintf("%d/%d", r.timeouts, len(r.searches))
		if r.skipped > 0 {
			failed += fmt.Sprintf(" (+%d skipped)", r.skipped)
		}
		if r.n == 0 {
			fmt.Fprintf(&t, "  %3d  %9s  %6s  %7.0f  %7.0f  %9s  %8s  %30s  %9s  %17s  %s\n",
				0, "-", "-", ms(p50), ms(p95), "1 (base)", failed, "-", "-", "-", "-")
			b.ReportMetric(ms(p50), "p50_ms_N0")
			b.ReportMetric(ms(p95), "p95_ms_N0")
			continue
		}
		perMin := float64(r.heard) / r.window.Minutes()
		fmt.Fprintf(&t, "  %3d  %9d  %6s  %7.0f  %7.0f  %9.2f  %8s  %30.1f  %9.1f  %17s  %s\n",
			r.n, r.n*scale, fmt.Sprintf("%d/%d", r.listed, r.n), ms(p50), ms(p95), ratio, failed, perMin, perMin/float64(scale),
			fmt.Sprintf("%d/%d in %.0f", r.heard, r.sent, r.window.Seconds()), verdict(ratio))
		suffix := "_N" + strconv.Itoa(r.n)
		b.ReportMetric(ms(p50), "p50_ms"+suffix)
		b.ReportMetric(ms(p95), "p95_ms"+suffix)
		b.ReportMetric(ratio, "ratio"+suffix)
		b.ReportMetric(float64(r.timeouts), "timeouts"+suffix)
		b.ReportMetric(perMin, "msearch_per_min"+suffix)
		b.ReportMetric(perMin/float64(scale), "msearch_per_min_real"+suffix)
	}
	b.ReportMetric(0, "ns/op") // the body runs once and is mostly waiting
	fmt.Fprintf(&t, "searcher runs (ms), and in [] the wait of each drain probe after a run (the responder's backlog):\n")
	for _, r := range rows {
		fmt.Fprintf(&t, "  N=%-3d %s  [%s]\n", r.n, msList(r.searches), msList(r.drains))
	}
	fmt.Fprintf(&t, "searcher M-SEARCHes heard in all: %d; total time %v\n", workerHeard, total.Round(time.Second))
	for _, r := range rows {
		if r.leaked > 0 {
			fmt.Fprintf(&t, "  N=%d: %d goroutines still running 5 s after every Browser.Run returned\n", r.n, r.leaked)
		}
		for _, n := range r.notes {
			fmt.Fprintf(&t, "  N=%d: %s\n", r.n, n)
		}
	}
	fmt.Print(t.String())
}

// fleetMeasure runs n Browsers, times the searcher while they run, and stops them all.
func fleetMeasure(b *testing.B, n int, policy discovery.SearchPolicy, rng *rand.Rand, selfAddr netip.Addr,
	counter *fleetCounter, worker, prober *netns.Host, wantURL string, runs int) fleetRow {
	row := fleetRow{n: n}
	goroutinesBefore := runtime.NumGoroutine()

	offsets := make([]time.Duration, n)
	for i := range offsets {
		offsets[i] = time.Duration(rng.Int64N(int64(policy.Interval)))
	}
	slices.Sort(offsets)

	ctx, cancel := context.WithCancel(context.Background())
	browsers := make([]*discovery.Browser, 0, n)
	dones := make([]chan error, 0, n)
	// Every tray's log: this namespace's one multicast interface is on the LAN, so each search is one
	// M-SEARCH there.
	log := newBrowserLog(io.Discard)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		deadline := time.After(15 * time.Second)
		for i, done := range dones {
			select {
			case err := <-done:
				if err != nil {
					b.Errorf("Browser %d of %d: Run: %v", i+1, n, err)
				}
			case <-deadline:
				b.Fatalf("N=%d: Browser.Run %d did not return within 15s of cancel", n, i+1)
			}
		}
	}
	defer stop()

	start := time.Now()
	for _, off := range offsets {
		time.Sleep(time.Until(start.Add(off)))
		cfg := discovery.BrowserConfig{Logger: log.logger(), Search: policy}
		if fleetTraysRemember() {
			cfg.KnownURLs = []string{wantURL}
		}
		browser := discovery.NewBrowser(cfg)
		done := make(chan error, 1)
		go func() { done <- browser.Run(ctx) }()
		browsers = append(browsers, browser)
		dones = append(dones, done)
	}

	listed := func() int {
		k := 0
		for _, br := range browsers {
			if slices.ContainsFunc(br.State().Managers, func(m discovery.Manager) bool { return m.URL == wantURL }) {
				k++
			}
		}
		return k
	}
	waitUntil := time.Now().Add(fleetListWait)
	for row.listed = listed(); row.listed < n && time.Now().Before(waitUntil); row.listed = listed() {
		time.Sleep(250 * time.Millisecond)
	}
	if row.listed < n {
		row.notes = append(row.notes, fmt.Sprintf("only %d of %d trays had listed the Manager %v after the last start; timed anyway",
			row.listed, n, fleetListWait))
	}

	heard0, sent0, t0 := counter.from(selfAddr), log.searches(), time.Now()
	fleetTimeSearches(&row, worker, prober, wantURL, runs)
	row.heard, row.sent, row.window = counter.from(selfAddr)-heard0, log.searches()-sent0, time.Since(t0)

	stop()
	// Every Run has returned; give the goroutines they left behind (HTTP connections closing) a moment.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		row.leaked = runtime.NumGoroutine() - goroutinesBefore
		if row.leaked <= 0 || time.Now().After(deadline) {
			row.leaked = max(row.leaked, 0)
			break
		}
	}
	return row
}

// fleetTimeSearches times runs Worker-style searches from worker, each with a fresh Client, appending
// to row. Runs are independent: the searcher's M-SEARCHes left over once it has its answer (one a
// second, each holding the responder for up to 3 s at MX 3) are drained with a probe from prober
// before the next run, which starts at least 3.5 s after the previous one ended.
func fleetTimeSearches(row *fleetRow, worker, prober *netns.Host, wantURL string, runs int) {
	inARow := 0
	for i := range runs {
		if inARow >= fleetGiveUpAfter {
			row.skipped = runs - i
			row.notes = append(row.notes, fmt.Sprintf("gave up after %d timed-out searches in a row (%v each): responder saturated",
				inARow, fleetSearchTimeout))
			break
		}
		d, _, err := fleetSearchOnce(worker, wantURL)
		ended := time.Now()
		row.searches = append(row.searches, d)
		if err != nil {
			row.timeouts++
			inARow++
			if len(row.notes) < 5 {
				row.notes = append(row.notes, fmt.Sprintf("search %d: %v", i+1, err))
			}
		} else {
			inARow = 0
		}
		if i == runs-1 {
			break
		}
		if took, err := fleetDrain(prober, fleetDrainWithin); err != nil {
			row.skipped = runs - i - 1
			row.notes = append(row.notes, fmt.Sprintf("after search %d the responder did not drain: %v; responder saturated", i+1, err))
			break
		} else {
			row.drains = append(row.drains, took)
		}
		time.Sleep(time.Until(ended.Add(3500 * time.Millisecond)))
	}
}

// fleetDrain sends one M-SEARCH like a tray's (MX 1) from h and waits for the Manager's first answer.
// gossdp's responder serves M-SEARCHes one at a time in arrival order, so by then it has served every
// search queued before the probe; the wait returned is that queue's length in time (plus up to 1/3 s).
// It waits 700 ms more for the responder to finish the probe's other LOCATIONs.
func fleetDrain(h *netns.Host, within time.Duration) (time.Duration, error) {
	var conn *net.UDPConn
	if err := h.Do(func() (err error) { conn, err = net.ListenUDP("udp4", &net.UDPAddr{}); return err }); err != nil {
		return never, err
	}
	defer conn.Close()
	msearch := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: " +
		discovery.ServiceType + "\r\n\r\n"
	start := time.Now()
	if _, err := conn.WriteToUDP([]byte(msearch), &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: 1900}); err != nil {
		return never, fmt.Errorf("drain probe: %w", err)
	}
	conn.SetReadDeadline(start.Add(within))
	buf := make([]byte, 8192)
	for {
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return never, fmt.Errorf("no answer to the drain probe within %v: %w", within, err)
		}
		if a, err := discovery.ParseAnswer(buf[:n], src); err == nil && a.Kind == discovery.SearchResponse {
			took := time.Since(start)
			time.Sleep(700 * time.Millisecond)
			return took, nil
		}
	}
}

// fleetSearchOnce times one Worker-style search from worker's namespace: Searcher.Run until the first
// answer, which must name the Manager at wantURL.
func fleetSearchOnce(worker *netns.Host, wantURL string) (time.Duration, int, error) {
	var client *ssdpworker.Searcher
	if err := worker.Do(func() (err error) { client, err = ssdpworker.New(zerolog.Nop()); return err }); err != nil {
		return never, 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), fleetSearchTimeout)
	defer cancel()
	start := time.Now()
	locations, err := client.Run(ctx)
	took := time.Since(start)
	searches := 1 + int(took/time.Second)
	if err != nil {
		return never, searches, fmt.Errorf("Searcher.Run after %v: %w", took.Round(time.Millisecond), err)
	}
	wantLocation := strings.TrimSuffix(wantURL, "/") + "/"
	if !slices.ContainsFunc(locations, func(l string) bool { return strings.HasPrefix(l, wantLocation) }) {
		return never, searches, fmt.Errorf("Searcher.Run returned %v, none at %s", locations, wantURL)
	}
	return took, searches, nil
}

// fleetCounter counts the M-SEARCH datagrams a listener on UDP 1900 hears, per source address.
type fleetCounter struct {
	mu     sync.Mutex
	bySrc  map[netip.Addr]int64
	closed chan struct{}
}

func (c *fleetCounter) from(addr netip.Addr) int64 {
	time.Sleep(200 * time.Millisecond) // datagrams in flight reach the listener
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bySrc[addr]
}

// startFleetCounter opens the listener in h's namespace, joined to the SSDP group on h's LAN
// interface; it stops at the end of the benchmark.
func startFleetCounter(b *testing.B, h *netns.Host) *fleetCounter {
	conn := h.JoinGroup(b, ssdpGroup)
	// 200 trays starting within seconds must not overflow it.
	if err := conn.SetReadBuffer(4 << 20); err != nil {
		b.Fatalf("listener: %v", err)
	}
	c := &fleetCounter{bySrc: make(map[netip.Addr]int64), closed: make(chan struct{})}
	go func() {
		defer close(c.closed)
		buf := make([]byte, 8192)
		for {
			n, src, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed at cleanup
			}
			if strings.HasPrefix(string(buf[:n]), "M-SEARCH") {
				c.mu.Lock()
				c.bySrc[src.Addr().Unmap()]++
				c.mu.Unlock()
			}
		}
	}()
	b.Cleanup(func() {
		conn.Close()
		<-c.closed
	})
	return c
}

// fleetTraysRemember reports whether the fleet's trays start with the Manager remembered from an
// earlier run (the studio's steady state), unless FLAMENCO_TRAY_FLEET_KNOWN=0.
func fleetTraysRemember() bool { return os.Getenv("FLAMENCO_TRAY_FLEET_KNOWN") != "0" }
