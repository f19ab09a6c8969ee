package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// maxLogSize caps the log file: past it, the file becomes flamenco-tray.log.1 (replacing the one
// before) and a new one starts.
const maxLogSize = 5 << 20

// logFile is the tray's log file, private to the user as it names the Managers and addresses seen:
// mode 0600 on Unix; on Windows, where Go's modes only set or clear read-only, the access list of
// %LocalAppData% (the user's profile) keeps it private. Only the one running tray opens it (see
// runTray), so it is rotated by the process that writes it, never under another: at start when it is
// over the limit, and while running as soon as a line would take it over. Lines are written whole
// (zerolog writes one event per Write).
type logFile struct {
	path string
	max  int64

	mu     sync.Mutex
	f      *os.File // nil after a rotation failed to open the new file
	size   int64
	closed bool
	// noRotateUntil: after a rotation failed (path.1 held open by another program, on Windows),
	// the file grows past the limit for a while rather than retrying on every line.
	noRotateUntil time.Time
}

// rotateRetry is how long a failed rotation waits before the next try.
const rotateRetry = time.Minute

// openRotatingLog opens (appends to) the log file at path, rotating it first when over max bytes.
func openRotatingLog(path string, max int64) (*logFile, error) {
	l := &logFile{path: path, max: max}
	if err := l.open(); err != nil {
		return nil, err
	}
	if l.size > max {
		if err := l.rotate(); err != nil && l.f == nil {
			return nil, err
		}
	}
	return l, nil
}

// open opens the file for appending and learns its size; l.mu is held or l is not shared yet.
func (l *logFile) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// A file made by an older version was 0644.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, info.Size()
	return nil
}

// rotate renames the file to path.1 and starts a new one; l.mu is held. When the rename fails it
// keeps appending to the file as it is, rather than lose lines, and says so in it.
func (l *logFile) rotate() error {
	closeErr := l.f.Close()
	l.f = nil
	renameErr := os.Rename(l.path, l.path+".1")
	if err := l.open(); err != nil {
		return errors.Join(renameErr, closeErr, err)
	}
	if renameErr != nil {
		l.noRotateUntil = time.Now().Add(rotateRetry)
		line, _ := json.Marshal(map[string]string{"level": "warn", "time": time.Now().Format(time.RFC3339),
			"message": fmt.Sprintf("cannot rotate the log file, trying again in %v: %v", rotateRetry, renameErr)})
		n, _ := l.f.Write(append(line, '\n'))
		l.size += int64(n)
		return renameErr
	}
	return nil
}

// Write appends p, rotating first when p would take the file over the limit.
func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, os.ErrClosed
	}
	var rotateErr error
	if l.f != nil && l.size > 0 && l.size+int64(len(p)) > l.max && !time.Now().Before(l.noRotateUntil) {
		rotateErr = l.rotate()
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			return 0, errors.Join(rotateErr, err)
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// Close closes the file.
func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
