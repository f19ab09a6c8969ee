package discovery_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/standin"
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
// injected clock; each simulated 10 s step is given 150 ms of real time for its HTTP checks) with
// Managers coming and going, and checks that goroutines, open files and memory stay flat. With
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

	cfg := discovery.BrowserConfig{Logger: zerolog.Nop()}
	step, steps, settle := 10*time.Second, 360, 150*time.Millisecond
	var clock *fakeclock.Clock
	if realDuration > 0 {
		step, steps, settle = time.Second, int(realDuration/time.Second), 0
	} else {
		clock = fakeclock.New(time.Now())
		cfg.Clock = clock
	}
	browser := discovery.NewBrowser(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- browser.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	var baseline resources
	for i := range steps {
		switch {
		case i%30 == 10: // a Manager comes or goes
			k := (i / 30) % len(comers)
			if running[k] == nil {
				running[k] = standin.Start(t, comers[k], []string{"Night Farm", "Day Farm"}[k])
			} else {
				running[k].Kill()
				running[k] = nil
			}
		case i%60 == 20:
			if _, err := advertiser.Start(ctx, localURL); err != nil {
				t.Fatalf("step %d: advertise: %v", i, err)
			}
		case i%60 == 50:
			advertiser.Stop()
		}
		if clock != nil {
			clock.Advance(step)
			time.Sleep(settle)
		} else {
			time.Sleep(step)
		}
		if i == 60 {
			baseline = measure(t)
		}
		if state := browser.State(); !hasManager(state, "Steady Farm") && i > 5 {
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
	t.Logf("after %d steps of %v: goroutines %d → %d, open files %d → %d, heap %.1f → %.1f MiB; %d searches, %d checks",
		steps, step, baseline.goroutines, final.goroutines, baseline.files, final.files, baseline.heapMiB, final.heapMiB,
		browser.State().Searches, browser.State().ChecksStarted)
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
