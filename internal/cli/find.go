package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// searchTimeout is how long the commands search for Managers unless told.
const searchTimeout = 3 * time.Second

// traySettings are the tray's settings the commands use too.
type traySettings struct {
	Identity       farm.Identity
	KnownManagers  []string               // remembered from earlier runs
	ManualManagers []string               // added by hand
	SetByIT        machineconfig.Managers // set by IT for every user, checked like ManualManagers
}

// readTraySettings reads the tray's settings through Fyne's preferences of the tray's app ID, as the
// tray does: creating the app loads them and needs no display (the app is never run).
func readTraySettings() traySettings {
	store := fyneapp.NewWithID(app.ID).Preferences()
	return traySettings{Identity: settings.Load(store).Identity, KnownManagers: settings.KnownManagers(store),
		ManualManagers: settings.ManualManagers(store), SetByIT: machineconfig.ReadManagers()}
}

// probed is what one URL answered to a probe.
type probed struct {
	URL  string // the base URL as discovery lists Managers: ending in "/"
	Host string
	Info discovery.VersionInfo
	Err  error
}

// manager is the Manager that answered, listed as one checked directly.
func (r probed) manager() discovery.Manager {
	return discovery.Manager{ID: r.URL, Name: r.Info.Name, Version: r.Info.DisplayVersion(), URL: r.URL, Host: r.Host,
		Addresses: []string{strings.TrimSuffix(r.URL, "/")}, Manual: true, Reachable: true}
}

// probeURLs asks every URL at once whether a Flamenco Manager answers there, each once.
func probeURLs(ctx context.Context, urls []string) []probed {
	prober := discovery.NewProber(discovery.DefaultProbeTimeout)
	defer prober.CloseIdleConnections()
	results := make([]probed, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			base, err := managerapi.BaseURL(u)
			if err != nil {
				results[i] = probed{URL: u, Err: err}
				return
			}
			info, err := prober.Probe(ctx, base)
			results[i] = probed{URL: base.String() + "/", Host: base.Hostname(), Info: info, Err: err}
		})
	}
	wg.Wait()
	return results
}

// probeGiven checks the URLs given on the command line, which must all answer (else an error naming
// each that does not, and why), and returns their Managers.
func probeGiven(ctx context.Context, given []string) ([]discovery.Manager, error) {
	var managers []discovery.Manager
	var problems []string
	for _, r := range probeURLs(ctx, given) {
		if r.Err != nil {
			problems = append(problems, fmt.Sprintf("no Flamenco Manager answers at %s: %v", r.URL, r.Err))
		}
		managers = append(managers, r.manager())
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\nflamenco-tray: ") +
			"\nCheck the address and port (the Manager's web UI opens there), and that no firewall is in the way.")
	}
	return managers, nil
}

// displayName tells two Managers of one name apart by host, as the menu does.
func displayName(m discovery.Manager) string {
	if m.Ambiguous {
		return m.Name + " (" + m.Host + ")"
	}
	return m.Name
}

// browseWhileProbing runs browseOnce with cfg while it probes urls, since a Browser given Managers
// that answer puts its first search off, but the commands list every Manager. It returns what the
// search found, then those of urls that answer and the search did not list, each once.
func browseWhileProbing(ctx context.Context, cfg discovery.BrowserConfig, timeout time.Duration, urls []string) (
	managers []discovery.Manager, problem string, err error) {
	var unique []string
	for _, u := range urls {
		base, err := managerapi.BaseURL(u)
		if err != nil {
			continue
		}
		if url := base.String() + "/"; !slices.Contains(unique, url) {
			unique = append(unique, url)
		}
	}
	var state discovery.State
	var probes []probed
	var wg sync.WaitGroup
	wg.Go(func() { state, err = browseOnce(ctx, cfg, timeout) })
	wg.Go(func() { probes = probeURLs(ctx, unique) })
	wg.Wait()
	if err != nil {
		return nil, "", err
	}
	managers = state.Managers
	for _, r := range probes {
		switch {
		case r.Err != nil:
			cfg.Logger.Debug().Err(r.Err).Str("url", r.URL).Msg("a Manager checked directly does not answer")
		case !listedAt(state.Managers, r.URL):
			managers = append(managers, r.manager())
		}
	}
	return managers, state.Problem, nil
}

// listedAt reports whether one of managers answers at url (a base URL ending in "/").
func listedAt(managers []discovery.Manager, url string) bool {
	return slices.ContainsFunc(managers, func(m discovery.Manager) bool {
		return m.URL == url || slices.Contains(m.Addresses, strings.TrimSuffix(url, "/"))
	})
}

// browseOnce runs a Browser until its first search window is over and every check is done, or
// timeout, and returns what it found.
func browseOnce(ctx context.Context, cfg discovery.BrowserConfig, timeout time.Duration) (discovery.State, error) {
	browser := discovery.NewBrowser(cfg)
	events, unsubscribe := browser.Subscribe()
	defer unsubscribe()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- browser.Run(runCtx) }()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	// The Browser says nothing when its last check ends without a change: look at its state too.
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case err := <-runErr:
			return browser.State(), err
		case <-ctx.Done():
		case <-deadline.C:
		case _, ok := <-events:
			if ok {
				continue
			}
			return browser.State(), <-runErr // the Browser stopped
		case <-poll.C:
			if state := browser.State(); state.Searching || state.PendingChecks > 0 {
				continue
			}
		}
		state := browser.State()
		cancel()
		<-runErr
		return state, nil
	}
}

// warnSkipped tells what of the Managers IT set for every user was skipped, where IT reads it when
// checking a rollout ("flamenco-tray discover" or "status" on one of the computers).
func warnSkipped(stderr io.Writer, setByIT machineconfig.Managers) {
	for _, p := range setByIT.Problems {
		fmt.Fprintf(stderr, "flamenco-tray: warning: Managers set by IT for every user: %s\n", p)
	}
}

// nothingFound is the error when no Manager was found: what went wrong, or what to check.
func nothingFound(problem string) error {
	message := nothingFoundHelp
	if problem != "" {
		message = "No Flamenco Manager found: " + problem + "."
	}
	return exitError{code: 1, message: message}
}

const nothingFoundHelp = `No Flamenco Manager found. Things to check:
  - the Manager runs and its web UI opens in a browser;
  - its own discovery is on (autodiscoverable: true in flamenco-manager.yaml), or someone advertises it
    ("flamenco-tray advertise" on its machine);
  - this machine and the Manager are on the same network segment, and multicast (UDP 239.255.255.250:1900)
    is not blocked by a firewall, a VPN, or Wi-Fi client isolation;
  - a firewall here lets in UDP answers to this program.`
