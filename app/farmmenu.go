package app

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

const (
	// farmIndent sets the farm's rows under their Manager's entry: menus have no other way to show
	// that rows belong together.
	farmIndent      = "    "
	maxWatchChoices = 10 // the unfinished jobs offered to watch
	maxJobNameRunes = 50 // a job's name in the menu: the status must still show
	// IdentityHelpURL explains how a studio makes jobs say who submitted them (docs/artists.md).
	IdentityHelpURL = "https://github.com/flamenco-tray/flamenco-tray/blob/main/docs/artists.md#my-jobs-tell-flamenco-who-submitted-a-job"
)

// ManagerFarm is what the menu shows under a listed Manager besides its entry.
type ManagerFarm struct {
	Summary farm.Summary
	Watched map[string]bool // the jobs the user picked to watch on this Manager
	Worker  LocalWorker
	// UnseenFailed are my jobs (by ID) that failed while the tray ran, not looked at since.
	UnseenFailed map[string]bool
	// Frames are my jobs' tiny last-rendered frames (by job ID) as menu icons, named by their content
	// so that the menu's key changes with the picture.
	Frames map[string]fyne.Resource
}

// LocalWorker is the state of a Worker this tray runs for a Manager.
type LocalWorker struct {
	Unavailable string // why no Worker can run here ("" when one can): no flamenco-worker found
	Running     bool   // the tray runs one for this Manager (starting, working or stopping)
	// State is what its Manager says of it (awake, asleep, …) or "starting"/"stopping"; Job is the
	// job it works on, when busy.
	State      string
	Job        string
	Problem    string // why the last one stopped by itself
	ManagerURL string // the URL it works for
}

// farmItems are the rows under a reachable Manager's entry.
func farmItems(m discovery.Manager, f ManagerFarm, a MenuActions) []*fyne.MenuItem {
	s := f.Summary
	items := []*fyne.MenuItem{disabled(farmIndent + shortMessage(FarmLine(s)))}
	if s.Known() && s.Unavailable == "" {
		items = append(items, disabled(farmIndent+shortMessage(JobsLine(s))))
	}
	if s.Known() {
		items = append(items, myJobsItem(m, f, a))
	}
	return append(items, workerItems(m, f.Worker, a)...)
}

// FarmLine is the farm's state and its Workers by state: "Farm active · 3 awake · 1 asleep".
func FarmLine(s farm.Summary) string {
	switch {
	case !s.Known() && s.Unavailable == "":
		return "Farm: asking the Manager…"
	case s.Unavailable != "":
		return "Farm status unavailable"
	}
	state := string(s.Farm)
	if state == "" {
		state = "unknown"
	}
	counts := statusCounts(managerapi.WorkerStatuses, s.Workers)
	if len(counts) == 0 {
		counts = []string{"no Workers"}
	}
	return "Farm " + state + " · " + strings.Join(counts, " · ")
}

// JobsLine counts the unfinished jobs by state, and those that failed today: "Jobs: 2 active · 1
// failed today".
func JobsLine(s farm.Summary) string {
	counts := statusCounts(managerapi.UnfinishedJobStatuses, s.Jobs)
	if s.FailedToday > 0 {
		more := ""
		if s.FinishedTodayCapped {
			more = "+"
		}
		counts = append(counts, fmt.Sprintf("%d%s failed today", s.FailedToday, more))
	}
	if len(counts) == 0 {
		return "No jobs queued or running"
	}
	return "Jobs: " + strings.Join(counts, " · ")
}

// statusCounts are the counts of the statuses that have any, in order: "3 awake".
func statusCounts[S ~string](order []S, n map[S]int) []string {
	var counts []string
	for _, status := range order {
		if n[status] > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n[status], status))
		}
	}
	return counts
}

// JobLabel is how a job is listed: "shot-010 lighting — active", with its progress where the
// Manager says it (Flamenco 3.8+) and the job has steps: "shot-010 lighting — active · 2/3".
func JobLabel(j managerapi.Job) string {
	name := managerapi.CleanText(j.Name, maxJobNameRunes)
	if name == "" {
		name = j.ID
	}
	label := name + " — " + string(j.Status)
	if p := j.Progress; p != nil && p.Total > 0 {
		label += fmt.Sprintf(" · %d/%d", p.Completed, p.Total)
	}
	return label
}

func myJobsItem(m discovery.Manager, f ManagerFarm, a MenuActions) *fyne.MenuItem {
	s := f.Summary
	managerID := m.ID
	var items []*fyne.MenuItem
	for _, j := range s.MyJobs {
		items = append(items, jobItem(managerID, j, f, a))
	}
	if s.NoJobCarriesKey {
		if len(items) > 0 {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		items = append(items,
			disabled("No job here says who submitted it"),
			fyne.NewMenuItem("How to tag jobs with your name…", a.HowToTagJobs))
	} else if len(s.MyJobs) == 0 {
		items = append(items, disabled("No jobs of yours lately"))
	}
	if choices := watchChoices(s); len(choices) > 0 && (s.NoJobCarriesKey || len(f.Watched) > 0) {
		var watchItems []*fyne.MenuItem
		for _, j := range choices {
			jobID := j.ID
			item := fyne.NewMenuItem(JobLabel(j), func() { a.ToggleWatch(managerID, jobID) })
			item.Checked = f.Watched[jobID]
			watchItems = append(watchItems, item)
		}
		items = append(items, fyne.NewMenuItemSeparator(), submenu("Watch a job", watchItems...))
	}
	unfinished := 0
	for _, j := range s.MyJobs {
		if !j.Status.Finished() {
			unfinished++
		}
	}
	label := "My jobs"
	if unfinished > 0 {
		label = fmt.Sprintf("My jobs (%d unfinished)", unfinished)
	}
	return submenu(farmIndent+label, items...)
}

// jobLabels are the words of each action's item.
var jobLabels = map[farm.JobAction]string{farm.Pause: "Pause", farm.Resume: "Resume", farm.Requeue: "Requeue",
	farm.Cancel: "Cancel…"}

// jobItem is a job's row in My jobs, with its last rendered frame as its icon, and its submenu: open
// it, show its frame, and, for the user's own jobs, the actions its state and the Manager allow.
func jobItem(managerID string, j managerapi.Job, f ManagerFarm, a MenuActions) *fyne.MenuItem {
	jobID := j.ID
	label := JobLabel(j)
	if f.Watched[jobID] {
		label += " (watched)"
	}
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Open in the web UI", func() { a.OpenJob(managerID, jobID) }),
		fyne.NewMenuItem("Show the last frame", func() { a.ShowFrame(managerID, jobID) }),
	}
	if actions := farm.ActionsFor(j.Status, f.Summary.CanPause); len(actions) > 0 && !f.Summary.Theirs[jobID] {
		items = append(items, fyne.NewMenuItemSeparator())
		for _, action := range actions {
			items = append(items, fyne.NewMenuItem(jobLabels[action], func() { a.JobAction(managerID, jobID, action) }))
		}
	}
	item := submenu(label, items...)
	item.Icon = f.Frames[jobID]
	return item
}

// watchChoices are the unfinished jobs the user can pick to watch, watched ones included.
func watchChoices(s farm.Summary) []managerapi.Job {
	return s.Unfinished[:min(len(s.Unfinished), maxWatchChoices)]
}

// workerItems are the local Worker's rows: "Run a Worker here", or its state with a way to stop it.
func workerItems(m discovery.Manager, w LocalWorker, a MenuActions) []*fyne.MenuItem {
	managerID := m.ID
	if w.Running {
		return []*fyne.MenuItem{runningWorkerItem(farmIndent+"Worker here", managerID, w, a)}
	}
	run := fyne.NewMenuItem(farmIndent+"Run a Worker here", func() { a.StartWorker(managerID) })
	items := []*fyne.MenuItem{run}
	if w.Unavailable != "" {
		run.Action, run.Disabled = nil, true
		items = append(items, disabled(farmIndent+shortMessage(w.Unavailable)))
	} else if w.Problem != "" {
		items = append(items, disabled(farmIndent+shortMessage(w.Problem)))
	}
	return items
}

// runningWorkerItem is a running Worker's row, "<title>: busy on “shot-010”", with a way to stop it.
func runningWorkerItem(title, managerID string, w LocalWorker, a MenuActions) *fyne.MenuItem {
	state := w.State
	if w.Job != "" {
		state += " on " + managerapi.CleanText(w.Job, maxJobNameRunes)
	}
	return submenu(title+": "+state,
		fyne.NewMenuItem("Stop after this task", func() { a.StopWorker(managerID, true) }),
		fyne.NewMenuItem("Stop now", func() { a.StopWorker(managerID, false) }))
}

// workersWithoutRow are rows for the running Workers whose Manager has none in the menu, in the
// order of their Manager's URL: "Worker here for 10.0.0.5:8080: awake", with a way to stop it.
func workersWithoutRow(workers map[string]LocalWorker, rowOf map[string]bool, a MenuActions) []*fyne.MenuItem {
	var ids []string
	for id, w := range workers {
		if w.Running && !rowOf[id] {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(x, y string) int { return cmp.Compare(workers[x].ManagerURL, workers[y].ManagerURL) })
	var items []*fyne.MenuItem
	for _, id := range ids {
		host := workers[id].ManagerURL
		if u, err := url.Parse(host); err == nil && u.Host != "" {
			host = u.Host
		}
		title := "Worker here for " + managerapi.CleanText(host, maxJobNameRunes)
		items = append(items, runningWorkerItem(title, id, workers[id], a))
	}
	return items
}

// farmIDs are the IDs the farm rows' items capture beyond the Manager's (jobs), in menu order, for
// the menu's key.
func farmIDs(managers []discovery.Manager, farms map[string]ManagerFarm) []string {
	var ids []string
	for _, m := range managers {
		f, ok := farms[m.ID]
		if !ok || !m.Reachable {
			continue
		}
		for _, j := range f.Summary.MyJobs {
			ids = append(ids, m.ID+"/"+j.ID)
		}
		for _, j := range watchChoices(f.Summary) {
			ids = append(ids, m.ID+"/watch/"+j.ID)
		}
	}
	return ids
}
