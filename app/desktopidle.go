package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/idle"
)

// errIdleClosed: the tray is quitting, and idle is no longer read.
var errIdleClosed = errors.New("idle is no longer read: the tray is quitting")

// desktopIdle is the tray's one reading of the desktop's idle time, shared by every Lender: opened
// once at start, closed at quit. When it cannot be opened, every read returns why, so that no
// computer is lent and the menu says why; the log says it once.
//
// Concurrency: Run, a goroutine of the tray's owner, opens and closes the source; ready is closed
// once it has tried, and source and openErr are only read after. Reads hold mu for reading, Close
// takes it for writing: the source is not closed under a read.
type desktopIdle struct {
	log  zerolog.Logger
	open func(ctx context.Context) (idle.Source, error) // idle.Open

	ready   chan struct{}
	source  idle.Source
	openErr error

	mu     sync.RWMutex
	closed bool
}

func newDesktopIdle(log zerolog.Logger, open func(ctx context.Context) (idle.Source, error)) *desktopIdle {
	return &desktopIdle{log: log.With().Str("component", "idle").Logger(), open: open, ready: make(chan struct{})}
}

// Run opens the source, and closes it once ctx ends.
func (d *desktopIdle) Run(ctx context.Context) {
	d.source, d.openErr = d.open(ctx)
	close(d.ready)
	if d.openErr != nil {
		d.log.Warn().Err(d.openErr).Msg("cannot tell when you are away: this computer is not lent to any farm")
		return
	}
	d.log.Info().Str("source", d.source.Name()).Msg("reading the desktop's idle time")
	<-ctx.Done()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if err := d.source.Close(); err != nil {
		d.log.Debug().Err(err).Msg("closing the idle source")
	}
}

// Read returns the desktop's idle time and lock, waiting for the source to be opened; the error
// says why they cannot be read.
func (d *desktopIdle) Read(ctx context.Context) (time.Duration, bool, error) {
	select {
	case <-ctx.Done():
		return 0, false, ctx.Err()
	case <-d.ready:
	}
	if d.openErr != nil {
		return 0, false, d.openErr
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return 0, false, errIdleClosed
	}
	r, err := d.source.Read(ctx)
	return r.Idle, r.Locked, err
}
