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

// runDiscover lists the Managers found (or, with --watch, follows them) and exits 1 when it found none.
// Those IT set for every user are listed when they answer; unlike --manager's, they need not.
func runDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, debug := newFlagSet("discover", stderr)
	timeout := fs.Duration("timeout", searchTimeout, "how long to search")
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "keep running and print one line per change")
	var known, manual stringList
	fs.Var(&known, "known", "a Manager URL to check directly, besides searching, listed if it answers (repeatable)")
	fs.Var(&manual, "manager", "a Manager URL that multicast cannot reach (VPN, Docker, routed subnet): it must answer (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageError("--timeout must be positive")
	}
	for _, u := range append(slices.Clone(known), manual...) {
		if _, err := managerapi.BaseURL(u); err != nil {
			return usageError(err.Error())
		}
	}
	if _, err := probeGiven(ctx, manual); err != nil {
		return err
	}
	setByIT := machineconfig.ReadManagers()
	warnSkipped(stderr, setByIT)
	cfg := discovery.BrowserConfig{Logger: newLogger(stderr, *debug), KnownURLs: known, ManualURLs: manual}
	if *watch {
		// As the tray: a Manager IT set that answers at start puts the first search off (see
		// SearchPolicy.KnownGrace).
		cfg.ManualURLs = setByIT.With(manual)
		return watchDiscovery(ctx, cfg, stdout, *asJSON, setByIT)
	}
	managers, problem, err := browseWhileProbing(ctx, cfg, *timeout, setByIT.URLs)
	if err != nil {
		return err
	}
	for i := range managers {
		managers[i].Ambiguous = len(managers) > 1 // as the Registry says it
	}
	if err := printManagers(stdout, managers, *asJSON, setByIT); err != nil {
		return err
	}
	if len(managers) == 0 {
		return nothingFound(problem)
	}
	return nil
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

// formatManager is the one-line text form of a Manager, marked as in the menu.
func formatManager(m discovery.Manager, setByIT bool) string {
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
	line := fmt.Sprintf("%s\t%s\t%s\taddresses: %s", displayName(m), m.Version, m.URL, strings.Join(m.Addresses, " "))
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
		case err := <-runErr: // once ctx ends
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
