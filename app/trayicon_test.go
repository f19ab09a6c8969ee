package app

import (
	"bytes"
	"image/png"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// scriptedFarm is what the tray knows of one Manager, "Studio Farm", and of this computer, changed
// step by step as a farm's events would.
type scriptedFarm struct {
	searching, answers, listed, advertising, lentRendering bool
	mine                                                   []managerapi.Job
	unseenFailed                                           map[string]bool
	progress                                               int // steps done of the active job: menu-only news
}

func (f scriptedFarm) state() MenuState {
	s := MenuState{Discovery: discovery.State{Searching: f.searching}, Advertising: Advertising{Active: f.advertising}}
	if f.listed {
		m := manager("Studio Farm", f.answers)
		s.Discovery.Managers = []discovery.Manager{m}
		mine := make([]managerapi.Job, len(f.mine))
		copy(mine, f.mine)
		for i := range mine {
			mine[i].Progress = &managerapi.Progress{Completed: f.progress, Total: 1000}
		}
		s.Farms = map[string]ManagerFarm{m.ID: {UnseenFailed: f.unseenFailed, Summary: farm.Summary{
			MyJobs: mine, UpdatedAt: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)}}}
	}
	if f.lentRendering {
		s.Lending = map[string]lending.Status{"Studio Farm": {Lent: true,
			Worker: localworker.State{Phase: localworker.Busy, Active: true}}}
	}
	return s
}

// The icon follows a farm through a day, one state at a time, by the priority IconFor documents.
func TestIconFollowsAScriptedFarm(t *testing.T) {
	t.Parallel()
	shot := func(status managerapi.JobStatus) []managerapi.Job {
		return []managerapi.Job{job("j1", "shot-010 lighting", status)}
	}
	steps := []struct {
		name   string
		change func(*scriptedFarm)
		want   IconState
	}{
		{"the first search runs", func(f *scriptedFarm) { f.searching = true }, IconSearching},
		{"it ends and nothing answers", func(f *scriptedFarm) { f.searching = false }, IconNoManager},
		{"a Manager is listed but does not answer", func(f *scriptedFarm) { f.listed = true }, IconNoManager},
		{"it answers", func(f *scriptedFarm) { f.answers = true }, IconManagersFound},
		{"my job is queued", func(f *scriptedFarm) { f.mine = shot(managerapi.JobQueued) }, IconManagersFound},
		{"advertising the local Manager", func(f *scriptedFarm) { f.advertising = true }, IconAdvertising},
		{"my job renders", func(f *scriptedFarm) { f.mine = shot(managerapi.JobActive) }, IconMyJobRendering},
		{"and renders on", func(f *scriptedFarm) { f.progress = 500 }, IconMyJobRendering},
		{"the Manager stops answering", func(f *scriptedFarm) { f.answers = false }, IconAdvertising},
		{"it answers again", func(f *scriptedFarm) { f.answers = true }, IconMyJobRendering},
		{"my job fails", func(f *scriptedFarm) {
			f.mine, f.unseenFailed = shot(managerapi.JobFailed), map[string]bool{"j1": true}
		}, IconMyJobFailed},
		{"failed, while the Manager does not answer", func(f *scriptedFarm) { f.answers = false }, IconMyJobFailed},
		{"failed, while this computer is lent and renders", func(f *scriptedFarm) {
			f.answers, f.lentRendering = true, true
		}, IconMyJobFailed},
		{"I looked at it", func(f *scriptedFarm) { f.unseenFailed = map[string]bool{} }, IconRendering},
		{"requeued, it renders while this computer does", func(f *scriptedFarm) { f.mine = shot(managerapi.JobActive) }, IconRendering},
		{"I am back: this computer stops", func(f *scriptedFarm) { f.lentRendering = false }, IconMyJobRendering},
		{"my job completes", func(f *scriptedFarm) { f.mine = shot(managerapi.JobCompleted) }, IconAdvertising},
		{"advertising off", func(f *scriptedFarm) { f.advertising = false }, IconManagersFound},
		{"the Manager goes from the list", func(f *scriptedFarm) { f.listed = false }, IconNoManager},
	}
	var f scriptedFarm
	for i, step := range steps {
		step.change(&f)
		if got := IconFor(f.state()); got != step.want {
			t.Errorf("step %d, %s: icon %d, want %d", i+1, step.name, got, step.want)
		}
	}
}

// A job of mine in other states, a job not mine, or a failure on a Manager no longer listed
// leave the icon as it was.
func TestIconIgnoresWhatIsNotMyNews(t *testing.T) {
	t.Parallel()
	answering := manager("Studio Farm", true)
	found := discovery.State{Managers: []discovery.Manager{answering}}
	tests := []struct {
		name string
		s    MenuState
		want IconState
	}{
		{"another user's job renders", MenuState{Discovery: found, Farms: map[string]ManagerFarm{answering.ID: {
			Summary: farm.Summary{Unfinished: []managerapi.Job{job("b1", "bob's", managerapi.JobActive)}}}}},
			IconManagersFound},
		{"my job is being paused", MenuState{Discovery: found, Farms: map[string]ManagerFarm{answering.ID: {
			Summary: farm.Summary{MyJobs: []managerapi.Job{job("j1", "mine", managerapi.JobPauseRequested)}}}}},
			IconManagersFound},
		{"a failure unseen on a Manager gone from the list", MenuState{Discovery: found, Farms: map[string]ManagerFarm{
			"gone": {UnseenFailed: map[string]bool{"j1": true}}}}, IconManagersFound},
		{"nothing unseen", MenuState{Discovery: found, Farms: map[string]ManagerFarm{answering.ID: {
			UnseenFailed: map[string]bool{}}}}, IconManagersFound},
		{"searching while a listed Manager does not answer", MenuState{Discovery: discovery.State{Searching: true,
			Managers: []discovery.Manager{manager("Studio Farm", false)}}}, IconSearching},
	}
	for _, tc := range tests {
		if got := IconFor(tc.s); got != tc.want {
			t.Errorf("%s: icon %d, want %d", tc.name, got, tc.want)
		}
	}
}

// iconDesk records the icons the tray sends to the tray host.
type iconDesk struct {
	mu    sync.Mutex
	icons []string
}

func (d *iconDesk) SetSystemTrayMenu(*fyne.Menu)    {}
func (d *iconDesk) SetSystemTrayWindow(fyne.Window) {}
func (d *iconDesk) SetSystemTrayIcon(r fyne.Resource) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.icons = append(d.icons, r.Name())
}

func (d *iconDesk) sent() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.icons...)
}

// A flood of events that change the menu (my job's progress) but not the icon's state sends the
// icon once; the next state sends it once more.
func TestAFloodOfEventsSendsTheIconOnce(t *testing.T) {
	t.Parallel()
	desk := &iconDesk{}
	surface := newTraySurface(desk, zerolog.Nop(), func(*fyne.Menu) {})
	f := scriptedFarm{listed: true, answers: true,
		mine: []managerapi.Job{job("j1", "shot-010 lighting", managerapi.JobActive)}}
	for i := range 500 {
		f.progress = i
		surface.Show(buildView(f.state(), MenuActions{}))
	}
	if got := desk.sent(); !slices.Equal(got, []string{"tray-my-job-rendering.png"}) {
		t.Errorf("after 500 events of my job rendering, %d icons sent, beginning %q, want tray-my-job-rendering.png once",
			len(got), got[:min(len(got), 3)])
	}
	if surface.menusSent != 500 {
		t.Errorf("%d menus sent, want 500: the events did not reach the menu, the test proves nothing", surface.menusSent)
	}
	f.mine[0].Status, f.unseenFailed = managerapi.JobFailed, map[string]bool{"j1": true}
	for range 100 {
		surface.Show(buildView(f.state(), MenuActions{}))
	}
	if got := desk.sent(); !slices.Equal(got, []string{"tray-my-job-rendering.png", "tray-my-job-failed.png"}) {
		t.Errorf("after my job failed, %d icons sent, beginning %q, want tray-my-job-rendering.png, then tray-my-job-failed.png",
			len(got), got[:min(len(got), 3)])
	}
}

// Each state has its own picture, 64×64 PNG like the others, for every panel to scale.
func TestEveryIconStateHasItsOwnPicture(t *testing.T) {
	t.Parallel()
	seen := map[string]IconState{}
	for _, state := range []IconState{IconSearching, IconNoManager, IconManagersFound, IconAdvertising, IconRendering,
		IconMyJobRendering, IconMyJobFailed} {
		r := iconResource(state)
		img, err := png.Decode(bytes.NewReader(r.Content()))
		if err != nil {
			t.Errorf("icon %d (%s): %v", state, r.Name(), err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
			t.Errorf("icon %d (%s) is %d×%d, want 64×64", state, r.Name(), b.Dx(), b.Dy())
		}
		if other, ok := seen[string(r.Content())]; ok {
			t.Errorf("icons %d and %d show the same picture", other, state)
		}
		seen[string(r.Content())] = state
	}
}
