//go:build linux || freebsd || netbsd || openbsd || dragonfly

package idle

import (
	"context"
	"fmt"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/screensaver"
	"github.com/jezek/xgb/xproto"
)

// xSource reads the X server's MIT-SCREEN-SAVER idle time through a pure-Go X client.
type xSource struct {
	conn *xgb.Conn
	root xproto.Window
}

func openX11(display string) (*xSource, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the X server %s: %v", display, err)
	}
	if err := screensaver.Init(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the X server %s has no MIT-SCREEN-SAVER extension: %v", display, err)
	}
	return &xSource{conn: conn, root: xproto.Setup(conn).DefaultScreen(conn).Root}, nil
}

func (x *xSource) Name() string { return "X11 (MIT-SCREEN-SAVER)" }

// Read asks the X server; a server that does not answer within ctx is an error (the request's
// goroutine ends when the answer comes, or when Close closes the connection).
func (x *xSource) Read(ctx context.Context) (Reading, error) {
	type answer struct {
		reply *screensaver.QueryInfoReply
		err   error
	}
	answers := make(chan answer, 1)
	go func() {
		reply, err := screensaver.QueryInfo(x.conn, xproto.Drawable(x.root)).Reply()
		answers <- answer{reply, err}
	}()
	select {
	case <-ctx.Done():
		return Reading{}, fmt.Errorf("the X server did not say its idle time: %w", ctx.Err())
	case a := <-answers:
		if a.err != nil {
			return Reading{}, fmt.Errorf("the X server's idle time: %v", a.err)
		}
		if a.reply == nil {
			return Reading{}, fmt.Errorf("the X server's idle time: the connection is closed")
		}
		return Reading{Idle: time.Duration(a.reply.MsSinceUserInput) * time.Millisecond}, nil
	}
}

func (x *xSource) Close() error {
	x.conn.Close()
	return nil
}
