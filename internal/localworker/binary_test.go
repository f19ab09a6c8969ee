package localworker

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

func TestFindBinary(t *testing.T) {
	dir := ostest.TempDir(t)
	worker := filepath.Join(dir, binaryName)
	if err := os.WriteFile(worker, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindBinary(worker); got != worker || err != nil {
		t.Errorf("explicit: %q, %v", got, err)
	}
	missing := filepath.Join(dir, "nowhere", binaryName)
	if _, err := FindBinary(missing); !errors.Is(err, ErrBinaryNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("explicit, missing: %v", err)
	}
	if _, err := FindBinary(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("explicit, a directory: %v", err)
	}
	if runtime.GOOS != "windows" {
		plain := filepath.Join(dir, "plain")
		os.WriteFile(plain, nil, 0o644)
		if _, err := FindBinary(plain); err == nil || !strings.Contains(err.Error(), "not executable") {
			t.Errorf("explicit, not executable: %v", err)
		}
	}

	t.Setenv("PATH", dir)
	if got, err := FindBinary(""); got != worker || err != nil {
		t.Errorf("on PATH: %q, %v", got, err)
	}
	// Neither on PATH nor beside the test binary: the error says where it looked and what to do.
	t.Setenv("PATH", ostest.TempDir(t))
	_, err := FindBinary("")
	if !errors.Is(err, ErrBinaryNotFound) || !strings.Contains(err.Error(), "PATH") || !strings.Contains(err.Error(), "Settings") {
		t.Errorf("nowhere: %v", err)
	}
}

func TestBesideDirs(t *testing.T) {
	t.Parallel()
	app := filepath.Join("/Applications", "Flamenco Tray.app", "Contents", "MacOS", "flamenco-tray")
	if got := besideDirs(app); len(got) != 2 || got[1] != filepath.FromSlash("/Applications") {
		t.Errorf("inside a bundle: %q", got)
	}
	if got := besideDirs(filepath.Join("/opt", "flamenco", "flamenco-tray")); len(got) != 1 || got[0] != filepath.Join("/opt", "flamenco") {
		t.Errorf("plain: %q", got)
	}
}
