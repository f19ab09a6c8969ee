//go:build linux

package farm_test

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/netns"
)

// Tests that send HTTP, even on loopback, run in a network namespace of their own.
func TestMain(m *testing.M) {
	netns.Main(m)
}
