// Package rotatinglog is a log file written and rotated by the one process that owns it: private to
// the user, moved to <path>.1 (replacing the one before) when a write would take it past its size
// limit, and kept in place when it cannot be moved (on Windows, a viewer holding it or <path>.1 open),
// saying so in a line of its own and trying again a minute later.
package rotatinglog

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// RetryAfter is how long a rotation that failed waits before the next try: meanwhile the file grows
// past its limit rather than retrying on every write.
const RetryAfter = time.Minute

// File is a log file that rotates itself, by the process that writes it, never under another. Each
// Write goes whole into one file: a rotation happens between writes, never inside one. Safe for
// concurrent use.
type File struct {
	path   string
	max    int64
	notice func(at time.Time, text string) []byte

	mu            sync.Mutex
	f             *os.File // nil after a rotation failed to open the new file
	size          int64
	closed        bool
	noRotateUntil time.Time
}

// Open opens (appends to) the log file at path, rotating it first when it is over maxSize bytes.
// notice makes the File's own lines (a rotation that failed) in the log's format: the whole line for
// text, its newline included. The file has mode 0600, a file of an older version's included; on
// Windows, where Go's modes only set or clear read-only, the access list of the folder it is in
// keeps it private.
func Open(path string, maxSize int64, notice func(at time.Time, text string) []byte) (*File, error) {
	l := &File{path: path, max: maxSize, notice: notice}
	if err := l.open(); err != nil {
		return nil, err
	}
	if l.size > maxSize {
		if err := l.rotate(); err != nil && l.f == nil {
			return nil, err
		}
	}
	return l, nil
}

// Path is the log file's path.
func (l *File) Path() string { return l.path }

// open opens the file for appending and learns its size; l.mu is held or l is not shared yet.
func (l *File) open() error {
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
func (l *File) rotate() error {
	closeErr := l.f.Close()
	l.f = nil
	renameErr := os.Rename(l.path, l.path+".1")
	if err := l.open(); err != nil {
		return errors.Join(renameErr, closeErr, err)
	}
	if renameErr != nil {
		now := time.Now()
		l.noRotateUntil = now.Add(RetryAfter)
		n, _ := l.f.Write(l.notice(now, fmt.Sprintf("cannot rotate the log file, trying again in %v: %v", RetryAfter, renameErr)))
		l.size += int64(n)
		return renameErr
	}
	return nil
}

// Write appends p, rotating first when p would take the file over the limit.
func (l *File) Write(p []byte) (int, error) {
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

// Close closes the file; a Write after it fails with os.ErrClosed.
func (l *File) Close() error {
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
