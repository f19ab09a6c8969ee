//go:build unix

package singleinstance

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testLockClaim is a lock-and-socket claim in a directory of the test's own. Each call is a new
// launch: flock conflicts between two open files of one process as between two processes.
func testLockClaim(t *testing.T, dir string) *lockClaim {
	return &lockClaim{paths: lockPathsFor("org.flamenco.tray", dir, "", os.Getuid(), "0")}
}

func shortTempDir(t *testing.T) string {
	t.Helper()
	// Unix socket paths are limited to 104-108 bytes; t.TempDir can be longer.
	dir, err := os.MkdirTemp("", "si")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func acquireWithin(t *testing.T, c claim, d time.Duration) (*Instance, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return acquire(ctx, []claim{c})
}

func TestLockSecondAttemptHandsOver(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	first, err := acquireWithin(t, testLockClaim(t, dir), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	start := time.Now()
	second, err := acquireWithin(t, testLockClaim(t, dir), time.Second)
	if !errors.Is(err, ErrAlreadyRunning) || second != nil {
		t.Fatalf("second attempt: %v, %v; want ErrAlreadyRunning", second, err)
	}
	t.Logf("handed over in %v", time.Since(start))
	select {
	case <-first.ShowRequests():
	case <-time.After(time.Second):
		t.Fatal("the first instance was not asked to show itself")
	}
	info, err := os.Stat(filepath.Join(dir, "org.flamenco.tray"))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, mode %v; want 0700", err, info.Mode().Perm())
	}

	// Once the first gives up, the next launch is the instance.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := acquireWithin(t, testLockClaim(t, dir), time.Second)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	third.Close()
}

func TestLockLeftByADeadOwnerDoesNotBlock(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	c := testLockClaim(t, dir)
	// What a SIGKILLed owner leaves: the lock file (unlocked: the kernel released it) and its socket
	// file, with nobody listening.
	if err := privateDir(c.paths.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.paths.lock, []byte("12345\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: c.paths.socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(c.paths.socket); err != nil {
		t.Fatalf("the stale socket file should exist: %v", err)
	}

	inst, err := acquireWithin(t, c, time.Second)
	if err != nil {
		t.Fatalf("with a stale lock and socket: %v", err)
	}
	defer inst.Close()
	if _, err := acquireWithin(t, testLockClaim(t, dir), time.Second); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("a launch after the new owner: %v, want ErrAlreadyRunning", err)
	}
}

func TestLockOwnerThatDoesNotAnswer(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	c := testLockClaim(t, dir)
	// A hung owner: it holds the lock and listens, but its server (one request at a time) is stuck
	// on a connection that never says anything.
	release, err := c.own(make(chan struct{}, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	silent, err := net.Dial("unix", c.paths.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	start := time.Now()
	_, err = acquireWithin(t, testLockClaim(t, dir), 300*time.Millisecond)
	if !errors.Is(err, ErrNotAnswering) {
		t.Errorf("with a hung owner: %v, want ErrNotAnswering", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("gave up after %v", took)
	}
}

func TestPrivateDirRefusesOthers(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(shortTempDir(t), "open")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	if err := privateDir(dir); err == nil {
		t.Error("a directory anyone can write to was accepted")
	}
	file := filepath.Join(shortTempDir(t), "file")
	os.WriteFile(file, nil, 0o600)
	if err := privateDir(file); err == nil {
		t.Error("a file was accepted as the directory")
	}
}
