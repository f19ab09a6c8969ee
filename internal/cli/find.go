package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// The one way the commands find Managers: a Browser's first search (browseOnce), and a probe of
// URLs they were given or the tray remembers (probeURLs), each URL asked once.

// probed is what one URL answered to a probe.
type probed struct {
	URL  string // the base URL as discovery lists Managers: ending in "/"
	Info discovery.VersionInfo
	Err  error
}

// probeURLs asks every URL at once whether a Flamenco Manager answers there, each once; urls must be
// valid (see managerapi.BaseURL).
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
			results[i] = probed{URL: base.String() + "/", Info: info, Err: err}
		})
	}
	wg.Wait()
	return results
}

// requireAnswering fails, with exit code 1, naming each URL where no Manager answered and why.
func requireAnswering(results []probed) error {
	var problems []string
	for _, r := range results {
		if r.Err != nil {
			problems = append(problems, fmt.Sprintf("no Flamenco Manager answers at %s: %v", r.URL, r.Err))
		}
	}
	if len(problems) > 0 {
		return exitError{code: 1, message: "flamenco-tray: " + strings.Join(problems, "\nflamenco-tray: ") +
			"\nCheck the address and port (the Manager's web UI opens there), and that no firewall is in the way."}
	}
	return nil
}

// probeGiven checks the URLs given on the command line (each must answer, or exit 1 naming those that
// do not) and returns them as Managers to report on.
func probeGiven(ctx context.Context, given []string) ([]statusTarget, error) {
	results := probeURLs(ctx, given)
	if err := requireAnswering(results); err != nil {
		return nil, err
	}
	targets := make([]statusTarget, len(results))
	for i, r := range results {
		targets[i] = targetOfProbe(r)
	}
	return targets, nil
}

func targetOfProbe(r probed) statusTarget {
	return statusTarget{ID: r.URL, Name: r.Info.Name, Version: r.Info.DisplayVersion(), URL: r.URL}
}

// targetOf is a Manager found by discovery as a Manager to report on; two of one name are told apart
// by host, as in the menu.
func targetOf(m discovery.Manager) statusTarget {
	name := m.Name
	if m.Ambiguous {
		name += " (" + m.Host + ")"
	}
	return statusTarget{ID: m.ID, Name: name, Version: m.Version, URL: m.URL}
}

// browseWhileProbing runs browseOnce with cfg and, at the same time, probes the Managers at urls
// (those the tray checks directly: set by IT, added by hand, remembered), since a Browser given
// Managers that answer puts its first search off, but the commands list every Manager. It returns
// what the search found, and those of urls that answer and the search did not list, each once.
func browseWhileProbing(ctx context.Context, cfg discovery.BrowserConfig, timeout time.Duration, urls []string) (discovery.State, []probed, error) {
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
	var err error
	var probes []probed
	var wg sync.WaitGroup
	wg.Go(func() { state, err = browseOnce(ctx, cfg, timeout) })
	wg.Go(func() { probes = probeURLs(ctx, unique) })
	wg.Wait()
	if err != nil {
		return state, nil, err
	}
	var others []probed
	for _, r := range probes {
		switch {
		case r.Err != nil:
			cfg.Logger.Debug().Err(r.Err).Str("url", r.URL).Msg("a Manager checked directly does not answer")
		case !listedAt(state.Managers, r.URL):
			others = append(others, r)
		}
	}
	return state, others, nil
}

// listedAt reports whether one of managers answers at url (a base URL ending in "/").
func listedAt(managers []discovery.Manager, url string) bool {
	return slices.ContainsFunc(managers, func(m discovery.Manager) bool {
		return m.URL == url || slices.Contains(m.Addresses, strings.TrimSuffix(url, "/"))
	})
}

func hostOf(url string) string {
	base, err := managerapi.BaseURL(url)
	if err != nil {
		return ""
	}
	return base.Hostname()
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
