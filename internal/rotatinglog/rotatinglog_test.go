package rotatinglog_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/rotatinglog"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// stampedNotice is the log's own line as a test's log words it.
func stampedNotice(at time.Time, text string) []byte {
	return []byte(at.Format(time.Kitchen) + " NOTE " + text + "\n")
}

func TestRotatesAtOpenNotUnderAnother(t *testing.T) {
	t.Parallel()
	path := filepath.Join(ostest.TempDir(t), "app.log")
	old := bytes.Repeat([]byte("an old line\n"), 200)
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := rotatinglog.Open(path, 1000, stampedNotice)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(l, "a new line\n")
	l.Close()
	if got, _ := os.ReadFile(path + ".1"); !bytes.Equal(got, old) {
		t.Errorf("app.log.1 has %d bytes, want the old log's %d", len(got), len(old))
	}
	if got, _ := os.ReadFile(path); string(got) != "a new line\n" {
		t.Errorf("the new log holds %q", got)
	}
	for _, p := range []string{path, path + ".1"} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != ostest.PrivateMode() {
			t.Errorf("%s: %v, mode %v; want %v", p, err, info.Mode().Perm(), ostest.PrivateMode())
		}
	}
	if _, err := l.Write([]byte("after close\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a write after Close: %v, want os.ErrClosed (no file opened again)", err)
	}

	// Under the limit, it appends.
	l, err = rotatinglog.Open(path, 1000, stampedNotice)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(l, "appended\n")
	l.Close()
	if got, _ := os.ReadFile(path); string(got) != "a new line\nappended\n" {
		t.Errorf("the log holds %q", got)
	}
}

func TestRotatesWhileRunning(t *testing.T) {
	t.Parallel()
	path := filepath.Join(ostest.TempDir(t), "app.log")
	l, err := rotatinglog.Open(path, 100, stampedNotice)
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
// keeps the log, says so in it once in the log's format, does not try again on every line, and tries
// again a minute later. In a synctest bubble, where time.Sleep moves the File's clock.
func TestKeepsLoggingWhenItCannotRotate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := ostest.TempDir(t)
		path := filepath.Join(dir, "app.log")
		if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 200), 0o600); err != nil {
			t.Fatal(err)
		}
		inTheWay := filepath.Join(path+".1", "in-the-way")
		if err := os.MkdirAll(inTheWay, 0o700); err != nil {
			t.Fatal(err)
		}
		failedAt := time.Now().Format(time.Kitchen)
		l, err := rotatinglog.Open(path, 100, stampedNotice)
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
		if got := bytes.Count(data, []byte(failedAt+" NOTE cannot rotate the log file")); got != 1 {
			t.Errorf("the failure is said %d times, want once:\n%s", got, data)
		}
		if got := bytes.Count(data, []byte(`"a line"`)); got != 20 {
			t.Errorf("%d of 20 lines written", got)
		}

		// Out of the way, the next line a minute later rotates. (os.Remove, not os.RemoveAll: see
		// ostest.TempDir.)
		for _, p := range []string{inTheWay, path + ".1"} {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(rotatinglog.RetryAfter - time.Second)
		l.Write([]byte("not yet\n"))
		if _, err := os.Stat(path + ".1"); err == nil {
			t.Fatal("rotated again before a minute had passed")
		}
		time.Sleep(time.Second)
		l.Write([]byte("rotated\n"))
		if old, _ := os.ReadFile(path + ".1"); !bytes.HasSuffix(old, []byte("not yet\n")) {
			t.Errorf("app.log.1 holds %q, want the log before", old)
		}
		if got, _ := os.ReadFile(path); string(got) != "rotated\n" {
			t.Errorf("the log holds %q after the retry", got)
		}
	})
}
