//go:build unix

package localworker

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockDir takes the lock file in a Worker's directory, which the kernel releases once every process
// holding the returned file has ended or closed it; ErrAlreadyRunning when another holds it. The
// Worker inherits it (workerLockFiles), so a Worker that outlives this program (macOS has no
// parent-death signal) still keeps a second one from starting with the same identity.
func lockDir(path string) (held *os.File, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrAlreadyRunning
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The file stays: removing it could let two processes lock two different files.
	return f, nil
}

// workerLockFiles are the files the Worker's process inherits: the directory's lock (its fd 3).
func workerLockFiles(held *os.File) []*os.File { return []*os.File{held} }
