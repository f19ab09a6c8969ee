package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/idle"
)

type fakeIdleSource struct {
	mu     sync.Mutex
	closed bool
}

func (s *fakeIdleSource) Read(context.Context) (idle.Reading, error) {
	return idle.Reading{Idle: 3 * time.Minute, Locked: true}, nil
}
func (s *fakeIdleSource) Name() string { return "fake" }
func (s *fakeIdleSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
func (s *fakeIdleSource) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// A read waits for the source to be opened; the source is closed when the tray's context ends,
// and reads then say so.
func TestDesktopIdleOpensOnceAndClosesAtQuit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		release := make(chan struct{})
		source := &fakeIdleSource{}
		d := newDesktopIdle(zerolog.Nop(), func(context.Context) (idle.Source, error) {
			<-release
			return source, nil
		})
		var running sync.WaitGroup
		running.Go(func() { d.Run(ctx) })
		var idle time.Duration
		var locked bool
		read := make(chan error, 1)
		go func() {
			var err error
			idle, locked, err = d.Read(ctx)
			read <- err
		}()
		synctest.Wait()
		select {
		case err := <-read:
			t.Fatalf("read before the source was opened: %v", err)
		default:
		}
		close(release)
		if err := <-read; err != nil || idle != 3*time.Minute || !locked {
			t.Errorf("read %v %t %v", idle, locked, err)
		}
		cancel()
		running.Wait()
		if !source.Closed() {
			t.Error("the source was not closed when the tray's context ended")
		}
		if _, _, err := d.Read(context.Background()); !errors.Is(err, errIdleClosed) {
			t.Errorf("a read after quitting: %v", err)
		}
	})
}

// When idle cannot be read on this desktop, every read says why, and the log says it once.
func TestDesktopIdleThatCannotOpenSaysWhyOnce(t *testing.T) {
	var log bytes.Buffer
	why := errors.New("idle unavailable: no X server and no session bus")
	d := newDesktopIdle(zerolog.New(&log), func(context.Context) (idle.Source, error) { return nil, why })
	d.Run(context.Background())
	for range 3 {
		if _, _, err := d.Read(context.Background()); !errors.Is(err, why) {
			t.Errorf("read: %v, want %v", err, why)
		}
	}
	if n := strings.Count(log.String(), `"level":"warn"`); n != 1 || !strings.Contains(log.String(), why.Error()) {
		t.Errorf("log says it %d times, want once with why:\n%s", n, log.String())
	}
}
