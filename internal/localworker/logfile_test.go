package localworker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

func TestWorkerLogWritesWholeLinesWithoutColour(t *testing.T) {
	t.Parallel()
	path := filepath.Join(ostest.TempDir(t), "w.log")
	l, err := openWorkerLog(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// A coloured zerolog line, arriving in pieces that cut through an escape code.
	for _, piece := range []string{"\x1b[90m2026-11-25\x1b", "[0m \x1b[32mINF\x1b[0m registered", " at Manager\nsecond"} {
		l.Write([]byte(piece))
	}
	if data, _ := os.ReadFile(path); string(data) != "2026-11-25 INF registered at Manager\n" {
		t.Errorf("after a line and a half: %q", data)
	}
	l.Note("exited with code %d", 0)
	l.Close()
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[1] != "second" || !strings.HasSuffix(lines[2], "--- Flamenco Tray: exited with code 0") {
		t.Errorf("log: %q", data)
	}
	if n, err := l.Write([]byte("late\n")); n != 0 || err == nil {
		t.Errorf("write after close: %d %v", n, err)
	}
}

func TestWorkerLogRotates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(ostest.TempDir(t), "w.log")
	l, err := openWorkerLog(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	line := strings.Repeat("x", 59) + "\n"
	l.Write([]byte(line + line)) // the second line takes it over 100 bytes: rotated before it
	old, _ := os.ReadFile(path + ".1")
	current, _ := os.ReadFile(path)
	if string(old) != line || string(current) != line {
		t.Errorf("after rotation: %q and %q", old, current)
	}
	// A line longer than the limit of a held line is written in pieces, not held for ever.
	l.Write([]byte(strings.Repeat("y", maxLineLength+10)))
	if info, err := os.Stat(path); err != nil || info.Size() == int64(len(line)) {
		t.Error("a very long unfinished line was not written")
	}
}
