//go:build linux

package farm_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/proxystandin"
)

// TestMain moves the package's test binary into a network namespace of its own when it can (root):
// BenchmarkTraysOnAManager/busy-farm runs a discovery.Browser, whose SSDP sockets must never open where their
// traffic could leave the machine. The package's other tests only talk to stand-ins on loopback,
// which a namespace changes nothing for; as an ordinary user they run as before, and the benchmark
// is skipped with the reason.
func TestMain(m *testing.M) { netns.Main(m) }

// benchmarkBusyFarms measures what one tray asks of a Flamenco 3.8.5 Manager whose farm is busy
// (a job starts or ends every 5 s, so the farm's state flips between active and waiting and the
// Manager pushes /status each time, as a real one does: its farm status service re-evaluates after
// every change of a job's status), all included: the tray's farm watcher and discovery's HTTP checks
// of the Manager, wired as the tray and `status --watch` wire them (a discovery.Browser with the
// Manager added by hand, a farm.Fleet vouched for by the Browser). Three ways to reach the Manager:
//
//   - bus-connected: directly; the event bus connects. Goal: at most 0.05 requests a second.
//   - proxy-refuses-upgrades: through nginx's copy-paste config (proxystandin without websocket
//     headers): the upgrade is refused with the Manager's 503 and the tray polls. Goal: at most 0.1.
//   - proxy-cuts-after-5s: through a proxy that passes websockets but cuts each one 5 s after its
//     upgrade. Goal: the tray stops reconnecting (connections that keep dying young count toward the
//     fallback): the upgrades a minute tell.
//
// The stand-in (or the proxy, where there is one) counts every request by route, never the tray.
// Each scenario measures 2 minutes of real clock after the tray's first full read of the farm and
// reports req/s/tray over it (and over each half: the first minute and the second), upgrades a
// minute, and logs a table by route. It prints figures and asserts none. It runs its body once
// whatever b.N is; about 7 minutes (FLAMENCO_TRAY_BUSY_WINDOW=30s for a quick look).
//
// They run as BenchmarkTraysOnAManager/busy-farm/…:
//
//	go test -run '^$' -bench 'TraysOnAManager/busy-farm' -benchtime 1x -count 1 -timeout 30m ./internal/farm/
func benchmarkBusyFarms(b *testing.B) {
	for _, sc := range []busyScenario{
		{name: "bus-connected", live: true},
		{name: "proxy-refuses-upgrades", proxy: []proxystandin.Option{}},
		{name: "proxy-cuts-after-5s", proxy: []proxystandin.Option{proxystandin.PassWebsockets(),
			proxystandin.CutUpgradedAfter(5 * time.Second)}},
	} {
		b.Run(sc.name, func(b *testing.B) { benchmarkBusyFarm(b, sc) })
	}
}

const (
	busyChurn     = 5 * time.Second // a job starts or ends this often
	busyUser      = "alice"         // the tray's user: every other job is hers
	busyQueued    = 60              // jobs queued at the start: enough to churn through the run
	busyFinished  = 300             // jobs already finished: what a full read reads
	busyFirstRead = 2 * time.Minute // the longest wait for the tray's first full read
)

// busyWindowFrom is the time measured after the first full read: 2 minutes, or
// FLAMENCO_TRAY_BUSY_WINDOW (a duration, for a quick look).
func busyWindowFrom(b *testing.B) time.Duration {
	s := os.Getenv("FLAMENCO_TRAY_BUSY_WINDOW")
	if s == "" {
		return 2 * time.Minute
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 10*time.Second {
		b.Fatalf("FLAMENCO_TRAY_BUSY_WINDOW=%q: want a duration of 10s or more", s)
	}
	return d
}

// busyScenario is how the tray reaches the Manager: directly (proxy nil), or through a proxy stand-in
// with these options. live: the tray must be live on the event bus before the window starts.
type busyScenario struct {
	name  string
	proxy []proxystandin.Option
	live  bool
}

// busyCounts is what the stand-in or proxy counted so far.
type busyCounts struct {
	requests int
	byRoute  map[string]int
	upgrades int // websocket upgrades that went through
	cut      int // upgraded connections the proxy cut
	statuses int64
}

func benchmarkBusyFarm(b *testing.B, sc busyScenario) {
	netns.RequireIsolated(b) // before the Browser opens an SSDP socket
	f, render := newBusyFarm()
	manager := farmstandin.Serve(b, f)
	url, counts := manager.URL, func() busyCounts { return standInCounts(f) }
	if sc.proxy != nil {
		proxy := proxystandin.Serve(b, manager.URL, sc.proxy...)
		url, counts = proxy.URL, func() busyCounts { return proxyCounts(proxy, f) }
	}

	logs := &warnings{}
	tray := startTray(b, url, zerolog.New(logs).Level(zerolog.WarnLevel))
	waitFirstRead(b, tray.fleet, sc.live)

	churnCtx, stopChurn := context.WithCancel(context.Background())
	defer stopChurn()
	churned := make(chan busyChurnCounts, 1)
	go func() { churned <- churnFarm(churnCtx, f, render) }()
	busyWindow := busyWindowFrom(b)
	tray.resetEnds()
	before := counts()
	b.ResetTimer()
	time.Sleep(busyWindow / 2)
	middle := counts()
	time.Sleep(busyWindow - busyWindow/2)
	after := counts()
	b.StopTimer()
	stopChurn()
	ends := <-churned

	seconds := busyWindow.Seconds()
	requests := after.requests - before.requests
	b.ReportMetric(float64(requests)/seconds, "req/s/tray")
	b.ReportMetric(float64(middle.requests-before.requests)/(seconds/2), "req/s/tray-1st-half")
	b.ReportMetric(float64(after.requests-middle.requests)/(seconds/2), "req/s/tray-2nd-half")
	b.ReportMetric(float64(after.upgrades-before.upgrades)/busyWindow.Minutes(), "upgrades/min")
	b.Logf("%s at %s: %d requests in %v (%.3f/s), %d upgrades, %d cut by the proxy, %d /status pushed to the tray",
		sc.name, url, requests, busyWindow, float64(requests)/seconds, after.upgrades-before.upgrades,
		after.cut-before.cut, after.statuses-before.statuses)
	b.Logf("by route (first half, second half):\n%s", routeTable(before.byRoute, middle.byRoute, after.byRoute))
	b.Logf("farm: %d job starts and %d ends (%d of %s's); ends of %s's the tray reported in the window: %d; the tray says: %s",
		ends.starts, ends.ends, ends.mine, busyUser, busyUser, tray.ends(), connectionOf(tray.fleet))
	if lines := logs.lines(); len(lines) > 0 {
		b.Logf("the tray warned %d times; first: %s", len(lines), strings.Join(lines[:min(len(lines), 3)], " | "))
	}
}

// newBusyFarm is a 3.8.5 Manager with one awake Worker (render), two asleep and one offline,
// busyFinished jobs done and busyQueued waiting, every other one the tray user's.
func newBusyFarm() (*farmstandin.Farm, string) {
	f := farmstandin.New("Busy Farm", farmstandin.WithVersion("3.8.5"))
	render := f.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Version: "3.8.5"})
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-02", Status: "asleep", Version: "3.8.5"})
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-03", Status: "asleep", Version: "3.8.5"})
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-04", Status: "offline", Version: "3.8.5"})
	users := []string{busyUser, "bob", "carol", "dave"}
	for i := range busyFinished {
		status := []string{"completed", "completed", "completed", "completed", "failed", "canceled"}[i%6]
		f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("sq%02d_sh%03d_lighting", i%40, i), User: users[i%4],
			Status: status, Steps: 10, Settings: map[string]any{"chunk_size": 10, "frames": "1-240"}})
	}
	for i := range busyQueued {
		f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("busy-%03d", i), User: users[i%2], Steps: 4,
			Settings: map[string]any{"chunk_size": 10, "frames": "1-40"}})
	}
	return f, render
}

type busyChurnCounts struct{ starts, ends, mine int }

// churnFarm works the farm until ctx ends: every busyChurn the next queued job starts (active) or
// the active one ends (completed, every fourth failed), each a change of status after which the
// Manager pushes /status (active, then waiting while jobs are queued). Between, the active job
// reports progress and the awake Worker checks in, as a real farm does every few seconds.
func churnFarm(ctx context.Context, f *farmstandin.Farm, render string) busyChurnCounts {
	var counts busyChurnCounts
	ticker := time.NewTicker(busyChurn / 2)
	defer ticker.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-ctx.Done():
			return counts
		case <-ticker.C:
		}
		active := f.JobIDs("active")
		if tick%2 == 1 {
			for _, id := range active {
				f.SetJobProgress(id, 2)
			}
			f.CheckIn(render)
			continue
		}
		if len(active) > 0 {
			end := "completed"
			if counts.ends%4 == 3 {
				end = "failed"
			}
			for _, id := range active {
				f.SetJobStatus(id, end, "the benchmark's job ended")
				counts.ends++
				if f.JobUser(id) == busyUser {
					counts.mine++
				}
			}
			continue
		}
		if queued := f.JobIDs("queued"); len(queued) > 0 {
			f.SetJobStatus(queued[0], "active", "a Worker took its first task")
			counts.starts++
		}
	}
}

// busyTray is what a tray runs to follow Managers: a Browser with the Manager added by hand, and a
// Fleet of watchers synced to what it lists, vouched for by it (internal/cli/status.go).
type busyTray struct {
	browser *discovery.Browser
	fleet   *farm.Fleet
	done    chan error // the Browser's Run

	mu       sync.Mutex
	finished int // JobFinished events of the tray user's jobs since resetEnds
}

// startTray starts a tray following the Manager at url, stopped when the benchmark ends (before the
// stand-ins it talks to, which were started before it).
func startTray(b *testing.B, url string, logger zerolog.Logger) *busyTray {
	ctx, cancel := context.WithCancel(context.Background())
	t := &busyTray{done: make(chan error, 1)}
	t.browser = discovery.NewBrowser(discovery.BrowserConfig{Logger: logger})
	t.fleet = farm.NewFleet(farm.FleetConfig{Identity: farm.Identity{UserName: busyUser}, Logger: logger,
		OnEvent: func(_ discovery.Manager, e farm.Event) {
			if e.Kind == farm.JobFinished {
				t.mu.Lock()
				t.finished++
				t.mu.Unlock()
			}
		},
		Vouch: t.browser.Vouch})
	go func() { t.done <- t.fleet.Follow(ctx, t.browser) }()
	b.Cleanup(func() {
		cancel()
		<-t.done
		t.fleet.Stop()
	})
	if err := t.browser.AddManual(ctx, url); err != nil {
		b.Fatalf("add %s by hand: %v", url, err)
	}
	return t
}

func (t *busyTray) resetEnds() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished = 0
}

func (t *busyTray) ends() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.finished
}

// waitFirstRead waits until the tray has read the farm once (and, for live, is live on the bus).
func waitFirstRead(b *testing.B, fleet *farm.Fleet, live bool) {
	deadline := time.Now().Add(busyFirstRead)
	for {
		for _, s := range fleet.Summaries() {
			if !s.UpdatedAt.IsZero() && (!live || s.Connection.Live) {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("the tray did not read the farm (live: %v) within %v: %s", live, busyFirstRead, connectionOf(fleet))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connectionOf says how the fleet's watchers follow their Managers, as the About window would.
func connectionOf(fleet *farm.Fleet) string {
	var says []string
	for _, s := range fleet.Summaries() {
		switch {
		case s.Connection.Live:
			says = append(says, "live")
		case s.Connection.Fallback != "":
			says = append(says, s.Connection.Fallback)
		default:
			says = append(says, "neither live nor polling (connecting)")
		}
	}
	if len(says) == 0 {
		return "no watcher"
	}
	return strings.Join(says, "; ")
}

func standInCounts(f *farmstandin.Farm) busyCounts {
	stats, bus := f.Stats(), f.EventBusStats()
	return busyCounts{requests: stats.AllRequests, byRoute: stats.AllByRoute, upgrades: bus.Total,
		statuses: bus.FramesByEvent["/status"]}
}

func proxyCounts(p *proxystandin.Proxy, f *farmstandin.Farm) busyCounts {
	stats := p.Stats()
	return busyCounts{requests: stats.Requests, byRoute: stats.ByRoute, upgrades: stats.Upgrades, cut: stats.Cut,
		statuses: f.EventBusStats().FramesByEvent["/status"]}
}

// routeTable is one line per route, most asked first: requests in the window (its first half, second).
func routeTable(before, middle, after map[string]int) string {
	routes := slices.Collect(maps.Keys(after))
	total := func(r string) int { return after[r] - before[r] }
	slices.SortFunc(routes, func(a, b string) int {
		if d := total(b) - total(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	var out strings.Builder
	for _, r := range routes {
		if total(r) == 0 {
			continue
		}
		fmt.Fprintf(&out, "  %-40s %4d (%d, %d)\n", r, total(r), middle[r]-before[r], after[r]-middle[r])
	}
	if out.Len() == 0 {
		return "  (none)\n"
	}
	return out.String()
}

// warnings keeps the tray's log lines (Warn and above), for the benchmark's log.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.list) < 100 {
		w.list = append(w.list, strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *warnings) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list)
}
