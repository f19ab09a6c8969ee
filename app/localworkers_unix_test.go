//go:build !windows

package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
)

// The flamenco-worker path changed in Settings is the one the next start uses.
func TestWorkerSetUsesTheWorkerPathSetSinceTheLastStart(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the Workers' logs
	dir := t.TempDir()
	// A program that runs and exits 3, as a failing Worker would; it never talks to the Manager.
	failing := filepath.Join(dir, "flamenco-worker")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	changed := make(chan struct{}, 100)
	var owned sync.WaitGroup
	goOwned := func(f func()) { owned.Add(1); go func() { defer owned.Done(); f() }() }
	set := newWorkerSet(zerolog.New(zerolog.NewTestWriter(t)), goOwned, func() { changed <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); set.wait(); owned.Wait() })
	m := discovery.Manager{ID: "studio", Name: "Studio Farm", URL: "http://127.0.0.1:1/"}

	problem := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			if got := set.states("")[m.ID].Problem; strings.Contains(got, want) {
				return
			}
			select {
			case <-changed:
			case <-time.After(50 * time.Millisecond):
			case <-deadline:
				t.Fatalf("problem %q, want one with %q (%+v)", set.states("")[m.ID].Problem, want, set.states("")[m.ID])
			}
		}
	}
	missing := filepath.Join(dir, "missing", "flamenco-worker")
	set.start(ctx, m, missing)
	problem("flamenco-worker not found: set its place in Settings") // the set's word, once the start is over
	// The Supervisor that start made, as lending gets it.
	worker, err := set.supervisorFor(ctx, m, missing)
	if err != nil {
		t.Fatal(err)
	}
	old := worker.(*localworker.Supervisor)
	set.start(ctx, m, failing) // replaces old, which is no longer followed once start returned
	problem("exited with code 3")

	// The replaced Supervisor is no longer followed: a change of its state rebuilds no menu.
	if sup, err := set.supervisorFor(ctx, m, failing); err != nil || sup == old {
		t.Fatalf("the Supervisor was not replaced (%v)", err)
	}
	for len(changed) > 0 {
		<-changed
	}
	if err := os.MkdirAll(filepath.Join(dir, "missing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(failing, filepath.Join(dir, "missing", "flamenco-worker")); err != nil {
		t.Fatal(err)
	}
	if err := old.Start(ctx); err != nil { // starting, running, exiting: three changes of its state
		t.Fatal(err)
	}
	<-old.Done()
	if n := len(changed); n > 0 {
		t.Errorf("%d changes of the replaced Supervisor still rebuild the menu", n)
	}
}
