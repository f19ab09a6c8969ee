package farmstandin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The stand-in's event bus: Socket.IO 2 over Engine.IO 3 on a websocket at /socket.io/, as Flamenco's
// Manager serves it with github.com/graarh/golang-socketio (see testdata/flamenco-api/*/socketio.txt):
// the open packet, "40", subscriptions by type, "/jobs" updates to allJobs subscribers, "/workers" to
// allWorkers subscribers at every change and check-in, "/status" to every client (3.5+). Like that
// library, each connection has a queue of 500 frames and is closed when it overflows.

// connQueue is golang-socketio's per-connection queue (queueBufferSize).
const connQueue = 500

// eventHub holds the event bus's connections. Its own lock, never held while f.mu is wanted.
type eventHub struct {
	mu          sync.Mutex
	conns       map[*busConn]struct{}
	refuse      int  // an HTTP status to answer the upgrade with, 0 to accept
	stalled     bool // send nothing, answer no ping
	ping        [2]int
	stats       EventBusStats
	nextConnNum int
}

type busConn struct {
	num           int
	ws            *websocket.Conn
	out           chan []byte
	subscriptions map[string]bool
	cancel        context.CancelFunc
	frames        int64
}

// EventBusStats counts what the stand-in's event bus did.
type EventBusStats struct {
	Open, Total       int              // connections open now, and since the start
	Subscriptions     map[string]int   // open connections subscribed, by type
	Frames, Bytes     int64            // sent, all connections
	FramesByEvent     map[string]int64 // sent, by event name ("/jobs"), all connections
	FramesPerConn     []int64          // sent to each open connection
	Overflows         int              // connections closed because their queue overflowed
	Refused, Received int              // upgrades refused; frames received from clients
}

func newEventHub() *eventHub {
	return &eventHub{conns: make(map[*busConn]struct{}), ping: [2]int{30000, 60000}}
}

// WithEventBusPing makes the open packet announce these ping interval and timeout (default 30 s
// and 60 s, as captured).
func WithEventBusPing(interval, timeout time.Duration) Option {
	return func(f *Farm) { f.hub.ping = [2]int{int(interval.Milliseconds()), int(timeout.Milliseconds())} }
}

// serveEventBus is GET /socket.io/?EIO=3&transport=websocket.
func (f *Farm) serveEventBus(w http.ResponseWriter, r *http.Request) {
	h := f.hub
	h.mu.Lock()
	refuse := h.refuse
	if refuse != 0 {
		h.stats.Refused++
	}
	h.mu.Unlock()
	if refuse != 0 {
		http.Error(w, http.StatusText(refuse), refuse)
		return
	}
	if r.URL.Query().Get("EIO") != "3" || r.URL.Query().Get("transport") != "websocket" {
		http.Error(w, "unsupported transport", http.StatusBadRequest)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &busConn{ws: ws, out: make(chan []byte, connQueue), subscriptions: map[string]bool{}, cancel: cancel}
	h.add(c)
	defer h.remove(c)
	open, _ := json.Marshal(struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int      `json:"pingInterval"`
		PingTimeout  int      `json:"pingTimeout"`
	}{newSID(), []string{}, h.ping[0], h.ping[1]})
	h.queue(c, append([]byte("0"), open...))
	h.queue(c, []byte("40"))
	go c.write(ctx, h)
	c.read(ctx, h)
	cancel()
	ws.CloseNow()
}

func newSID() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 20)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

func (h *eventHub) add(c *busConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextConnNum++
	c.num = h.nextConnNum
	h.conns[c] = struct{}{}
	h.stats.Total++
}

func (h *eventHub) remove(c *busConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
}

// read takes the client's frames: pings and subscriptions.
func (c *busConn) read(ctx context.Context, h *eventHub) {
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		h.mu.Lock()
		h.stats.Received++
		stalled := h.stalled
		h.mu.Unlock()
		switch {
		case bytes.Equal(data, []byte("2")):
			if !stalled {
				h.queue(c, []byte("3"))
			}
		case bytes.HasPrefix(data, []byte(`42["/subscription"`)):
			c.subscribe(h, data[2:])
		}
	}
}

func (c *busConn) subscribe(h *eventHub, payload []byte) {
	var parts []json.RawMessage
	var req struct{ Type, Op string }
	if json.Unmarshal(payload, &parts) != nil || len(parts) < 2 || json.Unmarshal(parts[1], &req) != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c.subscriptions[req.Type] = req.Op == "subscribe"
}

// write sends the connection's queue until it ends.
func (c *busConn) write(ctx context.Context, h *eventHub) {
	for {
		select {
		case <-ctx.Done():
			return
		case frame := <-c.out:
			if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
				c.cancel()
				return
			}
		}
	}
}

// queue puts a frame on a connection's queue; one that overflows is closed, as golang-socketio does.
func (h *eventHub) queue(c *busConn, frame []byte) {
	select {
	case c.out <- frame:
		h.mu.Lock()
		c.frames++
		h.stats.Frames++
		h.stats.Bytes += int64(len(frame))
		h.mu.Unlock()
	default:
		h.mu.Lock()
		h.stats.Overflows++
		h.mu.Unlock()
		c.cancel()
		c.ws.CloseNow()
	}
}

// broadcast sends an event to the connections subscribed to subscription ("" for every one).
func (h *eventHub) broadcast(subscription, event string, payload any) {
	body, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("stand-in event %s: %v", event, err)) // the stand-in's own types: a bug here
	}
	frame := append([]byte(`42["`+event+`",`), append(body, ']')...)
	h.mu.Lock()
	if h.stalled {
		h.mu.Unlock()
		return
	}
	var to []*busConn
	for c := range h.conns {
		if subscription == "" || c.subscriptions[subscription] {
			to = append(to, c)
		}
	}
	if h.stats.FramesByEvent == nil {
		h.stats.FramesByEvent = map[string]int64{}
	}
	h.stats.FramesByEvent[event] += int64(len(to))
	h.mu.Unlock()
	for _, c := range to {
		h.queue(c, frame)
	}
}

// closeAll drops every connection at once.
func (h *eventHub) closeAll() {
	h.mu.Lock()
	conns := make([]*busConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.cancel()
		c.ws.CloseNow()
	}
}

// DropEventBus closes every event-bus connection at once, as a network drop or a crash does.
func (f *Farm) DropEventBus() { f.hub.closeAll() }

// RefuseEventBus makes the websocket upgrade answer status (400, 502: a proxy that does not pass
// websockets, a Manager that refuses); 0 accepts again. Open connections stay.
func (f *Farm) RefuseEventBus(status int) {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	f.hub.refuse = status
}

// StallEventBus makes the event bus send nothing, pongs included, without closing (a half-dead
// connection), or resume.
func (f *Farm) StallEventBus(stalled bool) {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	f.hub.stalled = stalled
}

// SendRawFrame sends frame as it is to every connection (malformed frames, other events).
func (f *Farm) SendRawFrame(frame string) {
	f.hub.mu.Lock()
	conns := make([]*busConn, 0, len(f.hub.conns))
	for c := range f.hub.conns {
		conns = append(conns, c)
	}
	f.hub.mu.Unlock()
	for _, c := range conns {
		f.hub.queue(c, []byte(frame))
	}
}

// EventBusStats returns the event bus's counts so far.
func (f *Farm) EventBusStats() EventBusStats {
	h := f.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stats
	s.Open = len(h.conns)
	s.Subscriptions = map[string]int{}
	s.FramesByEvent = map[string]int64{}
	for k, v := range h.stats.FramesByEvent {
		s.FramesByEvent[k] = v
	}
	for c := range h.conns {
		s.FramesPerConn = append(s.FramesPerConn, c.frames)
		for kind, on := range c.subscriptions {
			if on {
				s.Subscriptions[kind]++
			}
		}
	}
	return s
}
