package farmstandin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The stand-in's event bus: Socket.IO 2 over Engine.IO 3 on a websocket at /socket.io/, as Flamenco's
// Manager serves it with github.com/graarh/golang-socketio (testdata/flamenco-api/*/socketio.txt):
// the open packet, "40", subscriptions by type, "/jobs" updates to allJobs subscribers, "/workers"
// to allWorkers subscribers at every change and check-in, "/status" to every client (3.5+), pings
// answered. Like that library, each connection has a queue of 500 frames and is closed when it
// overflows, and one that sends nothing for the ping timeout is closed. Each connection has two
// goroutines: its reader (the HTTP handler's) and its writer (eventbus_conn.go).

// connQueue is golang-socketio's per-connection queue (queueBufferSize).
const connQueue = 500

// eventHub holds the event bus's connections. Its lock is taken after f.mu, never before.
type eventHub struct {
	mu           sync.Mutex
	conns        map[*busConn]struct{}
	refuse       int           // an HTTP status to answer the upgrade with, 0 to accept
	stalled      bool          // the writers send nothing until resumed
	resume       chan struct{} // closed when a stall ends
	pingInterval time.Duration
	pingTimeout  time.Duration
	stats        EventBusStats // the totals; the rest is counted when asked
	lastID       int
}

// EventBusStats counts what the stand-in's event bus did.
type EventBusStats struct {
	Open, Total       int              // connections open now, and since the Farm was made
	Subscriptions     map[string]int   // open connections subscribed, by type ("allJobs")
	Frames, Bytes     int64            // frames written to clients (the handshake's and pongs included), and their bytes
	FramesByEvent     map[string]int64 // event frames written, by event name ("/jobs")
	Conns             []ConnStats      // the open connections, oldest first
	Overflows         int              // connections closed because their queue overflowed
	Refused, Received int              // upgrades refused; frames received from clients
}

// ConnStats counts what one event-bus connection was sent, for rates per client (a tray).
type ConnStats struct {
	ID            int       // from 1, in the order of connection
	Since         time.Time // when it connected, by the wall clock (rates are real)
	Frames, Bytes int64     // written to it
	Subscriptions []string  // its subscriptions now, sorted
}

func newEventHub() *eventHub {
	return &eventHub{conns: make(map[*busConn]struct{}), pingInterval: 30 * time.Second, pingTimeout: 60 * time.Second}
}

// WithEventBusPing makes the open packet announce these ping interval and timeout (default 30 s and
// 60 s, as captured); a connection that sends nothing for the timeout is closed, as golang-socketio
// closes one whose read times out.
func WithEventBusPing(interval, timeout time.Duration) Option {
	return func(f *Farm) { f.hub.pingInterval, f.hub.pingTimeout = interval, timeout }
}

// serveEventBus is GET /socket.io/?EIO=3&transport=websocket: the upgrade, then the connection until
// it ends.
func (f *Farm) serveEventBus(w http.ResponseWriter, r *http.Request) {
	h := f.hub
	if status := h.refusal(); status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if reason := upgradeFailure(r); reason != "" {
		serveUpgradeFailed(w, reason) // eventbus_upgrade.go: what a proxy without websocket headers gets
		return
	}
	if q := r.URL.Query(); q.Get("EIO") != "3" || q.Get("transport") != "websocket" {
		// golang-socketio serves Engine.IO 3 over websockets only: no long polling.
		http.Error(w, "unsupported transport", http.StatusBadRequest)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	c := h.open(ws)
	go c.write(h)
	c.read(h)
	h.closeConn(c)
	ws.CloseNow()
	<-c.writerDone
	close(c.done)
}

func (h *eventHub) refusal() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refuse != 0 {
		h.stats.Refused++
	}
	return h.refuse
}

// open registers a new connection and queues the handshake: the open packet (a 20-character sid,
// the ping interval and timeout) and the namespace's connect, "40".
func (h *eventHub) open(ws *websocket.Conn) *busConn {
	c := newBusConn(ws)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastID++
	c.id = h.lastID
	h.conns[c] = struct{}{}
	h.stats.Total++
	handshake, _ := json.Marshal(struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
	}{newSID(), []string{}, h.pingInterval.Milliseconds(), h.pingTimeout.Milliseconds()})
	h.enqueue(c, outFrame{data: append([]byte("0"), handshake...)})
	h.enqueue(c, outFrame{data: []byte("40")})
	return c
}

// broadcast sends an event to the open connections subscribed to subscription ("": every one).
// Called with f.mu held, so that every connection gets the farm's events in the order they happened.
func (h *eventHub) broadcast(subscription, event string, payload any) {
	h.deliver(subscription, event, payload, false)
}

// deliver queues an event for the connections subscribed. A connection whose queue is full is closed,
// unless wait: then deliver waits for room (not while the bus is stalled).
func (h *eventHub) deliver(subscription, event string, payload any, wait bool) {
	h.mu.Lock()
	none := len(h.conns) == 0
	h.mu.Unlock()
	if none {
		return // most changes of a farm made before a client connects
	}
	body, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("stand-in event %s: %v", event, err)) // the stand-in's own types: a bug here
	}
	frame := outFrame{data: eventFrame(event, body), event: event}
	h.mu.Lock()
	var full []*busConn
	for c := range h.conns {
		if subscription != "" && !c.subscriptions[subscription] {
			continue
		}
		if wait && !h.stalled && len(c.out) == cap(c.out) {
			full = append(full, c)
			continue
		}
		h.enqueue(c, frame)
	}
	h.mu.Unlock()
	for _, c := range full {
		select {
		case c.out <- frame:
		case <-c.ctx.Done():
		}
	}
}

// enqueue puts a frame on a connection's queue; one that overflows is closed, as golang-socketio
// does. h.mu held.
func (h *eventHub) enqueue(c *busConn, frame outFrame) {
	if c.ctx.Err() != nil {
		return
	}
	select {
	case c.out <- frame:
	default:
		h.stats.Overflows++
		h.closeLocked(c)
	}
}

// closeConn closes a connection: its goroutines end, and it gets nothing more.
func (h *eventHub) closeConn(c *busConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closeLocked(c)
}

// closeLocked must be called with h.mu held. Canceling the connection's context makes the websocket
// library close the socket under a pending read or write.
func (h *eventHub) closeLocked(c *busConn) {
	delete(h.conns, c)
	c.cancel()
}

// sent counts a frame written to a connection (as its writing starts).
func (h *eventHub) sent(c *busConn, frame outFrame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c.frames++
	c.bytes += int64(len(frame.data))
	h.stats.Frames++
	h.stats.Bytes += int64(len(frame.data))
	if frame.event != "" {
		if h.stats.FramesByEvent == nil {
			h.stats.FramesByEvent = make(map[string]int64)
		}
		h.stats.FramesByEvent[frame.event]++
	}
}

// DropEventBus closes every event-bus connection at once, as a network drop or a crash of the
// Manager does, and returns when their goroutines have ended. Server.Down does it too: an
// http.Server's Close leaves hijacked connections, websockets, open.
func (f *Farm) DropEventBus() {
	h := f.hub
	h.mu.Lock()
	conns := make([]*busConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
		h.closeLocked(c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.ws.CloseNow()
		<-c.done
	}
}

// RefuseEventBus makes the websocket upgrade answer status (502: a proxy that cannot reach the
// Manager; 403: one that forbids websockets); 0 accepts again. Open connections stay. A proxy that
// forwards the upgrade without its headers needs no knob: the Manager refuses the plain GET it gets
// with 503, as golang-socketio does (eventbus_upgrade.go; internal/testkit/proxystandin is that proxy).
func (f *Farm) RefuseEventBus(status int) {
	f.hub.mu.Lock()
	defer f.hub.mu.Unlock()
	f.hub.refuse = status
}

// StallEventBus(true) makes the event bus send nothing, pongs included, without closing (a half-dead
// connection): frames wait in the queues, which overflow as they would; StallEventBus(false)
// resumes, sending what waited.
func (f *Farm) StallEventBus(stalled bool) {
	h := f.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case stalled && !h.stalled:
		h.resume = make(chan struct{})
	case !stalled && h.stalled:
		close(h.resume)
	}
	h.stalled = stalled
}

// SendRawFrame sends frame as it is to every connection, subscribed or not (malformed frames, events
// the stand-in does not make).
func (f *Farm) SendRawFrame(frame string) {
	h := f.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		h.enqueue(c, outFrame{data: []byte(frame)})
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
		cs := ConnStats{ID: c.id, Since: c.since, Frames: c.frames, Bytes: c.bytes}
		for kind, on := range c.subscriptions {
			if on {
				s.Subscriptions[kind]++
				cs.Subscriptions = append(cs.Subscriptions, kind)
			}
		}
		slices.Sort(cs.Subscriptions)
		s.Conns = append(s.Conns, cs)
	}
	slices.SortFunc(s.Conns, func(a, b ConnStats) int { return a.ID - b.ID })
	return s
}
