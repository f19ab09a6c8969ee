//go:build linux

package farmstandin_test

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/netns"
)

// The stand-in is checked through real HTTP, in a network namespace of the test's own.
func TestMain(m *testing.M) {
	netns.Main(m)
}
