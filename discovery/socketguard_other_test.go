//go:build !linux

package discovery

import (
	"errors"
	"os"
	"testing"
)

// TestMain refuses every SSDP socket: the network-namespace harness that keeps test traffic on this
// machine is Linux-only, so on other systems only the tests that open no SSDP socket run.
func TestMain(m *testing.M) {
	beforeSSDPSocket = func(purpose string) error {
		return errors.New("SSDP socket for " + purpose + " refused: tests open SSDP sockets only in Linux network namespaces")
	}
	os.Exit(m.Run())
}
