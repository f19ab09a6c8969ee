//go:build unix

package localworker

import (
	"os"
	"syscall"
)

// interrupt asks the Worker to stop as Ctrl+C does: it signs off, then exits 1.
func interrupt(p *os.Process) error { return p.Signal(syscall.SIGINT) }

// processTree is the Worker and what it starts (Blender): its process group.
type processTree struct{ p *os.Process }

// adoptTree makes the tree of a Worker just started: it has its own process group (launchAttrs).
func adoptTree(p *os.Process) (processTree, error) { return processTree{p}, nil }

// kill kills the Worker and what it started, its process group.
func (t processTree) kill() error {
	if err := syscall.Kill(-t.p.Pid, syscall.SIGKILL); err == nil {
		return nil
	}
	return t.p.Kill()
}

// close is called once the Worker has ended; what it left behind is left alone on Unix.
func (t processTree) close() {}
