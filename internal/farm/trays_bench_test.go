//go:build linux

package farm_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// BenchmarkTraysOnAManager measures what live trays cost a Manager (Flamenco 3.8.5's API) with 200
// Workers and 1,000 jobs while its farm works, on the real clock over real HTTP and websockets: per
// tray, HTTP requests and bytes a second, event-bus frames and bytes a second; and the stand-in
// Manager's goroutines and heap per connected tray. Meanwhile each awake Worker checks in every 5 s
// (as real ones do: each check-in is a /workers update), a running job reports progress every 2 s,
// one changes status every 10 s and one is submitted every 30 s. "+allWorkers" is the same with each
// tray also subscribed to the Workers (on a second connection of its own, as a tray can subscribe to
// nothing else), which is why the trays do not subscribe to them. "busy-farm" is one
// tray, all included, on a farm whose state changes every 5 s, directly and behind two proxies
// (busyfarm_bench_test.go).
func BenchmarkTraysOnAManager(b *testing.B) {
	// One allocation in 4 KB sampled (the default is 512 KB), to tell the stand-in's heap from the
	// trays' with some precision; every allocation would slow 200 trays into timeouts.
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = heapSampleRate
	for _, tc := range []struct {
		trays      int
		allWorkers bool
	}{
		{1, false}, {50, false}, {200, false}, {50, true},
	} {
		name := fmt.Sprintf("trays=%d/%s", tc.trays, strings.Join(farm.EventBusSubscriptions, "+"))
		if tc.allWorkers {
			name += "+allWorkers"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				benchmarkTrays(b, tc.trays, tc.allWorkers, time.Minute)
			}
		})
	}
	b.Run("busy-farm", benchmarkBusyFarms)
}

func benchmarkTrays(b *testing.B, trays int, allWorkers bool, window time.Duration) {
	f := farmstandin.New("Big Farm", farmstandin.WithVersion("3.8.5"))
	f.Generate(farmstandin.Scale{Workers: 200, Jobs: 1000, Users: []string{"alice", "bob", "carol", "dave"}, Seed: 42})
	srv := farmstandin.Serve(b, f)
	runtime.GC()
	heapBefore, goroutinesBefore := standInHeap(), standInGoroutines()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	watchers := make([]*farm.Watcher, trays)
	requests := make([]*countingTransport, trays) // each tray's requests, counted on its way out
	for i := range watchers {
		hc := managerapi.NewHTTPClient(managerapi.DefaultTimeout)
		requests[i] = &countingTransport{next: hc.Transport}
		hc.Transport = requests[i]
		watchers[i] = farm.NewWatcher(farm.WatcherConfig{
			Client:   managerapi.NewClient(srv.URL, managerapi.WithHTTPClient(hc)),
			Identity: farm.Identity{UserName: []string{"alice", "bob", "carol", "dave"}[i%4]},
			Logger:   zerolog.Nop(),
		})
		wg.Go(func() { watchers[i].Run(ctx) })
		if allWorkers {
			wg.Go(func() { followWorkers(ctx, b, srv.URL) })
		}
	}
	defer func() { cancel(); wg.Wait() }()
	waitAllLive(b, watchers)
	runtime.GC()
	heapConnected, goroutinesConnected := standInHeap(), standInGoroutines()
	connected := f.Stats() // the full read of each connection
	f.ResetStats()
	busBefore := f.EventBusStats()
	requestsBefore := make([]int64, trays)
	for i, r := range requests {
		requestsBefore[i] = r.n.Load()
	}

	b.ResetTimer()
	workFarm(ctx, f, window)
	b.StopTimer()

	stats, bus := f.Stats(), f.EventBusStats()
	seconds, n := window.Seconds(), float64(trays)
	b.ReportMetric(float64(stats.Requests)/seconds/n, "req/s/tray")
	b.ReportMetric(float64(stats.Bytes)/seconds/n, "B/s/tray")
	b.ReportMetric(float64(bus.Frames-busBefore.Frames)/seconds/n, "frames/s/tray")
	b.ReportMetric(float64(bus.Bytes-busBefore.Bytes)/seconds/n, "busB/s/tray")
	b.ReportMetric(float64(goroutinesConnected-goroutinesBefore)/n, "standin-goroutines/tray")
	b.ReportMetric(float64(heapConnected-heapBefore)/n, "standin-heapB/tray")
	perTray := map[int64]int{} // requests in the window → trays
	for i, r := range requests {
		perTray[r.n.Load()-requestsBefore[i]]++
	}
	// Every full read of a 3.8.5 Manager starts with one list of every job.
	fullReads := connected.ByRoute["GET /api/v3/jobs"] + stats.ByRoute["GET /api/v3/jobs"]
	b.Logf("requests per tray in the window: %v", perTray)
	b.Logf("%d trays for %v: %v requests (%v), %d frames %v; %d connections and %d full reads in all (%d overflows)",
		trays, window, stats.Requests, stats.ByRoute, bus.Frames-busBefore.Frames, bus.FramesByEvent, bus.Total, fullReads, bus.Overflows)
}

// countingTransport counts the requests a tray sends.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

// followWorkers subscribes to the Workers' updates, as a tray would if it wanted them, and reads
// them until ctx ends.
func followWorkers(ctx context.Context, b *testing.B, url string) {
	base, err := managerapi.BaseURL(url)
	if err != nil {
		b.Error(err)
		return
	}
	bus, err := managerapi.DialEventBus(ctx, base, managerapi.EventBusConfig{Subscriptions: []string{"allWorkers"},
		PingEvery: 30 * time.Second, PongWait: time.Minute}) // the Manager's own
	if err != nil {
		b.Error(err)
		return
	}
	defer bus.Close()
	for {
		if _, err := bus.Next(ctx); err != nil {
			return
		}
	}
}

func waitAllLive(b *testing.B, watchers []*farm.Watcher) {
	deadline := time.Now().Add(2 * time.Minute)
	for _, w := range watchers {
		for !w.Summary().Connection.Live {
			if time.Now().After(deadline) {
				b.Fatalf("a tray did not go live within 2 minutes: %+v", w.Summary().Connection)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// workFarm makes the farm work for window: check-ins of the awake Workers every 5 s, progress of a
// running job every 2 s, a change of status every 10 s, a new job every 30 s.
func workFarm(ctx context.Context, f *farmstandin.Farm, window time.Duration) {
	rng := rand.New(rand.NewPCG(7, 8))
	var awake []string
	for _, id := range f.WorkerIDs() {
		if f.WorkerStatus(id) == "awake" {
			awake = append(awake, id)
		}
	}
	running := f.JobIDs("active")
	tick := 100 * time.Millisecond
	ticks := int(window / tick)
	perTick := max(len(awake)*int(tick)/int(5*time.Second), 1)
	for i := range ticks {
		for k := range perTick {
			f.CheckIn(awake[(i*perTick+k)%len(awake)])
		}
		if i%20 == 0 && len(running) > 0 {
			f.SetJobSteps(running[rng.IntN(len(running))], rng.IntN(10), 10)
		}
		if i%100 == 50 && len(running) > 0 {
			j := running[rng.IntN(len(running))]
			f.SetJobStatus(j, []string{"completed", "failed", "active"}[rng.IntN(3)], "benchmark")
		}
		if i%300 == 150 {
			f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("bench-%d", i), User: "alice"})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

// standInGoroutines counts the goroutines running the stand-in's code.
func standInGoroutines() int {
	buf := make([]byte, 16<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "farmstandin.") {
			n++
		}
	}
	return n
}

// heapSampleRate is the benchmark's runtime.MemProfileRate.
const heapSampleRate = 4096

// standInHeap estimates the heap in use that the stand-in's code allocated, from the sampled heap
// profile, each sample scaled up as pprof does (an allocation of s bytes is sampled with probability
// 1 - e^(-s/rate)).
func standInHeap() int64 {
	runtime.GC()
	var records []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		records = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(records, true); ok {
			records = records[:n]
			break
		}
	}
	var total float64
	for _, r := range records {
		if r.AllocObjects == 0 {
			continue
		}
		average := float64(r.AllocBytes) / float64(r.AllocObjects)
		scale := 1 / (1 - math.Exp(-average/heapSampleRate))
		frames := runtime.CallersFrames(r.Stack())
		for {
			frame, more := frames.Next()
			if strings.Contains(frame.Function, "farmstandin.") {
				total += float64(r.InUseBytes()) * scale
				break
			}
			if !more {
				break
			}
		}
	}
	return int64(total)
}
