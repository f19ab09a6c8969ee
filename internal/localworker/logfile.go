package localworker

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/rotatinglog"
)

// maxLogSize caps the Worker's log, as the tray's: past it the file becomes <name>.1 (replacing the
// one before) and a new one starts.
const maxLogSize = 5 << 20

// maxLineLength bounds a line held while waiting for its end: a longer one is written in pieces.
const maxLineLength = 64 << 10

// ansiEscape matches the colour codes the Worker writes even into a pipe.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// workerLog is the Worker's log file: its output, whole lines at a time, without colour codes, plus
// this program's notes on starts and exits. Rotated as the tray's log, by the one process writing.
type workerLog struct {
	file *rotatinglog.File

	mu      sync.Mutex
	pending []byte // the start of a line whose end has not come yet
	closed  bool
}

func openWorkerLog(path string, max int64) (*workerLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("make the log directory: %w", err)
	}
	file, err := rotatinglog.Open(path, max, noteLine)
	if err != nil {
		return nil, fmt.Errorf("open the Worker's log: %w", err)
	}
	return &workerLog{file: file}, nil
}

// noteLine is a line of this program's own, marked as such.
func noteLine(at time.Time, text string) []byte {
	return []byte(at.Format(time.RFC3339) + " --- Flamenco Tray: " + text + "\n")
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

// Note writes a line of this program's own, marked as such (nothing once closed: the file refuses it).
func (l *workerLog) Note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endPendingLine()
	l.writeLine(noteLine(time.Now(), fmt.Sprintf(format, args...)))
}

// endPendingLine writes the Worker's unfinished line, ended; l.mu is held.
func (l *workerLog) endPendingLine() {
	if len(l.pending) > 0 {
		l.writeLine(append(l.pending, '\n'))
		l.pending = nil
	}
}

// writeLine writes one line; l.mu is held.
func (l *workerLog) writeLine(line []byte) error {
	_, err := l.file.Write(ansiEscape.ReplaceAll(line, nil))
	return err
}

// Close writes what is left of an unfinished line and closes the file.
func (l *workerLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endPendingLine()
	l.closed = true
	return l.file.Close()
}
