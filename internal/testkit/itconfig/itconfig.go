//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

// Package itconfig stands in for what a studio's IT sets for every user of a machine, for tests of
// the packages that read it.
package itconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
)

// ManagersFile points machineconfig at a real file of Managers IT set, in a temp dir, holding text,
// until the test ends, and returns its path.
func ManagersFile(tb testing.TB, text string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "managers")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	old := machineconfig.ManagersFile
	machineconfig.ManagersFile = path
	tb.Cleanup(func() { machineconfig.ManagersFile = old })
	return path
}
