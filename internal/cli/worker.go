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

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// runWorker runs and supervises a Flamenco Worker for one Manager in the foreground, as "Run a
// Worker here" does in the tray. Ctrl+C signs it off through the Manager; the command exits 0 once
// the Worker is offline.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("worker", stderr)
	managerURL := fs.String("manager", "", "URL of the Flamenco Manager to work for (required)")
	workerBin := fs.String("worker-bin", "", "path of flamenco-worker (default: on PATH, else beside this program)")
	debug := fs.Bool("debug", false, "log details")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if *managerURL == "" {
		return usageError("worker: --manager URL is required")
	}
	base, err := managerapi.BaseURL(*managerURL)
	if err != nil {
		return usageError(err.Error())
	}
	manager := base.String() + "/"
	// The Worker would wait for a Manager that does not answer for ever; say so now instead.
	if err := requireAnswering(probeURLs(ctx, []string{manager})); err != nil {
		return err
	}
	logger := newLogger(stderr, *debug)
	api := managerapi.NewClient(manager)
	defer api.CloseIdleConnections()
	sup, err := localworker.NewSupervisor(localworker.Config{ManagerURL: manager, API: api, Binary: *workerBin, Logger: logger})
	if err != nil {
		return exitError{code: 1, message: "flamenco-tray: " + err.Error()}
	}

	// The Worker lives until it is stopped, not until ctx ends: Ctrl+C asks the Manager first.
	runCtx, interruptNow := context.WithCancel(context.Background())
	defer interruptNow()
	if err := sup.Start(runCtx); err != nil {
		return exitError{code: 1, message: "flamenco-tray: cannot run a Worker: " + err.Error()}
	}
	state := sup.State()
	fmt.Fprintf(stdout, "Flamenco Worker %q for %s\n  program:   %s\n  directory: %s\n  log:       %s\nPress Ctrl+C to sign it off and stop.\n",
		state.WorkerName, manager, state.Binary, state.Dir, state.LogPath)
	var printing sync.WaitGroup
	printing.Go(func() { printStates(sup, stdout) })
	defer printing.Wait()

	select {
	case <-sup.Done():
		return workerEnded(sup.State(), stdout)
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "Signing the Worker off through the Manager (Ctrl+C again interrupts it at once)…")
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	printing.Go(func() {
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

// workerEnded is the command's end when the Worker ended by itself.
func workerEnded(s localworker.State, stdout io.Writer) error {
	if s.LastExit != nil && s.LastExit.Reason == localworker.ExitOffline {
		fmt.Fprintln(stdout, "The Manager set the Worker offline; it signed off.")
		return nil
	}
	return exitError{code: 1, message: fmt.Sprintf("flamenco-tray: the Worker %s\nIts log: %s", describeExit(s), s.LogPath)}
}

// workerSignedOff is the command's end after Ctrl+C: 0 once the Worker is offline.
func workerSignedOff(s localworker.State, stopErr error, api *managerapi.Client, stdout io.Writer) error {
	if stopErr != nil || s.LastExit == nil || !s.LastExit.CleanlyOffline() {
		return exitError{code: 1, message: fmt.Sprintf("flamenco-tray: the Worker %s\nIts log: %s", describeExit(s), s.LogPath)}
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
		return exitError{code: 1, message: fmt.Sprintf("flamenco-tray: the Worker stopped (%s) but the Manager lists it as %s",
			s.LastExit.Message, w.Status)}
	default:
		fmt.Fprintln(stdout, "The Worker signed off; the Manager lists it offline.")
	}
	return nil
}

func describeExit(s localworker.State) string {
	if s.LastExit != nil {
		return s.LastExit.Message
	}
	return s.Summary()
}
