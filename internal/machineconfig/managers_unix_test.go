//go:build linux || freebsd || netbsd || openbsd || dragonfly || darwin

package machineconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pointManagersFile points ReadManagers at path for the test.
func pointManagersFile(t *testing.T, path string) {
	old := ManagersFile
	ManagersFile = path
	t.Cleanup(func() { ManagersFile = old })
}

func TestReadManagersReadsTheFileForEveryone(t *testing.T) {
	if ManagersFile != "/etc/flamenco-tray/managers" && ManagersFile != "/Library/Application Support/Flamenco Tray/managers" {
		t.Errorf("ManagersFile = %s", ManagersFile)
	}
	path := filepath.Join(t.TempDir(), "managers")
	pointManagersFile(t, path)
	if got := ReadManagers(); len(got.URLs) != 0 || len(got.Problems) != 0 {
		t.Errorf("without the file: %+v", got)
	}
	if err := os.WriteFile(path, []byte("http://farm.studio.lan:8080/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ReadManagers(); !slices.Equal(got.URLs, []string{"http://farm.studio.lan:8080/"}) || got.Where != path {
		t.Errorf("ReadManagers = %+v", got)
	}
}

// A FIFO would block a reader until something writes to it: it is reported, not opened.
func TestReadManagersDoesNotWaitOnAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "managers")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	pointManagersFile(t, path)
	done := make(chan Managers, 1)
	go func() { done <- ReadManagers() }()
	select {
	case got := <-done:
		if len(got.Problems) != 1 || !strings.Contains(got.Problems[0].String(), "not a regular file") {
			t.Errorf("a FIFO: %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadManagers waits on a FIFO")
	}
}

func TestReadManagersReportsAFileItMayNotRead(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := filepath.Join(t.TempDir(), "managers")
	if err := os.WriteFile(path, []byte("http://farm:8080/\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	pointManagersFile(t, path)
	got := ReadManagers()
	if len(got.URLs) != 0 || len(got.Problems) != 1 || !strings.Contains(got.Problems[0].String(), "permission denied") {
		t.Errorf("an unreadable file: %+v", got)
	}
}
