package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// statusJSON is the --json form of one Manager's farm status.
type statusJSON struct {
	Name        string         `json:"name"`
	URL         string         `json:"url"`
	Version     string         `json:"version"`
	Farm        string         `json:"farm"`
	Workers     map[string]int `json:"workers"`
	Jobs        map[string]int `json:"jobs"`
	MyJobs      []jobJSON      `json:"my_jobs"`
	Unavailable string         `json:"unavailable,omitempty"`
}

type jobJSON struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Status  string    `json:"status"`
	Updated time.Time `json:"updated"`
	URL     string    `json:"url"`
	// Progress is the job's steps done, null where the Manager does not say (before Flamenco 3.8).
	Progress *managerapi.Progress `json:"progress"`
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, debug := newFlagSet("status", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "keep running and print one line per change of my jobs and of the farm state")
	timeout := fs.Duration("timeout", searchTimeout, "how long to search for Managers (without --manager)")
	userName := fs.String("user", "", "whose jobs are \"mine\" (default: as in Settings, else the login name)")
	metadataKey := fs.String("key", "", "the job metadata key that names the user (default: as in Settings, else user.name)")
	var given stringList
	fs.Var(&given, "manager", "only this Manager, by URL; it must answer (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageError("--timeout must be positive")
	}
	for _, u := range given {
		if _, err := managerapi.BaseURL(u); err != nil {
			return usageError(err.Error())
		}
	}
	logger := newLogger(stderr, *debug)
	prefs := readTraySettings()
	if len(given) == 0 {
		warnSkipped(stderr, prefs.SetByIT)
	}
	identity := statusIdentity(prefs, *userName, *metadataKey)
	if *watch {
		return watchStatus(ctx, given, prefs, identity, *asJSON, logger, stdout, stderr)
	}
	managers, err := statusTargets(ctx, given, prefs, *timeout, logger)
	if err != nil {
		return err
	}
	reports := make([]statusJSON, len(managers))
	errs := make([]error, len(managers))
	var wg sync.WaitGroup
	for i, m := range managers {
		wg.Go(func() { reports[i], errs[i] = fetchStatus(ctx, m, identity, logger) })
	}
	wg.Wait()
	if err := printStatus(stdout, reports, identity, *asJSON); err != nil {
		return err
	}
	var problems []string
	for i, err := range errs {
		if err != nil {
			problems = append(problems, fmt.Sprintf("flamenco-tray: farm status of %s unavailable: %s", describe(managers[i]),
				reports[i].Unavailable))
		}
	}
	// A Manager asked for by name must answer; one found on the LAN that does not answer about its
	// farm (too old, busy) is listed with why, and the others' status is still a success.
	switch {
	case len(problems) == 0:
		return nil
	case len(given) == 0:
		fmt.Fprintln(stderr, strings.Join(problems, "\n"))
		return nil
	}
	return exitError{code: 1, message: strings.Join(problems, "\n")}
}

// statusIdentity is who "I" am: the command line's choice, else the tray's Settings, else the login.
func statusIdentity(prefs traySettings, userName, metadataKey string) farm.Identity {
	id := prefs.Identity
	id.UserName = cmp.Or(userName, id.UserName)
	id.MetadataKey = cmp.Or(metadataKey, id.MetadataKey)
	return id.Normalized()
}

// statusTargets are the Managers given (each must answer), else those found on the LAN as `discover`
// finds them and those the tray checks directly (set by IT, added by hand, seen before) that answer.
func statusTargets(ctx context.Context, given []string, prefs traySettings, timeout time.Duration, logger zerolog.Logger) ([]discovery.Manager, error) {
	if len(given) > 0 {
		return probeGiven(ctx, given)
	}
	managers, problem, err := browseWhileProbing(ctx, discovery.BrowserConfig{Logger: logger}, timeout,
		append(prefs.SetByIT.With(prefs.ManualManagers), prefs.KnownManagers...))
	if err != nil {
		return nil, err
	}
	managers = slices.DeleteFunc(managers, func(m discovery.Manager) bool { return !m.Reachable })
	if len(managers) == 0 {
		return nil, nothingFound(problem)
	}
	return managers, nil
}

// fetchStatus asks one Manager for its farm status: the Watcher's first full status, as the menu's.
func fetchStatus(ctx context.Context, m discovery.Manager, identity farm.Identity, logger zerolog.Logger) (statusJSON, error) {
	client := managerapi.NewClient(m.URL)
	defer client.CloseIdleConnections()
	w := farm.NewWatcher(farm.WatcherConfig{Client: client, Identity: identity, Logger: logger})
	summary, err := w.Once(ctx)
	return toStatusJSON(m, summary), err
}

func toStatusJSON(m discovery.Manager, s farm.Summary) statusJSON {
	r := statusJSON{Name: displayName(m), URL: m.URL, Version: m.Version, Farm: farmStateName(s.Farm),
		Workers: make(map[string]int), Jobs: make(map[string]int), MyJobs: []jobJSON{}, Unavailable: s.Unavailable}
	for status, n := range s.Workers {
		r.Workers[string(status)] = n
	}
	for status, n := range s.Jobs {
		r.Jobs[string(status)] = n
	}
	for _, j := range s.MyJobs {
		r.MyJobs = append(r.MyJobs, toJobJSON(m.URL, j))
	}
	return r
}

func toJobJSON(manager string, j managerapi.Job) jobJSON {
	return jobJSON{ID: j.ID, Name: j.Name, Status: string(j.Status), Updated: j.Updated.UTC(), URL: managerapi.JobURL(manager, j.ID),
		Progress: j.Progress}
}

func farmStateName(s managerapi.FarmState) string {
	return cmp.Or(string(s), "unknown") // managerapi.FarmUnknown is ""
}

func printStatus(stdout io.Writer, reports []statusJSON, identity farm.Identity, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprint(stdout, formatStatus(r, identity))
	}
	return nil
}

// formatStatus is the text form of one Manager's farm status, as the menu words it.
func formatStatus(r statusJSON, identity farm.Identity) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s\t%s\n", r.Name, r.Version, r.URL)
	if r.Unavailable != "" {
		fmt.Fprintf(&b, "  farm status unavailable: %s\n", r.Unavailable)
	}
	fmt.Fprintf(&b, "  farm: %s\n", r.Farm)
	fmt.Fprintf(&b, "  workers: %s\n", countsLine(r.Workers, managerapi.WorkerStatuses, nil))
	fmt.Fprintf(&b, "  jobs: %s\n", countsLine(r.Jobs, managerapi.JobStatuses, map[string]string{
		"completed": "completed today", "failed": "failed today", "canceled": "canceled today"}))
	if len(r.MyJobs) == 0 {
		fmt.Fprintf(&b, "  my jobs (%s = %s): none\n", identity.MetadataKey, identity.UserName)
		return b.String()
	}
	fmt.Fprintf(&b, "  my jobs (%s = %s):\n", identity.MetadataKey, identity.UserName)
	for _, j := range r.MyJobs {
		fmt.Fprintf(&b, "    %-18s %s\t%s\t%s\n", j.Status, j.Name, j.Updated.Local().Format("2006-01-02 15:04"), j.URL)
	}
	return b.String()
}

// countsLine words counts as "3 awake · 1 asleep", the non-zero ones in order, then any status this
// program does not know; "none" when all are zero.
func countsLine[S ~string](counts map[string]int, order []S, labels map[string]string) string {
	var parts []string
	add := func(status string) {
		if n := counts[status]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, cmp.Or(labels[status], status)))
		}
	}
	for _, status := range order {
		add(string(status))
	}
	var others []string
	for status := range counts {
		if !slices.Contains(order, S(status)) {
			others = append(others, status)
		}
	}
	slices.Sort(others)
	for _, status := range others {
		add(status)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " · ")
}

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
// (those given, else those found and those the tray checks directly) until ctx ends, through the
// tray's farm.Fleet: a job that ends while its Manager is unreachable is printed when it is back.
func watchStatus(ctx context.Context, given []string, prefs traySettings, identity farm.Identity, asJSON bool,
	logger zerolog.Logger, stdout, stderr io.Writer) error {
	printer := &watchPrinter{out: stdout, asJSON: asJSON, progress: progressThrottle{}}
	var browser *discovery.Browser // set before the first Sync, so before any watcher vouches
	fleet := farm.NewFleet(farm.FleetConfig{Identity: identity, Logger: logger,
		OnEvent: func(m discovery.Manager, e farm.Event) { printer.print(m, e) },
		Vouch: func(managerID string, alive bool) {
			if browser != nil {
				browser.Vouch(managerID, alive) // a Manager whose event bus is connected needs no HTTP checks
			}
		}})
	defer fleet.Stop()
	fmt.Fprintf(stderr, "Watching the jobs of %s (%s) and the farm state; press Ctrl+C to stop.\n", identity.UserName,
		identity.MetadataKey)
	if len(given) > 0 {
		managers, err := probeGiven(ctx, given)
		if err != nil {
			return err
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

func (p *watchPrinter) print(m discovery.Manager, e farm.Event) {
	line := watchLineJSON{Time: e.Time.UTC(), Manager: watchedManager{Name: displayName(m), URL: m.URL}, Event: string(e.Kind)}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case farm.SummaryChanged:
		p.printProgress(line, e)
		return
	case farm.JobChanged, farm.JobFinished:
		j := toJobJSON(m.URL, e.Transition.Job)
		line.Job, line.From, line.To = &j, string(e.Transition.From), string(e.Transition.To)
	case farm.FarmStateChanged:
		line.From, line.To, line.Unavailable = farmStateName(e.FarmFrom), farmStateName(e.FarmTo), e.Summary.Unavailable
	default:
		return
	}
	p.write(line)
}

// printProgress writes a line for each of my jobs whose progress changed, at most every
// progressLineEvery per job. p.mu held.
func (p *watchPrinter) printProgress(line watchLineJSON, e farm.Event) {
	line.Event = "progress"
	for _, j := range e.Summary.MyJobs {
		if p.progress.due(line.Manager.URL, j, e.Time) {
			job := toJobJSON(line.Manager.URL, j)
			line.From, line.To, line.Job = string(j.Status), string(j.Status), &job
			p.write(line)
		}
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
// line, and that line is progressLineEvery old. Make it with progressThrottle{}: a nil one panics.
type progressThrottle map[string]progressLine // by Manager URL and job id

type progressLine struct {
	at       time.Time
	progress managerapi.Progress
}

func (t progressThrottle) due(manager string, j managerapi.Job, now time.Time) bool {
	if j.Progress == nil || j.Progress.Total == 0 || j.Status.Finished() {
		return false
	}
	key := manager + "\x00" + j.ID
	last, seen := t[key]
	if seen && (last.progress == *j.Progress || now.Sub(last.at) < progressLineEvery) {
		return false
	}
	t[key] = progressLine{at: now, progress: *j.Progress}
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
	from := cmp.Or(l.From, "new")
	return prefix + "job\t" + l.Job.Name + "\t" + from + " → " + l.To + "\t" + l.Job.URL
}
