package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// The log goes to the user's cache directory (%LocalAppData% on Windows), whose path holds the user's
// name: spaces and letters beyond ASCII.
func TestLogFileGoesInTheUserCacheDirectory(t *testing.T) {
	profile := filepath.Join(ostest.TempDir(t), "Zoë Müller-Ørsted")
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
	if l.Path() != want {
		t.Errorf("the log is %s, want %s", l.Path(), want)
	}
	if got, err := os.ReadFile(want); string(got) != "a line\n" {
		t.Errorf("%s holds %q (%v), want the line written", want, got, err)
	}
	if info, err := os.Stat(want); err != nil || info.Mode().Perm() != ostest.PrivateMode() {
		t.Errorf("%s: %v, mode %v; want %v", want, err, info.Mode().Perm(), ostest.PrivateMode())
	}
	if runtime.GOOS != "windows" {
		if info, err := os.Stat(filepath.Dir(want)); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, mode %v; want 0700", filepath.Dir(want), err, info.Mode().Perm())
		}
	}
}

// The log file's own line (a rotation that failed) reads as the tray's others: a zerolog warning.
func TestLogFileNoticeIsAWarningLikeTheOtherLines(t *testing.T) {
	line := logNotice(time.Date(2026, 11, 25, 15, 47, 0, 0, time.UTC), "cannot rotate the log file")
	var fields map[string]string
	if err := json.Unmarshal(line, &fields); err != nil || line[len(line)-1] != '\n' {
		t.Fatalf("%q is not one JSON line: %v", line, err)
	}
	if want := map[string]string{"level": "warn", "time": "2026-11-25T15:47:00Z", "message": "cannot rotate the log file"}; !maps.Equal(fields, want) {
		t.Errorf("notice %v, want %v", fields, want)
	}
}
