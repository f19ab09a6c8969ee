package localworker

import (
	"bufio"
	"fmt"
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
	fmt.Println(sleepingWorkerReady)
	time.Sleep(time.Minute) // a stand-in's pace: it waits for a task that never comes
}

// sleepingWorkerReady is the line the sleeping Worker prints once it runs.
const sleepingWorkerReady = "sleeping Worker ready"

// startSleepingWorker starts the sleeping Worker and returns once it says it runs, so that what ends
// it afterwards is the test's doing; done receives its end.
func startSleepingWorker(t *testing.T) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSleepingWorker$")
	cmd.Env = append(os.Environ(), "FLAMENCO_TRAY_SLEEPING_WORKER=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	ready := make(chan error, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if lines.Text() == sleepingWorkerReady {
				ready <- nil
				return
			}
		}
		ready <- fmt.Errorf("it ended before it said it runs (%v)", lines.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("the sleeping Worker: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the sleeping Worker did not say it runs within 20 s")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // after the last read of stdout, as Wait closes it
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
