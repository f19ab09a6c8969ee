package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// testDir is t.TempDir, which under Wine is emptied file by file before t.TempDir's own cleanup:
// Wine 8 lacks the POSIX delete (NtSetInformationFile's FileDispositionInformationEx, "Unsupported
// class (64)") with which Go 1.26's os.RemoveAll deletes each entry on Windows, so that cleanup
// fails with "Invalid function"; os.Remove (DeleteFileW, RemoveDirectoryW) works.
func testDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if underWine() {
		t.Cleanup(func() {
			var paths []string
			filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
				paths = append(paths, path)
				return err
			})
			for _, path := range slices.Backward(paths) { // each directory after what it holds
				if err := os.Remove(path); err != nil {
					t.Error(err)
				}
			}
		})
	}
	return dir
}

// privateMode is the mode the log's files must have. Windows has no mode bits: Go reports 0666 for a
// file that is not read-only, and the access list of the user's profile folder keeps the log private.
func privateMode() fs.FileMode {
	if runtime.GOOS == "windows" {
		return 0o666
	}
	return 0o600
}

// The log goes to the user's cache directory (%LocalAppData% on Windows), whose path holds the user's
// name: spaces and letters beyond ASCII.
func TestLogFileGoesInTheUserCacheDirectory(t *testing.T) {
	profile := filepath.Join(testDir(t), "Zoë Müller-Ørsted")
	var cache string
	switch runtime.GOOS {
	case "windows":
		cache = filepath.Join(profile, "AppData", "Local")
		t.Setenv("LOCALAPPDATA", cache)
	case "darwin":
		cache = filepath.Join(profile, "Library", "Caches")
		t.Setenv("HOME", profile)
	default:
		cache = filepath.Join(profile, ".cache")
		t.Setenv("XDG_CACHE_HOME", cache)
	}
	l, err := openLogFile()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(l, "a line")
	l.Close()
	want := filepath.Join(cache, "flamenco-tray", "flamenco-tray.log")
	if l.path != want {
		t.Errorf("the log is %s, want %s", l.path, want)
	}
	if got, err := os.ReadFile(want); string(got) != "a line\n" {
		t.Errorf("%s holds %q (%v), want the line written", want, got, err)
	}
	if info, err := os.Stat(want); err != nil || info.Mode().Perm() != privateMode() {
		t.Errorf("%s: %v, mode %v; want %v", want, err, info.Mode().Perm(), privateMode())
	}
	if runtime.GOOS != "windows" {
		if info, err := os.Stat(filepath.Dir(want)); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, mode %v; want 0700", filepath.Dir(want), err, info.Mode().Perm())
		}
	}
}

func TestLogFileRotatesAtStartNotUnderAnother(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testDir(t), "flamenco-tray.log")
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
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != privateMode() {
			t.Errorf("%s: %v, mode %v; want %v", p, err, info.Mode().Perm(), privateMode())
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
	path := filepath.Join(testDir(t), "flamenco-tray.log")
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
	dir := testDir(t)
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
