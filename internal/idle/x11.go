//go:build linux || freebsd || netbsd || openbsd || dragonfly

package idle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/screensaver"
	"github.com/jezek/xgb/xproto"
)

// xSource reads the X server's MIT-SCREEN-SAVER idle time through a pure-Go X client.
//
// Concurrency: mu guards asking and closed. At most one query is in flight: Reads that come while
// it is unanswered wait for the same answer, so a hung X server holds one goroutine, not one per poll.
type xSource struct {
	conn *xgb.Conn
	root xproto.Window

	mu     sync.Mutex
	asking *xQuery
	closed bool
}

// xQuery is one QueryInfo request; done is closed once idle and err are set.
type xQuery struct {
	done chan struct{}
	idle time.Duration
	err  error
}

var errXClosed = errors.New("the X server's idle time is no longer read: the source is closed")

func openX11(ctx context.Context, display string) (*xSource, error) {
	conn, err := within(ctx, func() (*xgb.Conn, error) { return xgb.NewConnDisplay(display) }, (*xgb.Conn).Close)
	if err != nil {
		return nil, fmt.Errorf("X server: %v", err) // xgb's error names the display
	}
	// One round trip, bounded by ctx too: the extension's presence is asked of the server.
	if _, err := within(ctx, func() (struct{}, error) { return struct{}{}, screensaver.Init(conn) }, func(struct{}) {}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the X server %s cannot tell idle time (no MIT-SCREEN-SAVER extension): %v", display, err)
	}
	return &xSource{conn: conn, root: xproto.Setup(conn).DefaultScreen(conn).Root}, nil
}

func (x *xSource) Name() string { return "X11 (MIT-SCREEN-SAVER)" }

// Read asks the X server, or joins the question already asked; a server that does not answer
// within ctx is an error.
func (x *xSource) Read(ctx context.Context) (Reading, error) {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return Reading{}, errXClosed
	}
	q := x.asking
	if q == nil {
		q = &xQuery{done: make(chan struct{})}
		x.asking = q
		go x.ask(q)
	}
	x.mu.Unlock()
	select {
	case <-ctx.Done():
		return Reading{}, fmt.Errorf("the X server did not say its idle time: %w", ctx.Err())
	case <-q.done:
		return Reading{Idle: q.idle}, q.err
	}
}

// ask runs one query; it ends when the server answers or the connection is closed.
func (x *xSource) ask(q *xQuery) {
	reply, err := screensaver.QueryInfo(x.conn, xproto.Drawable(x.root)).Reply()
	switch {
	case err != nil:
		q.err = fmt.Errorf("the X server's idle time: %v", err)
	case reply == nil:
		q.err = errXClosed
	default:
		q.idle = time.Duration(reply.MsSinceUserInput) * time.Millisecond
	}
	x.mu.Lock()
	x.asking = nil
	x.mu.Unlock()
	close(q.done)
}

func (x *xSource) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.closed {
		x.closed = true
		x.conn.Close() // ends a query in flight: its Reply returns io.EOF
	}
	return nil
}
