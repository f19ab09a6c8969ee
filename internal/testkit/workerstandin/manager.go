//go:build linux

package workerstandin

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

// NewManager serves the stand-in Manager the stand-in Workers talk to: an empty farmstandin farm
// named as the captured Manager ("Capture Farm"), on loopback in the test's network namespace, until
// the test ends. Workers that register become its farm's Workers.
func NewManager(tb testing.TB, opts ...farmstandin.Option) *farmstandin.Server {
	tb.Helper()
	netns.RequireIsolated(tb)
	return farmstandin.Serve(tb, farmstandin.New("Capture Farm", opts...))
}
