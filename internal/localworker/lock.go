package localworker

import (
	"fmt"
	"os"
)

// lockDir takes the lock file in a Worker's directory (see lockFile for when it is released);
// ErrAlreadyRunning when another process holds it.
func lockDir(path string) (held *os.File, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if busy, err := lockFile(f); busy || err != nil {
		f.Close()
		if busy {
			return nil, ErrAlreadyRunning
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The file stays: removing it could let two processes lock two different files.
	return f, nil
}
