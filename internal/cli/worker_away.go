package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/idle"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// lendWhileAway runs the Worker only while nobody uses this computer (worker --when-away), reading
// idle from the desktop session the command runs in, until Ctrl+C signs it off.
func lendWhileAway(ctx, workerLife context.Context, opts workerOptions, sup *localworker.Supervisor, api *managerapi.Client,
	logger zerolog.Logger, stdout io.Writer, interruptNow func()) error {
	source, err := idle.Open(ctx)
	if err != nil {
		// Safe by default: a computer whose user cannot be seen is never lent.
		return exitError{code: 1, message: "flamenco-tray: cannot lend this computer: " + err.Error()}
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

	lendCtx, stopLending := context.WithCancel(ctx)
	defer stopLending()
	var running sync.WaitGroup
	running.Go(func() { lender.Run(lendCtx) })
	running.Go(func() { printLending(lendCtx, lender, opts.manager, stdout) })
	<-ctx.Done()
	stopLending()
	running.Wait()
	if !sup.State().Active {
		fmt.Fprintln(stdout, "Stopped; no Worker was running.")
		return nil
	}
	var printing sync.WaitGroup
	defer printing.Wait()
	return signOff(sup, api, stdout, interruptNow, &printing)
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
