//go:build linux

package farm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// BenchmarkTrayLoadOnAManager measures what one tray that polls (the fallback where the event bus
// cannot be had; BenchmarkTraysOnAManager has the live figures) costs a Manager with 1,000 jobs and
// 200 Workers over a simulated hour on the fake clock (real HTTP to the stand-in): requests and body bytes a
// second, as the Manager counts them (its refused event-bus upgrades aside). Meanwhile the farm works: every 2 minutes one of the user's
// jobs moves on (queued → active → completed or failed) and another user's job too, so that the
// lookups of jobs that end are counted. The budget: at most 0.05 requests a second per tray
// and Manager (200 trays under a tenth of 200 idle Workers' 100 requests a second). Against a 3.3.1
// Manager and a 3.5 one, which also answers GET /api/v3/status.
func BenchmarkTrayLoadOnAManager(b *testing.B) {
	for _, version := range []string{"3.3.1", "3.5.0"} {
		b.Run("flamenco-"+version, func(b *testing.B) { benchmarkTrayLoad(b, version) })
	}
}

func benchmarkTrayLoad(b *testing.B, version string) {
	for range b.N {
		clock := fakeclock.New(time.Date(2026, 11, 25, 9, 0, 0, 0, time.Local))
		f := farmstandin.New("Big Farm", farmstandin.WithClock(clock.Now), farmstandin.WithVersion(version))
		f.Generate(farmstandin.Scale{Workers: 200, Jobs: 1000, Users: []string{"alice", "bob", "carol", "dave"}, Seed: 42})
		f.RefuseEventBus(http.StatusBadGateway) // a proxy that does not pass websockets: the tray polls
		srv := farmstandin.Serve(b, f)
		// For comparison, what one unfiltered job query costs (the Watcher never sends one).
		unfiltered := unfilteredQueryBytes(b, f, srv.URL)
		f.ResetStats()

		events := make(chan farm.Event, 100000)
		w := farm.NewWatcher(farm.WatcherConfig{
			Client:   managerapi.NewClient(srv.URL),
			Identity: farm.Identity{UserName: "alice"},
			Logger:   zerolog.Nop(),
			Clock:    clock,
			OnEvent:  func(e farm.Event) { events <- e },
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		waitUntil(b, clock, func() bool { return true })

		rng := rand.New(rand.NewPCG(3, 4))
		finished, delays := 0, []time.Duration{}
		var changedAt time.Time
		const step = time.Second
		for elapsed := time.Duration(0); elapsed < time.Hour; elapsed += step {
			if elapsed%(2*time.Minute) == 0 {
				moveOneJob(f, "alice", rng)
				moveOneJob(f, "bob", rng)
				changedAt = clock.Now()
			}
			clock.Advance(step)
			waitUntil(b, clock, func() bool { return true })
			for drained := false; !drained; {
				select {
				case e := <-events:
					if e.Kind == farm.JobFinished || e.Kind == farm.JobChanged {
						finished++
						delays = append(delays, e.Time.Sub(changedAt))
					}
				default:
					drained = true
				}
			}
		}
		cancel()
		<-done

		stats := f.Stats()
		hour := time.Hour.Seconds()
		reqPerSec := float64(stats.Requests) / hour
		bytesPerSec := float64(stats.Bytes) / hour
		var worst time.Duration
		for _, d := range delays {
			worst = max(worst, d)
		}
		b.ReportMetric(reqPerSec, "req/s/tray")
		b.ReportMetric(bytesPerSec, "B/s/tray")
		b.ReportMetric(worst.Seconds(), "s-worst-news")
		b.Logf("one tray, one simulated hour, Flamenco %s, 1,000 jobs and 200 Workers: %d requests (%.4f/s; budget 0.05/s), %d body bytes (%.0f B/s); "+
			"200 trays: %.1f req/s (idle Workers: 100 req/s)", version, stats.Requests, reqPerSec, stats.Bytes, bytesPerSec, 200*reqPerSec)
		b.Logf("requests by route: %v; unfiltered job queries: %d; largest answer: %d jobs", stats.ByRoute, stats.Unfiltered, stats.LargestQuery)
		b.Logf("%d changes of alice's jobs reported, the latest %v after it happened (goal: within 30 s)", finished, worst)
		b.Logf("for comparison, an unfiltered job query every 27 s would be %d bytes each, %.0f B/s", unfiltered, float64(unfiltered)/27)
		if stats.Unfiltered != 0 {
			b.Errorf("%d unfiltered job queries", stats.Unfiltered)
		}
	}
}

// moveOneJob moves one of user's jobs on: the oldest queued one becomes active, or the oldest
// active one completes (or fails, one time in four).
func moveOneJob(f *farmstandin.Farm, user string, rng *rand.Rand) {
	for _, id := range f.JobIDs("active") {
		if f.JobUser(id) == user {
			status := "completed"
			if rng.IntN(4) == 0 {
				status = "failed"
			}
			f.SetJobStatus(id, status, "")
			return
		}
	}
	for _, id := range f.JobIDs("queued") {
		if f.JobUser(id) == user {
			f.SetJobStatus(id, "active", "task became active")
			return
		}
	}
	f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("%s-new", user), User: user})
}

func unfilteredQueryBytes(b *testing.B, f *farmstandin.Farm, url string) int64 {
	before := f.Stats().Bytes
	if _, err := managerapi.NewClient(url).QueryJobs(context.Background(), managerapi.JobQuery{}); err != nil {
		b.Fatal(err)
	}
	return f.Stats().Bytes - before
}
