package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// managerJSON is the --json form of a Manager.
type managerJSON struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	URL       string   `json:"url"`
	Host      string   `json:"host"`
	Addresses []string `json:"addresses"`
	Local     bool     `json:"local"`
	Manual    bool     `json:"manual"`
	Reachable bool     `json:"reachable"`
}

func toJSON(m discovery.Manager) managerJSON {
	return managerJSON{Name: m.Name, Version: m.Version, URL: m.URL, Host: m.Host, Addresses: m.Addresses, Local: m.Local, Manual: m.Manual, Reachable: m.Reachable}
}

const nothingFoundHelp = `No Flamenco Manager found. Things to check:
  - the Manager runs and its web UI opens in a browser;
  - its own discovery is on (autodiscoverable: true in flamenco-manager.yaml), or someone advertises it
    ("flamenco-tray advertise" on its machine);
  - this machine and the Manager are on the same network segment, and multicast (UDP 239.255.255.250:1900)
    is not blocked by a firewall, a VPN, or Wi-Fi client isolation;
  - a firewall here lets in UDP answers to this program.`

func runDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("discover", stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to search")
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "keep running and print one line per change")
	debug := fs.Bool("debug", false, "log details")
	var known, manual stringList
	fs.Var(&known, "known", "a Manager URL to check directly, besides searching, listed if it answers (repeatable)")
	fs.Var(&manual, "manager", "a Manager URL that multicast cannot reach (VPN, Docker, routed subnet): it must answer (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if *timeout <= 0 {
		return usageError("--timeout must be positive")
	}
	for _, u := range append(slices.Clone(known), manual...) {
		if _, err := managerapi.BaseURL(u); err != nil {
			return usageError(err.Error())
		}
	}
	if err := checkManagers(ctx, manual); err != nil {
		return err
	}
	logger := newLogger(stderr, *debug)
	browser := discovery.NewBrowser(discovery.BrowserConfig{Logger: logger, KnownURLs: known, ManualURLs: manual})
	events, unsubscribe := browser.Subscribe()
	defer unsubscribe()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- browser.Run(runCtx) }()

	if *watch {
		return watchEvents(ctx, events, runErr, stdout, *asJSON)
	}

	deadline := time.NewTimer(*timeout)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
wait:
	for {
		select {
		case err := <-runErr:
			if err != nil {
				return err
			}
			break wait
		case <-ctx.Done():
			break wait
		case <-deadline.C:
			break wait
		case <-events:
		case <-poll.C:
			if state := browser.State(); !state.Searching && state.PendingChecks == 0 {
				break wait
			}
		}
	}
	state := browser.State()
	cancel()
	<-runErr

	if *asJSON {
		list := make([]managerJSON, 0, len(state.Managers))
		for _, m := range state.Managers {
			list = append(list, toJSON(m))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(list); err != nil {
			return err
		}
	} else {
		for _, m := range state.Managers {
			fmt.Fprintln(stdout, formatManager(m))
		}
	}
	if len(state.Managers) == 0 {
		message := nothingFoundHelp
		if state.Problem != "" {
			message = "No Flamenco Manager found: " + state.Problem + "."
		}
		return exitError{code: 1, message: message}
	}
	return nil
}

// checkManagers verifies, all at once, that each URL answers as a Flamenco Manager; the error names
// each that does not, and why, and exits 1.
func checkManagers(ctx context.Context, urls []string) error {
	prober := discovery.NewProber(discovery.DefaultProbeTimeout)
	defer prober.CloseIdleConnections()
	problems := make([]string, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			base, _ := managerapi.BaseURL(u)
			if _, err := prober.Probe(ctx, base); err != nil {
				problems[i] = fmt.Sprintf("no Flamenco Manager answers at %s: %v", base, err)
			}
		})
	}
	wg.Wait()
	problems = slices.DeleteFunc(problems, func(p string) bool { return p == "" })
	if len(problems) > 0 {
		return exitError{code: 1, message: "flamenco-tray: " + strings.Join(problems, "\nflamenco-tray: ") +
			"\nCheck the address and port (the Manager's web UI opens there), and that no firewall is in the way."}
	}
	return nil
}

// formatManager is the one-line text form of a Manager. Two Managers of one name (on different
// machines; perhaps one an impostor) are told apart by host, as in the menu.
func formatManager(m discovery.Manager) string {
	name := m.Name
	if m.Ambiguous {
		name += " (" + m.Host + ")"
	}
	var notes []string
	if m.Local {
		notes = append(notes, "this computer")
	}
	if m.Manual {
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

func watchEvents(ctx context.Context, events <-chan discovery.Event, runErr <-chan error, stdout io.Writer, asJSON bool) error {
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
				}{e.Time.UTC(), string(e.Kind), toJSON(e.Manager)})
				continue
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Kind, formatManager(e.Manager))
		}
	}
}

func runAdvertise(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("advertise", stderr)
	managerURL := fs.String("manager", discovery.DefaultLocalManagerURL, "URL of the Manager on this machine")
	debug := fs.Bool("debug", false, "log details")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	logger := newLogger(stderr, *debug)
	advertiser := discovery.NewAdvertiser(logger)
	ad, err := advertiser.Start(ctx, *managerURL)
	if errors.Is(err, discovery.ErrAlreadyAdvertised) {
		// Flamenco Tray's own advertising answers this machine's M-SEARCH like the Manager does.
		return exitError{code: 1, message: fmt.Sprintf("flamenco-tray: the Manager at %s is already advertised on this "+
			"machine, possibly by Flamenco Tray (\"Advertise … on the LAN\" ticked), by another \"flamenco-tray advertise\", "+
			"or by the Manager itself (its own discovery on); nothing to add", *managerURL)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Advertising Flamenco Manager %q (%s) at:\n", ad.Manager.Name, ad.Manager.DisplayVersion())
	for _, location := range ad.Locations {
		fmt.Fprintln(stdout, "  "+location)
	}
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")
	select {
	case <-ctx.Done():
	case <-ad.Done():
	}
	advertiser.Stop()
	<-ad.Done()
	byebyeErr := ad.ByebyeErr()
	if byebyeErr == nil {
		fmt.Fprintln(stdout, "Stopped; sent ssdp:byebye.")
	} else {
		fmt.Fprintln(stdout, "Stopped; ssdp:byebye was NOT sent: peers list this Manager until their copy expires (up to an hour).")
	}
	var errs []error
	if reason := ad.StopReason(); reason != nil {
		errs = append(errs, fmt.Errorf("stopped advertising: %w", reason))
	}
	if byebyeErr != nil {
		errs = append(errs, byebyeErr)
	}
	return errors.Join(errs...)
}
