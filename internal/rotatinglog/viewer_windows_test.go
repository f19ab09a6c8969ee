package rotatinglog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/rotatinglog"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// On Windows a file that another program holds open without sharing delete access cannot be
// replaced: a viewer that has app.log.1 (or the log itself) open stops the rotation. The log goes on
// in the file as it is, and says so once.
func TestKeepsLoggingWhileAViewerHoldsTheOldLog(t *testing.T) {
	for _, held := range []string{"app.log.1", "app.log"} {
		t.Run(held, func(t *testing.T) {
			dir := ostest.TempDir(t)
			path := filepath.Join(dir, "app.log")
			if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 200), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+".1", []byte("the log before\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// os.Open shares reading and writing, not deleting, as most viewers do.
			viewer, err := os.Open(filepath.Join(dir, held))
			if err != nil {
				t.Fatal(err)
			}
			l, err := rotatinglog.Open(path, 100, stampedNotice)
			if err != nil {
				viewer.Close()
				t.Fatalf("the log was given up: %v", err)
			}
			for range 5 {
				if _, err := l.Write([]byte(`{"message":"a line"}` + "\n")); err != nil {
					t.Error(err)
				}
			}
			l.Close()
			viewer.Close()
			data, _ := os.ReadFile(path)
			if got := bytes.Count(data, []byte("cannot rotate the log file")); got != 1 {
				t.Errorf("the failure is said %d times, want once:\n%s", got, data)
			}
			if !bytes.HasPrefix(data, bytes.Repeat([]byte("x"), 200)) || bytes.Count(data, []byte(`"a line"`)) != 5 {
				t.Errorf("the log lost lines:\n%s", data)
			}
			if old, _ := os.ReadFile(path + ".1"); string(old) != "the log before\n" {
				t.Errorf("app.log.1 holds %q, want the log before", old)
			}
		})
	}
}
