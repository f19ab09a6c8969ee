package singleinstance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// The Windows claim for real, with named objects of this logon session. A named mutex or event that
// exists is reported the same to its own process as to another, so each Acquire here is a launch.
func TestWindowsSecondLaunchHandsOverAndTheNextStartsAfterClose(t *testing.T) {
	t.Parallel()
	id := fmt.Sprintf("org.flamenco.tray.test-%d", os.Getpid())
	acquire := func() (*Instance, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return Acquire(ctx, id)
	}
	first, err := acquire()
	if err != nil {
		t.Fatal(err)
	}
	if want := `named mutex Local\` + id; first.Means != want {
		t.Errorf("Means %q, want %q", first.Means, want)
	}

	second, err := acquire()
	if !errors.Is(err, ErrAlreadyRunning) || second != nil {
		t.Fatalf("second launch: %v, %v; want ErrAlreadyRunning", second, err)
	}
	select {
	case <-first.ShowRequests():
	case <-time.After(5 * time.Second):
		t.Fatal("the first instance was not asked to show itself")
	}

	if err := errors.Join(first.Close(), first.Close()); err != nil {
		t.Fatal(err)
	}
	// The kernel deletes the mutex with its last handle: the second launch, which did not become the
	// instance, must not have kept one.
	third, err := acquire()
	if err != nil {
		t.Fatalf("a launch after the instance closed: %v", err)
	}
	if err := third.Close(); err != nil {
		t.Error(err)
	}
}
