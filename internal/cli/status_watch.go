package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// watchLineJSON is one --watch --json line.
type watchLineJSON struct {
	Time        time.Time      `json:"time"`
	Manager     watchedManager `json:"manager"`
	Event       string         `json:"event"` // job, job-finished, farm
	From        string         `json:"from"`
	To          string         `json:"to"`
	Job         *jobJSON       `json:"job,omitempty"`
	Unavailable string         `json:"unavailable,omitempty"`
}

type watchedManager struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// watchStatus prints one line per transition of my jobs and of the farm state of every Manager
// (those given, else those found, set by IT for every user and remembered, followed as they come
// and go) until ctx ends. It watches them with the tray's farm.Fleet: a Manager that goes away is
// still watched for farm.KeepWatchingGone, so a job that ends while it is unreachable is printed
// when it is back.
func watchStatus(ctx context.Context, given []string, prefs traySettings, identity farm.Identity, asJSON bool,
	logger zerolog.Logger, stdout, stderr io.Writer) error {
	printer := &watchPrinter{out: stdout, asJSON: asJSON}
	var browser *discovery.Browser // set before the first Sync, so before any watcher vouches
	fleet := farm.NewFleet(farm.FleetConfig{Identity: identity, Logger: logger,
		OnEvent: func(m discovery.Manager, e farm.Event) { printer.print(targetOf(m), e) },
		Vouch: func(managerID string, alive bool) {
			if browser != nil {
				browser.Vouch(managerID, alive) // a Manager whose event bus is connected needs no HTTP checks
			}
		}})
	defer fleet.Stop()
	fmt.Fprintf(stderr, "Watching the jobs of %s (%s) and the farm state; press Ctrl+C to stop.\n", identity.UserName,
		identity.MetadataKey)

	if len(given) > 0 {
		targets, err := probeGiven(ctx, given)
		if err != nil {
			return err
		}
		managers := make([]discovery.Manager, len(targets))
		for i, t := range targets {
			managers[i] = discovery.Manager{ID: t.ID, Name: t.Name, Version: t.Version, URL: t.URL, Reachable: true}
		}
		fleet.Sync(ctx, managers)
		<-ctx.Done()
		return nil
	}

	browser = discovery.NewBrowser(discovery.BrowserConfig{Logger: logger, KnownURLs: prefs.KnownManagers,
		ManualURLs: prefs.SetByIT.With(prefs.ManualManagers)})
	return fleet.Follow(ctx, browser)
}

// watchPrinter writes the lines of several watchers, one whole line at a time.
type watchPrinter struct {
	mu       sync.Mutex
	out      io.Writer
	asJSON   bool
	progress progressThrottle
}

func (p *watchPrinter) print(target statusTarget, e farm.Event) {
	if e.Kind == farm.SummaryChanged {
		p.printProgress(target, e)
		return
	}
	line := watchLineJSON{Time: e.Time.UTC(), Manager: watchedManager{Name: target.Name, URL: target.URL}, Event: string(e.Kind)}
	switch e.Kind {
	case farm.JobChanged, farm.JobFinished:
		j := toJobJSON(target.URL, e.Transition.Job)
		line.Job, line.From, line.To = &j, string(e.Transition.From), string(e.Transition.To)
	case farm.FarmStateChanged:
		line.From, line.To, line.Unavailable = farmStateName(e.FarmFrom), farmStateName(e.FarmTo), e.Summary.Unavailable
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.write(line)
}

// printProgress writes a line for each of my jobs whose progress changed, at most every
// progressLineEvery per job.
func (p *watchPrinter) printProgress(target statusTarget, e farm.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, j := range e.Summary.MyJobs {
		if !p.progress.due(target.URL, j, e.Time) {
			continue
		}
		job := toJobJSON(target.URL, j)
		p.write(watchLineJSON{Time: e.Time.UTC(), Manager: watchedManager{Name: target.Name, URL: target.URL},
			Event: "progress", From: string(j.Status), To: string(j.Status), Job: &job})
	}
}

// write prints one line. p.mu held.
func (p *watchPrinter) write(line watchLineJSON) {
	if p.asJSON {
		_ = json.NewEncoder(p.out).Encode(line)
		return
	}
	fmt.Fprintln(p.out, formatWatchLine(line))
}

// progressLineEvery is the least time between two progress lines of one job.
const progressLineEvery = 10 * time.Second

// progressThrottle decides when a job's progress is worth a line: when it changed since the last
// line, and that line is progressLineEvery old. A plain type, times passed in.
type progressThrottle struct {
	last map[string]progressLine // by Manager URL and job id
}

type progressLine struct {
	at       time.Time
	progress managerapi.Progress
}

func (t *progressThrottle) due(manager string, j managerapi.Job, now time.Time) bool {
	if j.Progress == nil || j.Progress.Total == 0 || j.Status.Finished() {
		return false
	}
	if t.last == nil {
		t.last = make(map[string]progressLine)
	}
	key := manager + "\x00" + j.ID
	last, seen := t.last[key]
	if seen && (last.progress == *j.Progress || now.Sub(last.at) < progressLineEvery) {
		return false
	}
	t.last[key] = progressLine{at: now, progress: *j.Progress}
	return true
}

// formatWatchLine is the text form of a --watch line: time, Manager, what changed.
func formatWatchLine(l watchLineJSON) string {
	prefix := l.Time.Format(time.RFC3339) + "\t" + l.Manager.Name + "\t"
	if l.Job == nil {
		s := prefix + "farm\t" + l.From + " → " + l.To
		if l.Unavailable != "" {
			s += "\t(farm status unavailable: " + l.Unavailable + ")"
		}
		return s
	}
	if l.Event == "progress" && l.Job.Progress != nil {
		return fmt.Sprintf("%sjob\t%s\t%s · %d/%d\t%s", prefix, l.Job.Name, l.To, l.Job.Progress.Completed, l.Job.Progress.Total, l.Job.URL)
	}
	from := l.From
	if from == "" {
		from = "new"
	}
	return prefix + "job\t" + l.Job.Name + "\t" + from + " → " + l.To + "\t" + l.Job.URL
}
