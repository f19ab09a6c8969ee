//go:build unix

package localworker

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile locks f until every process holding it has ended or closed it; busy when another holds it.
// The Worker inherits it, so one that outlives this program (macOS has no parent-death signal) still
// keeps a second from starting with the same identity.
func lockFile(f *os.File) (busy bool, err error) {
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	return errors.Is(err, unix.EWOULDBLOCK), err
}

// workerLockFiles are the files the Worker's process inherits: the directory's lock (its fd 3).
func workerLockFiles(held *os.File) []*os.File { return []*os.File{held} }
