package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogFileRotatesAtStartNotUnderAnother(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "flamenco-tray.log")
	old := bytes.Repeat([]byte("an old line\n"), 200)
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := openRotatingLog(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(l, "a new line")
	l.Close()
	if got, _ := os.ReadFile(path + ".1"); !bytes.Equal(got, old) {
		t.Errorf("flamenco-tray.log.1 has %d bytes, want the old log's %d", len(got), len(old))
	}
	if got, _ := os.ReadFile(path); string(got) != "a new line\n" {
		t.Errorf("the new log holds %q", got)
	}
	for _, p := range []string{path, path + ".1"} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", p, err, info.Mode().Perm())
		}
	}
	if _, err := l.Write([]byte("after close\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a write after Close: %v, want os.ErrClosed (no file opened again)", err)
	}

	// Under the limit, it appends.
	l, err = openRotatingLog(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(l, "appended")
	l.Close()
	if got, _ := os.ReadFile(path); string(got) != "a new line\nappended\n" {
		t.Errorf("the log holds %q", got)
	}
}

func TestLogFileRotatesWhileRunning(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "flamenco-tray.log")
	l, err := openRotatingLog(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var lines []string
	for i := range 30 {
		line := fmt.Sprintf("line %02d of the log\n", i) // 19 bytes
		lines = append(lines, line)
		if _, err := l.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	current, _ := os.ReadFile(path)
	previous, _ := os.ReadFile(path + ".1")
	if len(current) > 100 || len(previous) > 100 || len(previous) == 0 {
		t.Errorf("sizes %d and %d; each file at most 100 bytes, and a rotation", len(current), len(previous))
	}
	// Whole lines only, the newest kept in order.
	if got := string(previous) + string(current); !strings.HasSuffix(strings.Join(lines, ""), got) {
		t.Errorf("the two files hold %q, not the last lines written", got)
	}
}

// A rotation that cannot rename (path.1 is in the way; on Windows, held open by another program)
// keeps the log, says so in it once, and does not try again on every line.
func TestLogFileKeepsLoggingWhenItCannotRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flamenco-tray.log")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 200), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path+".1", "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := openRotatingLog(path, 100)
	if err != nil {
		t.Fatalf("the log was given up: %v", err)
	}
	defer l.Close()
	for range 20 {
		if _, err := l.Write([]byte(`{"message":"a line"}` + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if got := bytes.Count(data, []byte("cannot rotate the log file")); got != 1 {
		t.Errorf("the failure is said %d times, want once:\n%s", got, data)
	}
	if got := bytes.Count(data, []byte(`"a line"`)); got != 20 {
		t.Errorf("%d of 20 lines written", got)
	}
}
