package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func summaryWith(farmState managerapi.FarmState, workers map[managerapi.WorkerStatus]int, jobs map[managerapi.JobStatus]int, mine ...managerapi.Job) farm.Summary {
	s := farm.Summary{Farm: farmState, Workers: map[managerapi.WorkerStatus]int{}, Jobs: map[managerapi.JobStatus]int{},
		MyJobs: mine, UpdatedAt: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)}
	for _, st := range managerapi.WorkerStatuses {
		s.Workers[st] = workers[st]
	}
	for _, st := range managerapi.JobStatuses {
		s.Jobs[st] = jobs[st]
	}
	s.FailedToday = s.Jobs[managerapi.JobFailed]
	return s
}

func job(id, name string, status managerapi.JobStatus) managerapi.Job {
	return managerapi.Job{ID: id, Name: name, Status: status}
}

// Everything between a Manager's entry and the next one, rendered.
func managerRows(m *fyne.Menu, name string) []string {
	lines := render(m, 0)
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, name) })
	if start < 0 {
		return nil
	}
	end := start + 1
	for end < len(lines) && (strings.HasPrefix(lines[end], farmIndent) || strings.HasPrefix(lines[end], "> ")) {
		end++
	}
	return lines[start:end]
}

func TestFarmRowsUnderEachManager(t *testing.T) {
	t.Parallel()
	studio := manager("Studio Farm", true)
	tests := []struct {
		name string
		farm ManagerFarm
		want []string
	}{
		{"asking", ManagerFarm{}, []string{
			"Studio Farm — 3.3.1",
			farmIndent + "Farm: asking the Manager… [off]",
			farmIndent + "Run a Worker here",
			farmIndent + "Lend this computer when I'm away",
		}},
		{"a working farm with my jobs", ManagerFarm{Summary: summaryWith(managerapi.FarmActive,
			map[managerapi.WorkerStatus]int{managerapi.WorkerAwake: 3, managerapi.WorkerAsleep: 1, managerapi.WorkerOffline: 2},
			map[managerapi.JobStatus]int{managerapi.JobActive: 2, managerapi.JobQueued: 5, managerapi.JobFailed: 1},
			job("a5", "shot-010 lighting", managerapi.JobActive), job("bd", "shot-020 broken", managerapi.JobFailed))},
			[]string{
				"Studio Farm — 3.3.1",
				farmIndent + "Farm active · 3 awake · 1 asleep · 2 offline [off]",
				farmIndent + "Jobs: 2 active · 5 queued · 1 failed today [off]",
				farmIndent + "My jobs (1 unfinished)",
				"> shot-010 lighting — active",
				"> > Open in the web UI",
				"> > Show the last frame",
				"> > ---",
				"> > Cancel…", // a 3.3.1 Manager does not pause jobs
				"> shot-020 broken — failed",
				"> > Open in the web UI",
				"> > Show the last frame",
				"> > ---",
				"> > Requeue",
				farmIndent + "Run a Worker here",
				farmIndent + "Lend this computer when I'm away",
			}},
		{"no job says who submitted it: how to, and jobs to watch", ManagerFarm{
			Summary: func() farm.Summary {
				s := summaryWith(managerapi.FarmIdle, nil, map[managerapi.JobStatus]int{managerapi.JobActive: 1})
				s.NoJobCarriesKey = true
				s.Unfinished = []managerapi.Job{job("c1", "anon render", managerapi.JobActive)}
				return s
			}(),
			Watched: map[string]bool{"c1": true},
		}, []string{
			"Studio Farm — 3.3.1",
			farmIndent + "Farm idle · no Workers [off]",
			farmIndent + "Jobs: 1 active [off]",
			farmIndent + "My jobs",
			"> No job here says who submitted it [off]",
			"> How to tag jobs with your name…",
			"> ---",
			"> Watch a job",
			"> > anon render — active [x]",
			farmIndent + "Run a Worker here",
			farmIndent + "Lend this computer when I'm away",
		}},
		{"unavailable", ManagerFarm{Summary: farm.Summary{Unavailable: "the Manager answered 500"}}, []string{
			"Studio Farm — 3.3.1",
			farmIndent + "Farm status unavailable [off]",
			farmIndent + "Run a Worker here",
			farmIndent + "Lend this computer when I'm away",
		}},
		{"a Worker here, busy", ManagerFarm{Summary: summaryWith(managerapi.FarmActive, map[managerapi.WorkerStatus]int{managerapi.WorkerAwake: 1}, nil),
			Worker: LocalWorker{Running: true, State: "awake", Job: "shot-010 lighting"}}, []string{
			"Studio Farm — 3.3.1",
			farmIndent + "Farm active · 1 awake [off]",
			farmIndent + "No jobs queued or running [off]",
			farmIndent + "My jobs",
			"> No jobs of yours lately [off]",
			farmIndent + "Worker here: awake on shot-010 lighting",
			"> Stop after this task",
			"> Stop now",
			farmIndent + "Lend this computer when I'm away",
		}},
		{"no flamenco-worker", ManagerFarm{Summary: farm.Summary{Unavailable: "x"},
			Worker: LocalWorker{Unavailable: "flamenco-worker not found (set its place in Settings)"}}, []string{
			"Studio Farm — 3.3.1",
			farmIndent + "Farm status unavailable [off]",
			farmIndent + "Run a Worker here [off]",
			farmIndent + "flamenco-worker not found (set its place in Settings) [off]",
			farmIndent + "Lend this computer when I'm away [off]",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio}},
				Farms: map[string]ManagerFarm{studio.ID: tc.farm}}
			got := managerRows(BuildMenu(s, MenuActions{}), "Studio Farm")
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// A Manager that does not answer shows no farm rows, whatever was known of its farm; only the
// Worker this tray runs for it, so that it can be stopped.
func TestNoFarmRowsForAManagerNotAnswering(t *testing.T) {
	gone := manager("Studio Farm", false)
	s := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{gone}},
		Farms: map[string]ManagerFarm{gone.ID: {Summary: summaryWith(managerapi.FarmActive, nil, nil)}}}
	if rows := managerRows(BuildMenu(s, MenuActions{}), "Studio Farm"); len(rows) != 1 {
		t.Errorf("rows %q, want only the Manager's entry", rows)
	}
	running := LocalWorker{Running: true, State: "awake", ManagerURL: gone.URL}
	s.Farms[gone.ID] = ManagerFarm{Summary: summaryWith(managerapi.FarmActive, nil, nil), Worker: running}
	s.Workers = map[string]LocalWorker{gone.ID: running}
	var stopped []string
	menu := BuildMenu(s, MenuActions{StopWorker: func(id string, after bool) { stopped = append(stopped, id) }})
	want := []string{"Studio Farm — 3.3.1 (not answering) [off]", farmIndent + "Worker here: awake", "> Stop after this task", "> Stop now"}
	if rows := managerRows(menu, "Studio Farm"); !slices.Equal(rows, want) {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if i := slices.IndexFunc(menu.Items, func(it *fyne.MenuItem) bool { return strings.Contains(it.Label, "Worker here") }); i < 0 {
		t.Fatal("no Worker row")
	} else if menu.Items[i].ChildMenu.Items[1].Action(); !slices.Equal(stopped, []string{gone.ID}) {
		t.Errorf("stopped %v", stopped)
	}
}

// A Worker this tray runs whose Manager has left the list keeps a row of its own, to stop it.
func TestAWorkerWhoseManagerLeftTheListCanStillBeStopped(t *testing.T) {
	night := manager("Night Farm", true)
	s := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{night}},
		Farms: map[string]ManagerFarm{night.ID: {Summary: summaryWith(managerapi.FarmIdle, nil, nil)}},
		Workers: map[string]LocalWorker{
			"Studio Farm|10.0.0.5|8080": {Running: true, State: "asleep", ManagerURL: "http://10.0.0.5:8080/"},
			"Old Farm|10.0.0.6|8080":    {State: "not-running", ManagerURL: "http://10.0.0.6:8080/"},
		}}
	var stopped []string
	menu := BuildMenu(s, MenuActions{StopWorker: func(id string, after bool) { stopped = append(stopped, id) }})
	var labels []string
	var row *fyne.MenuItem
	for _, it := range menu.Items {
		if strings.Contains(it.Label, "Worker here for") {
			labels = append(labels, it.Label)
			row = it
		}
	}
	if !slices.Equal(labels, []string{"Worker here for 10.0.0.5:8080: asleep"}) {
		t.Fatalf("rows %q", labels)
	}
	row.ChildMenu.Items[0].Action()
	if !slices.Equal(stopped, []string{"Studio Farm|10.0.0.5|8080"}) {
		t.Errorf("stopped %v", stopped)
	}
	// Its key differs from the same menu's without it: the row is sent.
	without := s
	without.Workers = nil
	if buildView(s, MenuActions{}).key == buildView(without, MenuActions{}).key {
		t.Error("the same key with and without the Worker's row")
	}
}

// Each job row opens its job, of its Manager; the Worker rows start and stop that Manager's Worker.
func TestFarmRowsAct(t *testing.T) {
	studio, night := manager("Studio Farm", true), manager("Night Farm", true)
	var did []string
	a := MenuActions{
		OpenJob:     func(m, j string) { did = append(did, "open "+m+" "+j) },
		ToggleWatch: func(m, j string) { did = append(did, "watch "+m+" "+j) },
		StartWorker: func(m string) { did = append(did, "start "+m) },
		StopWorker: func(m string, after bool) {
			did = append(did, "stop "+m+map[bool]string{true: " after task", false: " now"}[after])
		},
	}
	busy := summaryWith(managerapi.FarmActive, nil, nil, job("a5", "shot-010", managerapi.JobActive))
	anon := summaryWith(managerapi.FarmActive, nil, nil)
	anon.NoJobCarriesKey, anon.Unfinished = true, []managerapi.Job{job("c1", "anon", managerapi.JobQueued)}
	s := MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio, night}}, Farms: map[string]ManagerFarm{
		studio.ID: {Summary: busy, Worker: LocalWorker{Running: true, State: "asleep"}},
		night.ID:  {Summary: anon},
	}}
	m := BuildMenu(s, a)
	find := func(path ...string) *fyne.MenuItem {
		t.Helper()
		items := m.Items
		var found *fyne.MenuItem
		for _, label := range path {
			i := slices.IndexFunc(items, func(it *fyne.MenuItem) bool { return strings.Contains(it.Label, label) })
			if i < 0 {
				t.Fatalf("no %q in %v", label, path)
			}
			found = items[i]
			if found.ChildMenu != nil {
				items = found.ChildMenu.Items
			}
		}
		return found
	}
	// The first "My jobs" and Worker rows are Studio Farm's (it is listed first).
	find("My jobs", "shot-010", "Open in the web UI").Action()
	find("Worker here", "Stop after this task").Action()
	find("Worker here", "Stop now").Action()
	nightRows := m.Items[slices.IndexFunc(m.Items, func(it *fyne.MenuItem) bool { return strings.HasPrefix(it.Label, "Night Farm") }):]
	for _, it := range nightRows {
		switch {
		case strings.Contains(it.Label, "My jobs"):
			for _, sub := range it.ChildMenu.Items {
				if sub.Label == "Watch a job" {
					sub.ChildMenu.Items[0].Action()
				}
			}
		case strings.Contains(it.Label, "Run a Worker here"):
			it.Action()
		}
	}
	want := []string{"open Studio Farm a5", "stop Studio Farm after task", "stop Studio Farm now", "watch Night Farm c1", "start Night Farm"}
	if !slices.Equal(did, want) {
		t.Errorf("did %q, want %q", did, want)
	}
}

// A menu whose job rows look the same but open other jobs is another menu (see menuKey).
func TestMenuKeyIncludesTheJobsRowsOpen(t *testing.T) {
	studio := manager("Studio Farm", true)
	view := func(jobID string) trayView {
		return buildView(MenuState{Discovery: discovery.State{Managers: []discovery.Manager{studio}},
			Farms: map[string]ManagerFarm{studio.ID: {Summary: summaryWith(managerapi.FarmActive, nil, nil, job(jobID, "render", managerapi.JobActive))}}},
			MenuActions{})
	}
	if view("a").key == view("b").key {
		t.Error("two menus whose job row opens different jobs have one key")
	}
	if view("a").key != view("a").key {
		t.Error("the same menu has two keys")
	}
}

func TestJobLabelIsCleanedAndBounded(t *testing.T) {
	long := strings.Repeat("x", 200)
	if got := JobLabel(job("id", "shot\u202e-010\n"+long, managerapi.JobQueued)); strings.ContainsAny(got, "\u202e\n") || len([]rune(got)) > maxJobNameRunes+len(" — queued")+1 {
		t.Errorf("JobLabel = %q", got)
	}
	if got := JobLabel(job("id-only", "", managerapi.JobActive)); got != "id-only — active" {
		t.Errorf("a job without a name: %q", got)
	}
}

func TestJobLabelShowsProgressWhereTheManagerSaysIt(t *testing.T) {
	t.Parallel()
	active := job("a", "shot-010", managerapi.JobActive)
	for _, tc := range []struct {
		progress *managerapi.Progress
		want     string
	}{
		{&managerapi.Progress{Completed: 2, Total: 3}, "shot-010 — active · 2/3"},
		{&managerapi.Progress{Completed: 0, Total: 0}, "shot-010 — active"}, // a job without steps yet (3.8 sends 0/0 for queued jobs)
		{nil, "shot-010 — active"}, // a Manager before 3.8
	} {
		active.Progress = tc.progress
		if got := JobLabel(active); got != tc.want {
			t.Errorf("progress %+v: %q, want %q", tc.progress, got, tc.want)
		}
	}
}
