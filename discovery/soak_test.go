//go:build linux

package discovery_test

import (
	"context"
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

type resources struct {
	goroutines, files int
	heapMiB           float64
}

func measure(t *testing.T) resources {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return resources{runtime.NumGoroutine(), openFiles(t), float64(m.HeapInuse) / (1 << 20)}
}

// TestSoak runs the browser and the advertiser for an hour of simulated time (the browser on an
// injected clock, in steps of 1 s, well below every interval, each step waited out by watching the
// clock, not by sleeping) with Managers coming and going, and checks that goroutines, open files and
// memory stay flat and that the Manager that never stopped was never reported gone. With
// FLAMENCO_TRAY_SOAK=10m (make soak) it runs that long on the real clock instead.
func TestSoak(t *testing.T) {
	netns.RequireIsolated(t)
	realDuration, _ := time.ParseDuration(os.Getenv("FLAMENCO_TRAY_SOAK"))
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	steady := netns.NewHost(t)
	lan.Attach(t, steady, netns.WithMulticastRoute())
	standin.Start(t, steady, "Steady Farm")
	comers := []*netns.Host{netns.NewHost(t), netns.NewHost(t)}
	for _, h := range comers {
		lan.Attach(t, h, netns.WithMulticastRoute())
	}
	running := make([]*standin.Process, len(comers))
	localURL := standin.ServeHTTP(t, "Desk Farm")
	advertiser := discovery.NewAdvertiser(zerolog.Nop())
	defer advertiser.Stop()

	log := newBrowserLog(io.Discard)
	cfg := discovery.BrowserConfig{Logger: log.logger()}
	steps := 3600
	var clock *fakeclock.Clock
	if realDuration > 0 {
		steps = int(realDuration / time.Second)
	} else {
		clock = fakeclock.New(time.Now())
		cfg.Clock = clock
	}
	browser := discovery.NewBrowser(cfg)
	events, _ := browser.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- browser.Run(ctx) }()
	defer cancel()
	counted := make(chan map[string]int, 1)
	go func() {
		counts := make(map[string]int)
		for e := range events {
			counts[string(e.Kind)+" "+e.Manager.Name]++
		}
		counted <- counts
	}()
	// Answers come in real time (the stand-in waits up to MX before each); the browser checks them
	// without waiting on its clock.
	first, unsubscribe := browser.Subscribe()
	if !hasManager(browser.State(), "Steady Farm") {
		waitEvent(t, first, 15*time.Second, func(e discovery.Event) bool {
			return e.Kind == discovery.ManagerAppeared && e.Manager.Name == "Steady Farm"
		})
	}
	unsubscribe()

	var baseline resources
	for i := range steps {
		switch {
		case i%300 == 100: // a Manager comes or goes
			k := (i / 300) % len(comers)
			if running[k] == nil {
				name := []string{"Night Farm", "Day Farm"}[k]
				running[k] = standin.Start(t, comers[k], name)
				// "Search again": a new Manager is otherwise found at the hourly search. Its answer
				// comes in real time, up to MX later, while the fake clock would run on: wait for it,
				// so that the Manager is not stopped (fake minutes later) before it could answer.
				appeared, unsubscribe := browser.Subscribe()
				browser.Refresh()
				if !hasManager(browser.State(), name) {
					waitEvent(t, appeared, 15*time.Second, func(e discovery.Event) bool {
						return e.Kind == discovery.ManagerAppeared && e.Manager.Name == name
					})
				}
				unsubscribe()
			} else {
				running[k].Kill()
				running[k] = nil
			}
		case i%600 == 200:
			if _, err := advertiser.Start(ctx, localURL); err != nil {
				t.Fatalf("step %d: advertise: %v", i, err)
			}
		case i%600 == 500:
			advertiser.Stop()
		}
		if clock != nil {
			clock.Advance(time.Second)
			waitIdle(t, clock, browser)
		} else {
			time.Sleep(time.Second)
		}
		if i == 600 {
			baseline = measure(t)
		}
		if state := browser.State(); !hasManager(state, "Steady Farm") {
			t.Fatalf("step %d: the steady Manager is not listed: %+v", i, state.Managers)
		}
	}
	for k := range running {
		if running[k] != nil {
			running[k].Kill()
		}
	}
	advertiser.Stop()
	final := measure(t)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Browser.Run: %v", err)
	}
	counts := <-counted
	t.Logf("after %d steps of 1 s: goroutines %d → %d, open files %d → %d, heap %.1f → %.1f MiB; %d searches, %d checks; events %v",
		steps, baseline.goroutines, final.goroutines, baseline.files, final.files, baseline.heapMiB, final.heapMiB,
		log.searches(), log.checks(), counts)
	if counts["gone Steady Farm"] != 0 || counts["appeared Steady Farm"] != 1 {
		t.Errorf("the Manager that never stopped: appeared %d times, gone %d times; want 1 and 0",
			counts["appeared Steady Farm"], counts["gone Steady Farm"])
	}
	if realDuration == 0 && (counts["appeared Night Farm"] == 0 || counts["gone Night Farm"] == 0) {
		t.Errorf("the Manager that came and went was not seen doing so: %v", counts)
	}
	if final.goroutines > baseline.goroutines+3 {
		t.Errorf("goroutines grew from %d to %d", baseline.goroutines, final.goroutines)
	}
	if final.files > baseline.files+3 {
		t.Errorf("open files grew from %d to %d", baseline.files, final.files)
	}
	if final.heapMiB > baseline.heapMiB+4 {
		t.Errorf("heap grew from %.1f to %.1f MiB", baseline.heapMiB, final.heapMiB)
	}
}

func hasManager(state discovery.State, name string) bool {
	for _, m := range state.Managers {
		if m.Name == name && m.Reachable {
			return true
		}
	}
	return false
}
