//go:build linux

package localworker_test

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

// The supervisor's tests run stand-in Worker processes (this binary, re-executed) that talk HTTP to
// a stand-in Manager on loopback, inside a network namespace of their own.
func TestMain(m *testing.M) {
	workerstandin.MaybeRun()
	netns.Main(m)
}
