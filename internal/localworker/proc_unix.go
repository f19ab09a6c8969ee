//go:build unix

package localworker

import (
	"os"
	"syscall"
)

// interrupt asks the Worker to stop as Ctrl+C does: it signs off, then exits 1.
func interrupt(p *os.Process) error { return p.Signal(syscall.SIGINT) }

// killProcessTree kills the Worker and what it started (Blender), its process group.
func killProcessTree(p *os.Process) error {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err == nil {
		return nil
	}
	return p.Kill()
}
