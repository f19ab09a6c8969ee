package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// managerJSON is the --json form of a Manager.
type managerJSON struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	URL       string   `json:"url"`
	Host      string   `json:"host"`
	Addresses []string `json:"addresses"`
	Local     bool     `json:"local"`
	Manual    bool     `json:"manual"`
	// SetByIT: IT set it for every user of this computer (Manual is true too).
	SetByIT   bool `json:"set_by_it"`
	Reachable bool `json:"reachable"`
}

func toJSON(m discovery.Manager, setByIT machineconfig.Managers) managerJSON {
	return managerJSON{Name: m.Name, Version: m.Version, URL: m.URL, Host: m.Host, Addresses: m.Addresses, Local: m.Local, Manual: m.Manual,
		SetByIT: setByIT.Includes(m), Reachable: m.Reachable}
}

// discoverOptions are discover's command line.
type discoverOptions struct {
	timeout       time.Duration
	asJSON, watch bool
	debug         bool
	known, manual []string
}

func parseDiscover(args []string, stderr io.Writer) (discoverOptions, error) {
	fs := newFlagSet("discover", stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to search")
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "keep running and print one line per change")
	debug := fs.Bool("debug", false, "log details")
	var known, manual stringList
	fs.Var(&known, "known", "a Manager URL to check directly, besides searching, listed if it answers (repeatable)")
	fs.Var(&manual, "manager", "a Manager URL that multicast cannot reach (VPN, Docker, routed subnet): it must answer (repeatable)")
	if err := fs.Parse(args); err != nil {
		return discoverOptions{}, exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return discoverOptions{}, usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if *timeout <= 0 {
		return discoverOptions{}, usageError("--timeout must be positive")
	}
	for _, u := range append(slices.Clone(known), manual...) {
		if _, err := managerapi.BaseURL(u); err != nil {
			return discoverOptions{}, usageError(err.Error())
		}
	}
	return discoverOptions{timeout: *timeout, asJSON: *asJSON, watch: *watch, debug: *debug, known: known, manual: manual}, nil
}

// runDiscover lists the Managers found (or, with --watch, follows them) and exits 1 when it found none.
// Those IT set for every user of this computer are listed too when they answer; unlike --manager's,
// they need not.
func runDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseDiscover(args, stderr)
	if err != nil {
		return err
	}
	if err := requireAnswering(probeURLs(ctx, opts.manual)); err != nil {
		return err
	}
	setByIT := machineconfig.ReadManagers()
	warnSkipped(stderr, setByIT)
	cfg := discovery.BrowserConfig{Logger: newLogger(stderr, opts.debug), KnownURLs: opts.known, ManualURLs: opts.manual}
	if opts.watch {
		// As the tray: a Manager IT set that answers at start puts the first search off (see
		// SearchPolicy.KnownGrace).
		cfg.ManualURLs = setByIT.With(opts.manual)
		return watchDiscovery(ctx, cfg, stdout, opts.asJSON, setByIT)
	}
	state, others, err := browseWhileProbing(ctx, cfg, opts.timeout, setByIT.URLs)
	if err != nil {
		return err
	}
	managers := withProbed(state.Managers, others)
	if err := printManagers(stdout, managers, opts.asJSON, setByIT); err != nil {
		return err
	}
	if len(managers) == 0 {
		return nothingFound(state.Problem)
	}
	return nil
}

// withProbed is managers, as the search found them, then the Managers of probes, which answered
// where they were checked directly.
func withProbed(managers []discovery.Manager, probes []probed) []discovery.Manager {
	for _, r := range probes {
		managers = append(managers, discovery.Manager{ID: r.URL, Name: r.Info.Name, Version: r.Info.DisplayVersion(),
			URL: r.URL, Host: hostOf(r.URL), Addresses: []string{strings.TrimSuffix(r.URL, "/")}, Manual: true, Reachable: true})
	}
	for i := range managers {
		managers[i].Ambiguous = len(managers) > 1 // as the Registry says it
	}
	return managers
}

func printManagers(stdout io.Writer, managers []discovery.Manager, asJSON bool, setByIT machineconfig.Managers) error {
	if !asJSON {
		for _, m := range managers {
			fmt.Fprintln(stdout, formatManager(m, setByIT.Includes(m)))
		}
		return nil
	}
	list := make([]managerJSON, 0, len(managers))
	for _, m := range managers {
		list = append(list, toJSON(m, setByIT))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

// formatManager is the one-line text form of a Manager. Two Managers of one name (on different
// machines; perhaps one an impostor) are told apart by host, and one IT set is marked, as in the menu.
func formatManager(m discovery.Manager, setByIT bool) string {
	name := m.Name
	if m.Ambiguous {
		name += " (" + m.Host + ")"
	}
	var notes []string
	if m.Local {
		notes = append(notes, "this computer")
	}
	switch {
	case setByIT:
		notes = append(notes, "set by your IT")
	case m.Manual:
		notes = append(notes, "added by hand")
	}
	if !m.Reachable {
		notes = append(notes, "not answering")
	}
	line := fmt.Sprintf("%s\t%s\t%s\taddresses: %s", name, m.Version, m.URL, strings.Join(m.Addresses, " "))
	if len(notes) > 0 {
		line += "\t(" + strings.Join(notes, ", ") + ")"
	}
	return line
}

// watchDiscovery runs a Browser until ctx ends and prints one line per change.
func watchDiscovery(ctx context.Context, cfg discovery.BrowserConfig, stdout io.Writer, asJSON bool, setByIT machineconfig.Managers) error {
	browser := discovery.NewBrowser(cfg)
	events, unsubscribe := browser.Subscribe()
	defer unsubscribe()
	runErr := make(chan error, 1)
	go func() { runErr <- browser.Run(ctx) }()
	enc := json.NewEncoder(stdout)
	for {
		select {
		case <-ctx.Done():
			return <-runErr
		case err := <-runErr:
			return err
		case e, ok := <-events:
			if !ok {
				return <-runErr
			}
			if e.Kind == discovery.SearchWindowClosed {
				continue
			}
			if asJSON {
				_ = enc.Encode(struct {
					Time    time.Time   `json:"time"`
					Event   string      `json:"event"`
					Manager managerJSON `json:"manager"`
				}{e.Time.UTC(), string(e.Kind), toJSON(e.Manager, setByIT)})
				continue
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Kind, formatManager(e.Manager, setByIT.Includes(e.Manager)))
		}
	}
}
