//go:build linux

package workerstandin

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// NewManager serves the stand-in Manager the stand-in Workers talk to: an empty farmstandin farm
// named as the captured Manager ("Capture Farm"), on loopback, until the test ends (plain HTTP: no
// network namespace needed). Workers that register become its farm's Workers.
func NewManager(tb testing.TB, opts ...farmstandin.Option) *farmstandin.Server {
	tb.Helper()
	return farmstandin.Serve(tb, farmstandin.New("Capture Farm", opts...))
}
