//go:build linux

package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// A second `advertise` of a Manager that is already advertised on this machine (here by a first
// `advertise` in this process; the tray advertises with the same discovery.Advertiser, which asks this
// machine over SSDP, so it is found the same way) says so, naming the URL, and exits 1.
func TestAdvertiseWhileAdvertisedSaysSo(t *testing.T) {
	netns.RequireIsolated(t)
	managerURL := standin.ServeHTTP(t, "Local Farm") // HTTP only: the Manager's own discovery is off
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testio.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"advertise", "--manager", managerURL}, &out, &errOut, testVersion) }()
	t.Cleanup(func() { cancel(); <-done })
	testio.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(out.String(), "Press Ctrl+C") })

	code, stdout, stderr := runCommand(context.Background(), "advertise", "--manager", managerURL)
	if code != 1 || stdout != "" {
		t.Errorf("second advertise: exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	for _, want := range []string{"already advertised on this machine", "Flamenco Tray", managerURL} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the message does not say %q:\n%s", want, stderr)
		}
	}
}
