package localworker

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile locks f, which Windows releases if this process dies; busy when another process holds it.
func lockFile(f *os.File) (busy bool, err error) {
	var overlapped windows.Overlapped
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY,
		0, 1, 0, &overlapped)
	return errors.Is(err, windows.ERROR_LOCK_VIOLATION), err
}

// workerLockFiles: none. A Windows lock belongs to the handle of the process that took it, and
// os/exec passes no extra handles: a Worker that outlives this program does not hold it.
func workerLockFiles(*os.File) []*os.File { return nil }
