package farm_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/fakeclock"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

func fleetManager(name, url string, reachable bool) discovery.Manager {
	return discovery.Manager{ID: name, Name: name, URL: url, Reachable: reachable}
}

func TestFleetPlanKeepsWatchingThroughOutagesAndMovesToANewURL(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	studio := fleetManager("Studio Farm", "http://10.0.0.5:8080/", true)
	studioDown := fleetManager("Studio Farm", "http://10.0.0.5:8080/", false)
	moved := fleetManager("Studio Farm", "http://10.0.0.9:8080/", true)
	night := fleetManager("Night Farm", "http://10.0.0.6:8080/", true)
	runningFor := func(m discovery.Manager, unlistedSince time.Time) map[string]farm.Watching {
		return map[string]farm.Watching{m.ID: {URL: m.URL, UnlistedSince: unlistedSince}}
	}
	ids := func(ms []discovery.Manager) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		running   map[string]farm.Watching
		listed    []discovery.Manager
		wantStart []string
		wantStop  []string
		wantMove  []string
	}{
		{"a new Manager that answers", nil, []discovery.Manager{studio}, []string{"Studio Farm"}, nil, nil},
		{"a new Manager that does not answer yet", nil, []discovery.Manager{studioDown}, nil, nil, nil},
		{"not answering for a while: kept", runningFor(studio, time.Time{}), []discovery.Manager{studioDown}, nil, nil, nil},
		{"gone from the list: kept for a while", runningFor(studio, now.Add(-time.Minute)), nil, nil, nil, nil},
		{"gone for an hour: stopped", runningFor(studio, now.Add(-farm.KeepWatchingGone)), nil, nil, []string{"Studio Farm"}, nil},
		{"back at another address: moved", runningFor(studio, time.Time{}), []discovery.Manager{moved}, nil, nil, []string{"Studio Farm"}},
		{"another Manager besides", runningFor(studio, time.Time{}), []discovery.Manager{studio, night}, []string{"Night Farm"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, stop, move := farm.FleetPlan(tc.running, tc.listed, now)
			if !slices.Equal(ids(start), tc.wantStart) || !slices.Equal(stop, tc.wantStop) || !slices.Equal(ids(move), tc.wantMove) {
				t.Errorf("start %q stop %q move %q, want %q %q %q", ids(start), stop, ids(move), tc.wantStart, tc.wantStop, tc.wantMove)
			}
		})
	}
}

// fleetHarness is a Fleet over two stand-in Managers, on real HTTP and websockets, with a fake clock
// for how long a Manager has been gone.
type fleetHarness struct {
	t        *testing.T
	clock    *fakeclock.Clock
	fleet    *farm.Fleet
	studio   *farmstandin.Farm
	night    *farmstandin.Farm
	studioAt string
	nightAt  string
	events   chan fleetEvent

	vouchMu    sync.Mutex
	vouchQueue map[string][]string // by Manager: changes not yet waited for ("Studio Farm up")
	vouchLast  map[string]bool
	vouchSeen  map[string]bool
}

type fleetEvent struct {
	manager string
	event   farm.Event
}

func newFleetHarness(t *testing.T) *fleetHarness {
	t.Helper()
	h := &fleetHarness{t: t, clock: fakeclock.New(time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)),
		events: make(chan fleetEvent, 256), vouchQueue: map[string][]string{}, vouchLast: map[string]bool{},
		vouchSeen: map[string]bool{}}
	h.studio = farmstandin.New("Studio Farm", farmstandin.WithVersion("3.8.5"))
	h.night = farmstandin.New("Night Farm", farmstandin.WithVersion("3.3.1"))
	h.studioAt, h.nightAt = farmstandin.Serve(t, h.studio).URL, farmstandin.Serve(t, h.night).URL
	h.fleet = farm.NewFleet(farm.FleetConfig{
		Identity: farm.Identity{UserName: "alice"},
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Clock:    h.clock,
		OnEvent:  func(m discovery.Manager, e farm.Event) { h.events <- fleetEvent{m.ID, e} },
		Vouch:    h.recordVouch,
	})
	t.Cleanup(h.fleet.Stop)
	return h
}

// waitVouch waits for the next change of what the fleet vouches for one Manager ("Studio Farm up")
// and fails unless it is want, or after 10 s. A repeat of the same state is no change: a watcher's
// bus and the fleet both say "down" when a watcher stops.
func (h *fleetHarness) waitVouch(want string) {
	h.t.Helper()
	manager := want[:strings.LastIndexByte(want, ' ')]
	deadline := time.Now().Add(10 * time.Second)
	h.vouchMu.Lock()
	defer h.vouchMu.Unlock()
	for {
		if queue := h.vouchQueue[manager]; len(queue) > 0 {
			h.vouchQueue[manager] = queue[1:]
			if queue[0] != want {
				h.t.Fatalf("vouch %q, want %q", queue[0], want)
			}
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no %q vouch within 10 s", want)
		}
		h.vouchMu.Unlock()
		time.Sleep(10 * time.Millisecond)
		h.vouchMu.Lock()
	}
}

// recordVouch queues a change of what is vouched for a Manager.
func (h *fleetHarness) recordVouch(manager string, alive bool) {
	h.vouchMu.Lock()
	defer h.vouchMu.Unlock()
	if h.vouchLast[manager] == alive && h.vouchSeen[manager] {
		return
	}
	h.vouchLast[manager], h.vouchSeen[manager] = alive, true
	h.vouchQueue[manager] = append(h.vouchQueue[manager], manager+" "+map[bool]string{true: "up", false: "down"}[alive])
}

// waitJobEnd waits for the end of job id on manager, failing after 10 s.
func (h *fleetHarness) waitJobEnd(manager, id string) farm.Event {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-h.events:
			if e.manager == manager && e.event.Kind == farm.JobFinished && e.event.Transition.Job.ID == id {
				return e.event
			}
		case <-timeout:
			h.t.Fatalf("no end of job %s on %s within 10 s", id, manager)
		}
	}
}

// One watcher per listed Manager, each Manager's events tagged with it; a Manager gone from the
// list is watched for KeepWatchingGone more (a job that ends meanwhile is still reported), then
// its watcher stops and its event bus closes; Stop ends the rest.
func TestFleetWatchesEachListedManagerUntilItHasBeenGoneAnHour(t *testing.T) {
	h := newFleetHarness(t)
	ctx := t.Context()
	studio := fleetManager("Studio Farm", h.studioAt, true)
	night := fleetManager("Night Farm", h.nightAt, true)
	h.fleet.Sync(ctx, []discovery.Manager{studio, night})
	h.waitVouch("Studio Farm up")
	h.waitVouch("Night Farm up")
	testio.WaitFor(t, 10*time.Second, func() bool {
		s := h.fleet.Summaries()
		return len(s) == 2 && s["Studio Farm"].Known() && s["Night Farm"].Known()
	})

	shot := h.studio.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice", Status: "active"})
	testio.WaitFor(t, 10*time.Second, func() bool { return len(h.fleet.Summaries()["Studio Farm"].MyJobs) == 1 })
	h.fleet.Sync(ctx, []discovery.Manager{night}) // Studio Farm leaves the list
	if err := h.studio.SetJobStatus(shot, "completed", "all tasks completed"); err != nil {
		t.Fatal(err)
	}
	if e := h.waitJobEnd("Studio Farm", shot); e.Transition.To != "completed" {
		t.Errorf("end reported as %q", e.Transition.To)
	}

	h.clock.Advance(farm.KeepWatchingGone)
	h.fleet.Sync(ctx, []discovery.Manager{night})
	h.waitVouch("Studio Farm down")
	testio.WaitFor(t, 10*time.Second, func() bool { return h.studio.EventBusStats().Open == 0 })
	if _, ok := h.fleet.Summaries()["Studio Farm"]; ok {
		t.Error("Studio Farm still has a summary after its watcher stopped")
	}
	if h.night.EventBusStats().Open != 1 {
		t.Errorf("Night Farm has %d event-bus connections, want 1", h.night.EventBusStats().Open)
	}

	h.fleet.Stop()
	h.waitVouch("Night Farm down")
	testio.WaitFor(t, 10*time.Second, func() bool { return h.night.EventBusStats().Open == 0 })
	h.fleet.Sync(ctx, []discovery.Manager{studio})
	if n := len(h.fleet.Summaries()); n != 0 {
		t.Errorf("Sync after Stop started %d watchers", n)
	}
}

// A Manager that answers at a new URL keeps its watcher, which follows it there; who the user is and
// which jobs are watched are kept.
func TestFleetFollowsANewURLAndPassesSettingsOn(t *testing.T) {
	h := newFleetHarness(t)
	ctx := t.Context()
	h.fleet.Sync(ctx, []discovery.Manager{fleetManager("Studio Farm", h.nightAt, true)})
	h.waitVouch("Studio Farm up")
	h.fleet.SetIdentity(farm.Identity{UserName: "bob"})
	bobs := h.studio.SubmitJob(farmstandin.JobSpec{Name: "bob-shot", User: "bob", Status: "active"})
	other := h.studio.SubmitJob(farmstandin.JobSpec{Name: "carol-shot", User: "carol", Status: "active"})
	if got := h.fleet.ToggleWatch(other); !slices.Equal(got, []string{other}) {
		t.Fatalf("watched %q, want %q", got, []string{other})
	}

	h.fleet.Sync(ctx, []discovery.Manager{fleetManager("Studio Farm", h.studioAt, true)})
	testio.WaitFor(t, 10*time.Second, func() bool {
		s := h.fleet.Summaries()["Studio Farm"]
		var names []string
		for _, j := range s.MyJobs {
			names = append(names, j.Name)
		}
		slices.Sort(names)
		return slices.Equal(names, []string{"bob-shot", "carol-shot"})
	})
	if err := h.studio.SetJobStatus(bobs, "failed", "too many tasks failed"); err != nil {
		t.Fatal(err)
	}
	h.waitJobEnd("Studio Farm", bobs)
	if got := h.fleet.Watched(); !slices.Equal(got, []string{other}) {
		t.Errorf("Watched() = %q", got)
	}
}
