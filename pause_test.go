//go:build linux

package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// A laptop that sleeps, for real: `discover --watch` is stopped with SIGSTOP for 20 s while its
// Manager stays up, then continued. It must check before it decides: no "gone", no second
// "appeared". (The same on the fake clock: discovery's TestBrowserAfterAPauseChecksBeforeItDecides.)
// Nothing here is proven by waiting: the watch's whole output, once it exited, must be exactly one
// "appeared" and, after the Manager was killed, one "gone"; a verdict reached from the pause would
// add a "gone" and a second "appeared".
func TestDiscoverWatchSurvivesAPause(t *testing.T) {
	manager, _ := standin.OnLAN(t, "Sleepy Farm")

	cmd := exec.Command(buildTray(t), "discover", "--watch", "--debug")
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	var stdout, stderr testio.SyncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Signal(syscall.SIGCONT)
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	})
	count := func(kind string) int { return strings.Count(stdout.String(), "\t"+kind+"\t") }

	checks := func() int { return strings.Count(stderr.String(), "check succeeded") }
	testio.WaitFor(t, 15*time.Second, func() bool { return count("appeared") == 1 })
	// At least one liveness check after the first, so that the pause falls between two checks.
	testio.WaitFor(t, 30*time.Second, func() bool { return checks() >= 2 })

	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	before := checks()
	time.Sleep(20 * time.Second) // the pause under test: the laptop sleeps
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// The Browser checks before it decides: wait for that check to succeed.
	testio.WaitFor(t, 30*time.Second, func() bool { return checks() > before })

	// And the same watch does report a Manager that really stops.
	manager.Kill()
	testio.WaitFor(t, 30*time.Second, func() bool { return count("gone") >= 1 })

	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("discover --watch exited with %v after SIGINT (a race report exits 66)", waitErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("discover --watch did not exit within 10 s of SIGINT")
	}
	if gone, appeared := count("gone"), count("appeared"); gone != 1 || appeared != 1 {
		t.Errorf("a 20 s pause with the Manager up, then the Manager killed: %d gone, %d appeared; want 1 and 1:\n%s",
			gone, appeared, stdout.String())
	}
}
