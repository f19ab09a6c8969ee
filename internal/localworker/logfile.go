package localworker

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"
)

// maxLogSize caps the Worker's log, as the tray's: past it the file becomes <name>.1 (replacing the
// one before) and a new one starts.
const maxLogSize = 5 << 20

// maxLineLength bounds a line held while waiting for its end: a longer one is written in pieces.
const maxLineLength = 64 << 10

// ansiEscape matches the colour codes the Worker writes even into a pipe.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// workerLog is the Worker's log file: its output, whole lines at a time, without colour codes, plus
// this program's notes on starts and exits. Rotated like the tray's log, by the one process writing.
type workerLog struct {
	path string
	max  int64

	mu      sync.Mutex
	f       *os.File
	size    int64
	pending []byte // the start of a line whose end has not come yet
	closed  bool
}

func openWorkerLog(path string, max int64) (*workerLog, error) {
	l := &workerLog{path: path, max: max}
	if err := l.open(); err != nil {
		return nil, err
	}
	if l.size > max {
		l.rotate()
	}
	return l, nil
}

func (l *workerLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the Worker's log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the Worker's log: %w", err)
	}
	l.f, l.size = f, info.Size()
	return nil
}

// rotate moves the file to path.1 and starts a new one; l.mu is held. When the rename fails (the old
// file open in an editor on Windows) it keeps appending rather than lose lines.
func (l *workerLog) rotate() {
	if err := l.f.Close(); err != nil {
		l.f = nil
	}
	renameErr := os.Rename(l.path, l.path+".1")
	if err := l.open(); err != nil {
		l.f = nil
		return
	}
	if renameErr != nil {
		l.max *= 2 // try again only after as much more again, not on every line
	}
}

// Write takes the Worker's output in any pieces, and writes whole lines without colour codes.
func (l *workerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, os.ErrClosed
	}
	l.pending = append(l.pending, p...)
	for {
		end := bytes.IndexByte(l.pending, '\n')
		if end < 0 {
			if len(l.pending) < maxLineLength {
				break
			}
			end = maxLineLength - 1
		}
		// A line that cannot be written is lost, but the output is still taken: refusing it would
		// only stop os/exec's copying and block the Worker on a full pipe.
		_ = l.writeLine(l.pending[:end+1])
		l.pending = l.pending[end+1:]
	}
	if len(l.pending) == 0 {
		l.pending = nil // let a long line's buffer go
	}
	return len(p), nil
}

// Note writes a line of this program's own, marked as such.
func (l *workerLog) Note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if len(l.pending) > 0 { // the Worker's unfinished line first, ended
		l.writeLine(append(l.pending, '\n'))
		l.pending = nil
	}
	line := fmt.Sprintf("%s --- Flamenco Tray: "+format+"\n", append([]any{time.Now().Format(time.RFC3339)}, args...)...)
	l.writeLine([]byte(line))
}

// writeLine writes one line; l.mu is held.
func (l *workerLog) writeLine(line []byte) error {
	line = ansiEscape.ReplaceAll(line, nil)
	if l.f != nil && l.size > 0 && l.size+int64(len(line)) > l.max {
		l.rotate()
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	return err
}

// Close writes what is left of an unfinished line and closes the file.
func (l *workerLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	if len(l.pending) > 0 {
		l.writeLine(append(l.pending, '\n'))
		l.pending = nil
	}
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
