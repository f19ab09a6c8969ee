package farmstandin

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/coder/websocket"
)

// busConn is one client of the event bus.
type busConn struct {
	id            int
	since         time.Time
	ws            *websocket.Conn
	out           chan outFrame // the queue its writer sends from
	ctx           context.Context
	cancel        context.CancelFunc // closes it
	writerDone    chan struct{}
	done          chan struct{} // closed when its reader and writer have ended
	subscriptions map[string]bool
	frames, bytes int64 // written to it
}

// outFrame is a frame to send; event names the event it carries, "" for the others.
type outFrame struct {
	data  []byte
	event string
}

func newBusConn(ws *websocket.Conn) *busConn {
	// Not the request's context: the connection outlives the HTTP exchange that opened it.
	ctx, cancel := context.WithCancel(context.Background())
	return &busConn{since: time.Now(), ws: ws, out: make(chan outFrame, connQueue), ctx: ctx, cancel: cancel,
		writerDone: make(chan struct{}), done: make(chan struct{}), subscriptions: make(map[string]bool)}
}

// newSID returns an Engine.IO session id as golang-socketio draws it: 20 characters of base64url.
func newSID() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 20)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

// read takes the client's frames until the connection ends: pings ("2", answered "3") and
// subscriptions; anything else is ignored, as the Manager ignores what it has no handler for. A
// client silent for the ping timeout is gone.
func (c *busConn) read(h *eventHub) {
	for {
		ctx, cancel := context.WithTimeout(c.ctx, h.pingTimeout)
		_, data, err := c.ws.Read(ctx)
		cancel()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.stats.Received++
		switch {
		case bytes.Equal(data, []byte("2")):
			h.enqueue(c, outFrame{data: []byte("3")})
		case bytes.HasPrefix(data, []byte(`42["/subscription"`)):
			c.subscribe(data[len("42"):])
		}
		h.mu.Unlock()
	}
}

// subscribe applies a subscription request, 42["/subscription",{"type":"allJobs","op":"subscribe"}]
// ("unsubscribe" ends one). h.mu held.
func (c *busConn) subscribe(payload []byte) {
	var parts []json.RawMessage
	var req struct{ Type, Op string }
	if json.Unmarshal(payload, &parts) != nil || len(parts) < 2 || json.Unmarshal(parts[1], &req) != nil {
		return
	}
	switch req.Op {
	case "subscribe":
		c.subscriptions[req.Type] = true
	case "unsubscribe":
		delete(c.subscriptions, req.Type)
	}
}

// write sends the connection's queue, in order, until the connection ends; while the bus is stalled
// it holds what it took.
func (c *busConn) write(h *eventHub) {
	defer close(c.writerDone)
	for {
		select {
		case <-c.ctx.Done():
			return
		case frame := <-c.out:
			if !h.waitUnstalled(c.ctx) {
				return
			}
			h.sent(c, frame) // before: a client that read it finds it counted
			if err := c.ws.Write(c.ctx, websocket.MessageText, frame.data); err != nil {
				c.cancel()
				return
			}
		}
	}
}

// waitUnstalled returns when the bus is not stalled (true) or ctx ends (false).
func (h *eventHub) waitUnstalled(ctx context.Context) bool {
	h.mu.Lock()
	stalled, resume := h.stalled, h.resume
	h.mu.Unlock()
	if !stalled {
		return true
	}
	select {
	case <-resume:
		return true
	case <-ctx.Done():
		return false
	}
}
