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
	fs, debug := newFlagSet("advertise", stderr)
	managerURL := fs.String("manager", discovery.DefaultLocalManagerURL, "URL of the Manager on this machine")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger := newLogger(stderr, *debug)
	advertiser := discovery.NewAdvertiser(logger)
	ad, err := advertiser.Start(ctx, *managerURL)
	if errors.Is(err, discovery.ErrAlreadyAdvertised) {
		// Flamenco Tray's own advertising answers this machine's M-SEARCH like the Manager does.
		return fmt.Errorf("the Manager at %s is already advertised on this machine, possibly by Flamenco Tray (\"Advertise … "+
			"on the LAN\" ticked), by another \"flamenco-tray advertise\", or by the Manager itself (its own discovery on); "+
			"nothing to add", *managerURL)
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
	var stopped error
	if reason := ad.StopReason(); reason != nil {
		stopped = fmt.Errorf("stopped advertising: %w", reason)
	}
	return errors.Join(stopped, byebyeErr)
}
