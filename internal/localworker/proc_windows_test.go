package localworker

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestHelperSleepingWorker is not a test: run as a child by the tests below, it sleeps as a Worker
// waiting for a task would.
func TestHelperSleepingWorker(t *testing.T) {
	if os.Getenv("FLAMENCO_TRAY_SLEEPING_WORKER") == "" {
		t.Skip("a child process of the job object tests")
	}
	time.Sleep(time.Minute)
}

func startSleepingWorker(t *testing.T) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSleepingWorker$")
	cmd.Env = append(os.Environ(), "FLAMENCO_TRAY_SLEEPING_WORKER=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	select { // it runs: what ends it below is the job
	case err := <-done:
		t.Fatalf("the sleeping Worker ended by itself: %v", err)
	case <-time.After(time.Second):
	}
	return cmd, done
}

func waitEnded(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: the Worker still runs", what)
	}
}

// The Worker's job object ends it when killed, and when its last handle closes (as when the tray
// dies): no Worker outlives its tray on Windows.
func TestProcessTreeEndsWithItsJob(t *testing.T) {
	cmd, done := startSleepingWorker(t)
	tree, err := adoptTree(cmd.Process)
	if err != nil || tree.job == 0 {
		t.Fatalf("adoptTree: %v (job %v)", err, tree.job)
	}
	if err := tree.kill(); err != nil {
		t.Fatal(err)
	}
	waitEnded(t, done, "killed")
	tree.close()

	cmd, done = startSleepingWorker(t)
	tree, err = adoptTree(cmd.Process)
	if err != nil {
		t.Fatal(err)
	}
	tree.close()
	waitEnded(t, done, "its job's last handle closed")
}
