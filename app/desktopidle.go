package app

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/idle"
)

// errIdleClosed: the tray is quitting, and idle is no longer read.
var errIdleClosed = errors.New("idle is no longer read: the tray is quitting")

// desktopIdle is the tray's one reading of the desktop's idle time, shared by every Lender: opened
// once at start, closed at quit. When it cannot be opened, every read says why (the log, once).
//
// Concurrency: Run, a goroutine of the tray's owner, owns the source: it opens it, makes the reads
// asked for one at a time, and closes it once ctx ends. Nothing is locked.
type desktopIdle struct {
	log   zerolog.Logger
	open  func(ctx context.Context) (idle.Source, error) // idle.Open
	reads chan func(idle.Source)                         // a Lender's read, which Run makes
	ended chan struct{}                                  // closed once Run makes no more reads
	// why, once ended is closed: the source could not be opened, or is closed.
	why error
}

func newDesktopIdle(log zerolog.Logger, open func(ctx context.Context) (idle.Source, error)) *desktopIdle {
	return &desktopIdle{log: log.With().Str("component", "idle").Logger(), open: open, reads: make(chan func(idle.Source)),
		ended: make(chan struct{})}
}

// Run opens the source, reads it when asked, and closes it once ctx ends.
func (d *desktopIdle) Run(ctx context.Context) {
	source, err := d.open(ctx)
	if err != nil {
		d.log.Warn().Err(err).Msg("cannot tell when you are away: this computer is not lent to any farm")
		d.why = err
		close(d.ended)
		return
	}
	d.log.Info().Str("source", source.Name()).Msg("reading the desktop's idle time")
	for {
		select {
		case <-ctx.Done():
			d.why = errIdleClosed
			close(d.ended)
			if err := source.Close(); err != nil {
				d.log.Debug().Err(err).Msg("closing the idle source")
			}
			return
		case read := <-d.reads:
			read(source)
		}
	}
}

// Read returns the desktop's idle time and lock, waiting for the source to be opened; the error
// says why they cannot be read.
func (d *desktopIdle) Read(ctx context.Context) (time.Duration, bool, error) {
	var reading idle.Reading
	var err error
	done := make(chan struct{})
	select {
	case <-ctx.Done():
		return 0, false, ctx.Err()
	case <-d.ended:
		return 0, false, d.why
	case d.reads <- func(source idle.Source) { reading, err = source.Read(ctx); close(done) }:
	}
	<-done
	return reading.Idle, reading.Locked, err
}
