//go:build linux

package farm_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// endCounter counts the ends of jobs a Fleet hands over, by job.
type endCounter struct {
	mu   sync.Mutex
	ends map[string]int
}

func (c *endCounter) add(e farm.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ends[e.Transition.Job.ID]++
}

func (c *endCounter) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ends[id]
}

func (c *endCounter) jobs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ends)
}

// The artist's network drops and meanwhile 300 queued jobs of theirs are canceled: when it is back,
// every end reaches OnEvent exactly once, though the consumer is busy while the burst arrives (the
// desktop's notification service is slow). Both API generations: 3.8.5 learns them from one full
// list, 3.3.1 from the queries and one GET each.
func TestFleetReportsEveryEndOfABurstOnce(t *testing.T) {
	for _, version := range generations {
		t.Run(version, func(t *testing.T) {
			const burst = 300
			f := farmstandin.New("Studio Farm", farmstandin.WithVersion(version))
			f.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
			var queued []string
			for i := range burst {
				queued = append(queued, f.SubmitJob(farmstandin.JobSpec{Name: fmt.Sprintf("shot-%03d", i), User: "alice"}))
			}
			server := farmstandin.Serve(t, f)
			busy := make(chan struct{})
			ends := &endCounter{ends: map[string]int{}}
			fleet := farm.NewFleet(farm.FleetConfig{
				Identity: farm.Identity{UserName: "alice"},
				Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
				OnEvent: func(_ discovery.Manager, e farm.Event) {
					if e.Kind == farm.JobFinished {
						<-busy
						ends.add(e)
					}
				},
			})
			defer fleet.Stop()
			fleet.Sync(t.Context(), []discovery.Manager{{ID: "studio", Name: "Studio Farm", URL: server.URL, Reachable: true}})
			summary := func() farm.Summary { return fleet.Summaries()["studio"] }
			testio.WaitFor(t, 10*time.Second, func() bool { return summary().Connection.Live && summary().Known() })

			server.Down()
			testio.WaitFor(t, 10*time.Second, func() bool { return !summary().Connection.Live })
			for _, id := range queued {
				if err := f.SetJobStatus(id, "canceled", "canceled by the wrangler"); err != nil {
					t.Fatal(err)
				}
			}
			if err := server.Up(); err != nil {
				t.Fatal(err)
			}
			testio.WaitFor(t, 20*time.Second, func() bool {
				s := summary()
				return s.Connection.Live && s.Jobs[managerapi.JobQueued] == 0
			})
			close(busy)

			sentinel := f.SubmitJob(farmstandin.JobSpec{Name: "shot-999 sentinel", User: "alice"})
			testio.WaitFor(t, 10*time.Second, func() bool { return summary().Jobs[managerapi.JobQueued] == 1 })
			if err := f.SetJobStatus(sentinel, "completed", ""); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for (ends.count(sentinel) == 0 || ends.jobs() < burst+1) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if ends.count(sentinel) != 1 {
				t.Errorf("the sentinel's end reported %d times, want 1", ends.count(sentinel))
			}
			for _, id := range queued {
				if n := ends.count(id); n != 1 {
					t.Errorf("job %s: %d ends reported, want 1", id, n)
				}
			}
		})
	}
}

// A Manager found at a new address (its host name now resolves elsewhere, the preferred address
// changed) keeps its watcher, which follows it there: a job of mine that ended while it moved is
// reported once, and one event-bus connection is left.
func TestFleetMovesAWatcherToTheManagersNewAddress(t *testing.T) {
	f := farmstandin.New("Studio Farm", farmstandin.WithVersion("3.8.5"))
	f.AddWorker(farmstandin.WorkerSpec{Name: "render-01", Status: "awake"})
	mine := f.SubmitJob(farmstandin.JobSpec{Name: "shot-100", User: "alice", Status: "active"})
	oldAddress, newAddress := farmstandin.Serve(t, f), farmstandin.Serve(t, f)
	ends := &endCounter{ends: map[string]int{}}
	vouches := make(chan bool, 16)
	fleet := farm.NewFleet(farm.FleetConfig{
		Identity: farm.Identity{UserName: "alice"},
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		OnEvent: func(_ discovery.Manager, e farm.Event) {
			if e.Kind == farm.JobFinished {
				ends.add(e)
			}
		},
		Vouch: func(_ string, alive bool) { vouches <- alive },
	})
	defer fleet.Stop()
	studio := discovery.Manager{ID: "studio", Name: "Studio Farm", URL: oldAddress.URL, Reachable: true}
	fleet.Sync(t.Context(), []discovery.Manager{studio})
	summary := func() farm.Summary { return fleet.Summaries()["studio"] }
	testio.WaitFor(t, 10*time.Second, func() bool { return summary().Connection.Live && len(summary().MyJobs) == 1 })

	oldAddress.Down()
	if err := f.SetJobStatus(mine, "completed", "all tasks completed"); err != nil {
		t.Fatal(err)
	}
	studio.URL = newAddress.URL
	fleet.Sync(t.Context(), []discovery.Manager{studio})
	testio.WaitFor(t, 10*time.Second, func() bool { return ends.count(mine) > 0 })
	sentinel := f.SubmitJob(farmstandin.JobSpec{Name: "shot-999 sentinel", User: "alice", Status: "active"})
	testio.WaitFor(t, 10*time.Second, func() bool { return len(summary().MyJobs) == 2 })
	if err := f.SetJobStatus(sentinel, "failed", ""); err != nil {
		t.Fatal(err)
	}
	testio.WaitFor(t, 10*time.Second, func() bool { return ends.count(sentinel) == 1 })
	if n := ends.count(mine); n != 1 {
		t.Errorf("the end of my job across the move was reported %d times, want 1", n)
	}
	if s := summary(); s.Manager != newAddress.URL+"/" && s.Manager != newAddress.URL {
		t.Errorf("the summary is of %s, want the new address %s", s.Manager, newAddress.URL)
	}
	if open := f.EventBusStats().Open; open != 1 {
		t.Errorf("%d event-bus connections open, want 1", open)
	}
	// Vouched for once, all along: the new address answered at once.
	if alive := <-vouches; !alive {
		t.Error("the first vouch said not alive")
	}
	select {
	case alive := <-vouches:
		t.Errorf("Vouch(%v) over the move", alive)
	default:
	}
}
