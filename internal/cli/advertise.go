package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// runAdvertise advertises the Manager on this machine over SSDP until ctx ends, then says goodbye.
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
