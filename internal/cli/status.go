package cli

import (
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
	// Progress is the steps done of the job's steps (Flamenco 3.8+), null where the Manager does
	// not say.
	Progress *managerapi.Progress `json:"progress"`
}

// statusTarget is a Manager to report on.
type statusTarget struct {
	ID, Name, Version, URL string
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "keep running and print one line per change of my jobs and of the farm state")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to search for Managers (without --manager)")
	userName := fs.String("user", "", "whose jobs are \"mine\" (default: as in Settings, else the login name)")
	metadataKey := fs.String("key", "", "the job metadata key that names the user (default: as in Settings, else user.name)")
	debug := fs.Bool("debug", false, "log details")
	var given stringList
	fs.Var(&given, "manager", "only this Manager, by URL; it must answer (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
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
	targets, err := statusTargets(ctx, given, prefs, *timeout, logger)
	if err != nil {
		return err
	}
	reports := make([]statusJSON, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Go(func() { reports[i], errs[i] = fetchStatus(ctx, target, identity, logger) })
	}
	wg.Wait()
	if err := printStatus(stdout, reports, identity, *asJSON); err != nil {
		return err
	}
	var problems []string
	for i, err := range errs {
		if err != nil {
			problems = append(problems, fmt.Sprintf("flamenco-tray: farm status of %s (%s) unavailable: %s", targets[i].Name,
				targets[i].URL, reports[i].Unavailable))
		}
	}
	// A Manager asked for by name must answer; one found on the LAN that does not answer about its
	// farm (too old, busy) is listed with why, and the others' status is still a success.
	if len(problems) > 0 && len(given) == 0 {
		fmt.Fprintln(stderr, strings.Join(problems, "\n"))
		return nil
	}
	if len(problems) > 0 {
		return exitError{code: 1, message: strings.Join(problems, "\n")}
	}
	return nil
}

// statusIdentity is who "I" am: the command line's choice, else the tray's Settings, else the login.
func statusIdentity(prefs traySettings, userName, metadataKey string) farm.Identity {
	id := prefs.Identity
	if userName != "" {
		id.UserName = userName
	}
	if metadataKey != "" {
		id.MetadataKey = metadataKey
	}
	return id.Normalized()
}

// statusTargets are the Managers given (each must answer, or exit 1), else those found on the LAN as
// `discover` finds them, and those the tray checks directly (set by IT for every user, added by
// hand, or seen before) that answer.
// The two are asked at once: the tray's Browser, given remembered Managers, skips its first search
// when they answer, but `status` lists every Manager.
func statusTargets(ctx context.Context, given []string, prefs traySettings, timeout time.Duration, logger zerolog.Logger) ([]statusTarget, error) {
	if len(given) > 0 {
		return probeGiven(ctx, given)
	}
	state, others, err := browseWhileProbing(ctx, discovery.BrowserConfig{Logger: logger}, timeout,
		append(prefs.SetByIT.With(prefs.ManualManagers), prefs.KnownManagers...))
	if err != nil {
		return nil, err
	}
	var targets []statusTarget
	for _, m := range state.Managers {
		if m.Reachable {
			targets = append(targets, targetOf(m))
		}
	}
	for _, r := range others {
		targets = append(targets, targetOfProbe(r))
	}
	if len(targets) == 0 {
		return nil, nothingFound(state.Problem)
	}
	return targets, nil
}

// fetchStatus asks one Manager for its farm status: the Watcher's first full status, as the menu's.
func fetchStatus(ctx context.Context, target statusTarget, identity farm.Identity, logger zerolog.Logger) (statusJSON, error) {
	client := managerapi.NewClient(target.URL)
	defer client.CloseIdleConnections()
	w := farm.NewWatcher(farm.WatcherConfig{Client: client, Identity: identity, Logger: logger})
	summary, err := w.Once(ctx)
	return toStatusJSON(target, summary), err
}

func toStatusJSON(target statusTarget, s farm.Summary) statusJSON {
	r := statusJSON{Name: target.Name, URL: target.URL, Version: target.Version, Farm: farmStateName(s.Farm),
		Workers: make(map[string]int), Jobs: make(map[string]int), MyJobs: []jobJSON{}, Unavailable: s.Unavailable}
	for status, n := range s.Workers {
		r.Workers[string(status)] = n
	}
	for status, n := range s.Jobs {
		r.Jobs[string(status)] = n
	}
	for _, j := range s.MyJobs {
		r.MyJobs = append(r.MyJobs, toJobJSON(target.URL, j))
	}
	return r
}

func toJobJSON(manager string, j managerapi.Job) jobJSON {
	return jobJSON{ID: j.ID, Name: j.Name, Status: string(j.Status), Updated: j.Updated.UTC(), URL: managerapi.JobURL(manager, j.ID),
		Progress: j.Progress}
}

func farmStateName(s managerapi.FarmState) string {
	if s == managerapi.FarmUnknown {
		return "unknown"
	}
	return string(s)
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
	fmt.Fprintf(&b, "  workers: %s\n", countsLine(r.Workers, names(managerapi.WorkerStatuses), nil))
	fmt.Fprintf(&b, "  jobs: %s\n", countsLine(r.Jobs, names(managerapi.JobStatuses), map[string]string{
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

// names are statuses as strings, in their order.
func names[S ~string](statuses []S) []string {
	order := make([]string, len(statuses))
	for i, s := range statuses {
		order[i] = string(s)
	}
	return order
}

// countsLine words counts as "3 awake · 1 asleep", the non-zero ones in order, then any status this
// program does not know; "none" when all are zero.
func countsLine(counts map[string]int, order []string, labels map[string]string) string {
	var parts []string
	add := func(status string) {
		if n := counts[status]; n > 0 {
			label := status
			if l, ok := labels[status]; ok {
				label = l
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, label))
		}
	}
	for _, status := range order {
		add(status)
	}
	var others []string
	for status := range counts {
		if !slices.Contains(order, status) {
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
