package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/idle"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// workerOptions are the worker command's line.
type workerOptions struct {
	manager, workerBin string
	whenAway           time.Duration // 0: run now; else lend this computer after this long away
	whenBack           lending.WhenBack
	hours              lending.Hours // with whenAway: when lending is allowed
	loadPercent        int           // with whenAway: keep the computer while other programs use more
	debug              bool
}

func parseWorker(args []string, stderr io.Writer) (workerOptions, error) {
	fs, debug := newFlagSet("worker", stderr)
	managerURL := fs.String("manager", "", "URL of the Flamenco Manager to work for (required)")
	workerBin := fs.String("worker-bin", "", "path of flamenco-worker (default: on PATH, else beside this program)")
	whenAway := fs.Duration("when-away", 0, "run the Worker only while nobody uses this computer: after this long without "+
		"keyboard, mouse or tablet input (at least 1m), or while the screen is locked")
	whenBack := fs.String("when-back", "", "with --when-away, what the Worker does when the user is back: stop (at once; "+
		"its task goes back to the queue) or finish (its current task); default stop")
	hours := fs.String("hours", "", "with --when-away, lend only within these hours, like \"19:00-08:00 mon,tue,wed,thu,fri\"")
	loadPercent := fs.Int("load-limit", 0, "with --when-away, keep the computer while other programs use more than this % of its CPUs (Linux)")
	if err := parseFlags(fs, args); err != nil {
		return workerOptions{}, err
	}
	if *managerURL == "" {
		return workerOptions{}, usageError("worker: --manager URL is required")
	}
	base, err := managerapi.BaseURL(*managerURL)
	if err != nil {
		return workerOptions{}, usageError(err.Error())
	}
	opts := workerOptions{manager: base.String() + "/", workerBin: *workerBin, whenAway: *whenAway, debug: *debug,
		whenBack: lending.StopNow, loadPercent: *loadPercent}
	switch {
	case *whenAway < 0 || (*whenAway > 0 && *whenAway < lending.MinAwayAfter):
		return workerOptions{}, usageError("worker: --when-away must be at least 1m")
	case (*whenBack != "" || *hours != "" || *loadPercent != 0) && *whenAway == 0:
		return workerOptions{}, usageError("worker: --when-back, --hours and --load-limit need --when-away")
	case *loadPercent < 0 || *loadPercent > 100:
		return workerOptions{}, usageError("worker: --load-limit is a percentage from 0 (none) to 100")
	case *whenBack != "":
		if opts.whenBack, err = lending.ParseWhenBack(*whenBack); err != nil {
			return workerOptions{}, usageError(err.Error())
		}
	}
	if opts.hours, err = lending.ParseHours(*hours); err != nil {
		return workerOptions{}, usageError("worker: --hours: " + err.Error())
	}
	return opts, nil
}

// runWorker runs a Flamenco Worker for one Manager in the foreground, as "Run a Worker here" does,
// or with --when-away only while nobody uses this computer, until Ctrl+C signs it off (exit 0).
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseWorker(args, stderr)
	if err != nil {
		return err
	}
	// The Worker would wait for a Manager that does not answer for ever; say so now instead.
	if _, err := probeGiven(ctx, []string{opts.manager}); err != nil {
		return err
	}
	logger := newLogger(stderr, opts.debug)
	api := managerapi.NewClient(opts.manager)
	defer api.CloseIdleConnections()
	sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: opts.manager, API: api, Binary: opts.workerBin, Logger: logger})
	if err != nil {
		return err
	}
	// The Worker lives until it is stopped, not until ctx ends: Ctrl+C asks the Manager first.
	runCtx, interruptNow := context.WithCancel(context.Background())
	defer interruptNow()
	if opts.whenAway > 0 {
		return lendWhileAway(ctx, runCtx, opts, sup, api, logger, stdout, interruptNow)
	}
	if err := sup.Start(runCtx); err != nil {
		return fmt.Errorf("cannot run a Worker: %w", err)
	}
	state := sup.State()
	fmt.Fprintf(stdout, "Flamenco Worker %q for %s\n  program:   %s\n  directory: %s\n  log:       %s\nPress Ctrl+C to sign it off and stop.\n",
		state.WorkerName, opts.manager, state.Binary, state.Dir, state.LogPath)
	var printing sync.WaitGroup
	printing.Go(func() { printStates(sup, stdout) })
	defer printing.Wait()

	select {
	case <-sup.Done():
		if s := sup.State(); s.LastExit == nil || s.LastExit.Reason != localworker.ExitOffline {
			return workerFailed(s)
		}
		fmt.Fprintln(stdout, "The Manager set the Worker offline; it signed off.")
		return nil
	case <-ctx.Done():
	}
	return signOff(sup, api, stdout, interruptNow)
}

// signOff signs the Worker off through the Manager after Ctrl+C (a second one interrupts it at
// once) and says how it ended.
func signOff(sup *localworker.Supervisor, api *managerapi.Client, stdout io.Writer, interruptNow func()) error {
	fmt.Fprintln(stdout, "Signing the Worker off through the Manager (Ctrl+C again interrupts it at once)…")
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	var interrupting sync.WaitGroup
	defer interrupting.Wait()
	interrupting.Go(func() {
		select {
		case <-again:
			interruptNow()
		case <-sup.Done():
		}
	})
	stopErr := sup.Stop(context.Background(), false)
	<-sup.Done()
	return workerSignedOff(sup.State(), stopErr, api, stdout)
}

// printStates prints a line each time the Worker's state says something new, until it has ended.
func printStates(sup *localworker.Supervisor, stdout io.Writer) {
	states, cancel := sup.Subscribe()
	defer cancel()
	last := ""
	show := func(s localworker.State) {
		if summary := s.Summary(); summary != last {
			last = summary
			fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format("15:04:05"), summary)
		}
	}
	for {
		select {
		case s := <-states:
			show(s)
		case <-sup.Done():
			show(sup.State())
			return
		}
	}
}

// workerSignedOff is the command's end after Ctrl+C: 0 once the Worker is offline.
func workerSignedOff(s localworker.State, stopErr error, api *managerapi.Client, stdout io.Writer) error {
	if stopErr != nil || s.LastExit == nil || !s.LastExit.CleanlyOffline() {
		return workerFailed(s)
	}
	if s.WorkerID == "" {
		fmt.Fprintln(stdout, "The Worker stopped before it had signed on.")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := api.Worker(ctx, s.WorkerID)
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "The Worker %s (the Manager could not confirm: %v).\n", s.LastExit.Message, err)
	case w.Status != managerapi.WorkerOffline:
		return fmt.Errorf("the Worker stopped (%s) but the Manager lists it as %s", s.LastExit.Message, w.Status)
	default:
		fmt.Fprintln(stdout, "The Worker signed off; the Manager lists it offline.")
	}
	return nil
}

// workerFailed says how the Worker ended, and where its log is.
func workerFailed(s localworker.State) error {
	how := s.Summary()
	if s.LastExit != nil {
		how = s.LastExit.Message
	}
	return fmt.Errorf("the Worker %s\nIts log: %s", how, s.LogPath)
}

// lendWhileAway runs the Worker only while nobody uses this computer (worker --when-away), reading
// idle from the desktop session the command runs in, until Ctrl+C signs it off.
func lendWhileAway(ctx, workerLife context.Context, opts workerOptions, sup *localworker.Supervisor, api *managerapi.Client,
	logger zerolog.Logger, stdout io.Writer, interruptNow func()) error {
	source, err := idle.Open(ctx)
	if err != nil {
		// Safe by default: a computer whose user cannot be seen is never lent.
		return fmt.Errorf("cannot lend this computer: %w", err)
	}
	defer source.Close()
	lender := lending.NewLender(lending.Config{
		Worker: sup,
		ReadIdle: func(ctx context.Context) (time.Duration, bool, error) {
			r, err := source.Read(ctx)
			return r.Idle, r.Locked, err
		},
		ReadLoad: lending.NewLoadMeter(func() int { return sup.State().PID }).Read,
		Policy: lending.Policy{Enabled: true, AwayAfter: opts.whenAway, WhenBack: opts.whenBack, Hours: opts.hours,
			LoadLimit: float64(opts.loadPercent) / 100},
		Logger:         logger,
		WorkerLifetime: workerLife,
		OnBack: func(t lending.Tally) {
			_, body := t.BackNotice()
			fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format("15:04:05"), body)
		},
	})
	fmt.Fprintf(stdout, "Lending this computer to %s after %v without input, or while the screen is locked (idle from %s).\n"+
		"When you are back the Worker %s. Press Ctrl+C to sign it off and stop.\n",
		opts.manager, opts.whenAway, source.Name(), map[lending.WhenBack]string{
			lending.StopNow:    "sleeps at once (its task goes back to the queue)",
			lending.FinishTask: "sleeps once its current task is done"}[opts.whenBack])

	var running sync.WaitGroup
	running.Go(func() { lender.Run(ctx) })
	running.Go(func() { printLending(ctx, lender, opts.manager, stdout) })
	<-ctx.Done()
	running.Wait()
	if !sup.State().Active {
		fmt.Fprintln(stdout, "Stopped; no Worker was running.")
		return nil
	}
	return signOff(sup, api, stdout, interruptNow)
}

// printLending prints the lending line each time it changes, until ctx ends.
func printLending(ctx context.Context, lender *lending.Lender, manager string, stdout io.Writer) {
	statuses, cancel := lender.Subscribe()
	defer cancel()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-statuses:
			if !ok {
				return
			}
			line := s.MenuLine(manager)
			if s.Decision.Mode == lending.Here && s.Worker.Phase != localworker.Asleep {
				line = "You're here" // the countdown would print a line a minute
			}
			if line != last && line != "" {
				last = line
				fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format("15:04:05"), line)
			}
		}
	}
}
