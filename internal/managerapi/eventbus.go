package managerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// Errors of the event bus, to be told apart with errors.Is.
var (
	// ErrEventBusRefused: the Manager (or a proxy in front of it) answered the websocket upgrade
	// with another status than 101: a proxy that does not pass websockets, or a Manager that refuses.
	ErrEventBusRefused = errors.New("event bus refused")
	// ErrEventBusClosed: Close was called.
	ErrEventBusClosed = errors.New("event bus closed")
	// ErrEventBusSilent: no frame came within the time the Manager's pings allow.
	ErrEventBusSilent = errors.New("event bus silent")
)

// EventBusConfig configures DialEventBus. Zero fields take the defaults.
type EventBusConfig struct {
	// Subscriptions are the web UI's subscription types to ask for: allJobs, allWorkers,
	// allLastRendered. /status events come without one.
	Subscriptions []string
	// HandshakeTimeout bounds connecting, the websocket upgrade and the Engine.IO handshake: 10 s.
	HandshakeTimeout time.Duration
	// MaxFrameBytes bounds one frame (a job update is 300 bytes): 1 MiB; a larger one ends the
	// connection.
	MaxFrameBytes int64
	// PingEvery is how often the client pings: the Manager's pingInterval, at most 15 s, so that a
	// Manager whose machine vanished without closing the connection is noticed within PingEvery+10 s.
	PingEvery time.Duration
	// PongWait is how long after a ping any frame must come: 10 s.
	PongWait time.Duration
	Logger   zerolog.Logger
	// HTTPClient dials the websocket; default: no proxy (a LAN Manager is never reached through the
	// user's HTTP proxy).
	HTTPClient *http.Client
}

// writeTimeout bounds one frame's write.
const writeTimeout = 10 * time.Second

func (c EventBusConfig) withDefaults() EventBusConfig {
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.PongWait <= 0 {
		c.PongWait = 10 * time.Second
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 1 << 20
	}
	if c.HTTPClient == nil {
		c.HTTPClient = NewHTTPClient(c.HandshakeTimeout)
	}
	return c
}

// EventBus is one connection to a Manager's event bus. Next is called from one goroutine; Close and
// Stats from any.
type EventBus struct {
	conn      *websocket.Conn
	log       zerolog.Logger
	idle      time.Duration // no frame for this long: the connection is dead
	stopPing  context.CancelFunc
	pingDone  chan struct{}
	closed    atomic.Bool
	closeOnce sync.Once
	malformed atomic.Int64
	stats     eventBusCounters
}

// EventBusStats counts what went over one connection.
type EventBusStats struct {
	FramesIn, BytesIn, FramesOut, BytesOut int64
	Events                                 map[string]int64 // received, by event name
	Malformed                              int64            // frames and events skipped
}

type eventBusCounters struct {
	mu    sync.Mutex
	stats EventBusStats
}

func (c *eventBusCounters) add(in bool, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if in {
		c.stats.FramesIn++
		c.stats.BytesIn += int64(n)
	} else {
		c.stats.FramesOut++
		c.stats.BytesOut += int64(n)
	}
}

func (c *eventBusCounters) countEvent(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats.Events == nil {
		c.stats.Events = make(map[string]int64)
	}
	c.stats.Events[name]++
}

// DialEventBus connects to the event bus of the Manager at base, completes the handshake and
// subscribes. A non-101 answer to the upgrade matches ErrEventBusRefused.
func DialEventBus(ctx context.Context, base *url.URL, cfg EventBusConfig) (*EventBus, error) {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	endpoint := EventBusURL(base)
	conn, resp, err := websocket.Dial(ctx, endpoint, &websocket.DialOptions{HTTPClient: cfg.HTTPClient})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, fmt.Errorf("%w: %s answered %s", ErrEventBusRefused, endpoint, resp.Status)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("event bus %s: no handshake within %v: %w", endpoint, cfg.HandshakeTimeout, err)
		}
		return nil, fmt.Errorf("event bus %s: %w", endpoint, err)
	}
	conn.SetReadLimit(cfg.MaxFrameBytes)
	b := &EventBus{conn: conn, log: cfg.Logger.With().Str("component", "event-bus").Str("manager", base.String()).Logger()}
	open, err := b.handshake(ctx, cfg.Subscriptions)
	if err != nil {
		conn.Close(websocket.StatusProtocolError, "handshake")
		return nil, fmt.Errorf("event bus %s: %w", endpoint, err)
	}
	pingEvery := cfg.PingEvery
	if pingEvery <= 0 {
		pingEvery = min(max(time.Duration(open.PingInterval)*time.Millisecond, time.Second), 15*time.Second)
	}
	b.idle = pingEvery + cfg.PongWait
	pingCtx, stop := context.WithCancel(context.Background())
	b.stopPing, b.pingDone = stop, make(chan struct{})
	go b.ping(pingCtx, pingEvery)
	return b, nil
}

// handshake reads the open packet and the Socket.IO connect, then subscribes.
func (b *EventBus) handshake(ctx context.Context, subscriptions []string) (openPacket, error) {
	var open openPacket
	f, err := b.readFrame(ctx)
	if err != nil {
		return open, err
	}
	if f.Packet != PacketOpen {
		return open, fmt.Errorf("%w: the first frame is not an open packet", ErrBadFrame)
	}
	if err := json.Unmarshal(f.Payload, &open); err != nil {
		return open, fmt.Errorf("%w: open packet: %v", ErrBadFrame, err)
	}
	if f, err = b.readFrame(ctx); err != nil {
		return open, err
	}
	if f.Packet != PacketMessage || f.Message != MessageConnect {
		return open, fmt.Errorf("%w: no Socket.IO connect after the open packet", ErrBadFrame)
	}
	for _, kind := range subscriptions {
		if err := b.write(ctx, subscriptionFrame(kind, "subscribe")); err != nil {
			return open, fmt.Errorf("subscribe to %s: %w", kind, err)
		}
	}
	return open, nil
}

// readFrame reads and parses one frame.
func (b *EventBus) readFrame(ctx context.Context) (Frame, error) {
	typ, data, err := b.conn.Read(ctx)
	if err != nil {
		return Frame{}, err
	}
	b.stats.add(true, len(data))
	if typ != websocket.MessageText {
		return Frame{}, fmt.Errorf("%w: a binary frame", ErrBadFrame)
	}
	return ParseFrame(data)
}

func (b *EventBus) write(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := b.conn.Write(ctx, websocket.MessageText, frame); err != nil {
		return err
	}
	b.stats.add(false, len(frame))
	return nil
}

// ping sends an Engine.IO ping every interval until stopped or a write fails (which ends the
// connection, and so Next).
func (b *EventBus) ping(ctx context.Context, every time.Duration) {
	defer close(b.pingDone)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if err := b.write(ctx, framePing); err != nil {
				if ctx.Err() == nil {
					b.conn.CloseNow()
				}
				return
			}
		}
	}
}

// Next returns the next /jobs, /workers or /status event, answering pings meanwhile. Frames and
// events that do not parse are logged and skipped. It fails when the connection ends: ctx done,
// Close (ErrEventBusClosed), the Manager closing it, or silence longer than its pings allow
// (ErrEventBusSilent). A failed EventBus stays failed.
func (b *EventBus) Next(ctx context.Context) (BusEvent, error) {
	for {
		readCtx, cancel := context.WithTimeout(ctx, b.idle)
		f, err := b.readFrame(readCtx)
		timedOut := readCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, ErrBadFrame):
			b.skip(err)
			continue
		case b.closed.Load():
			return BusEvent{}, ErrEventBusClosed
		case timedOut:
			return BusEvent{}, fmt.Errorf("%w: no frame for %v", ErrEventBusSilent, b.idle)
		default:
			return BusEvent{}, fmt.Errorf("event bus: %w", err)
		}
		if e, done, err := b.handle(ctx, f); err != nil || done {
			return e, err
		}
	}
}

// handle acts on one frame; done says it is an event for the caller.
func (b *EventBus) handle(ctx context.Context, f Frame) (BusEvent, bool, error) {
	switch f.Packet {
	case PacketPing:
		return BusEvent{}, false, b.write(ctx, framePong)
	case PacketClose:
		return BusEvent{}, false, errors.New("event bus: the Manager closed the connection")
	case PacketMessage:
	default:
		return BusEvent{}, false, nil
	}
	switch f.Message {
	case MessageDisconnect:
		return BusEvent{}, false, errors.New("event bus: the Manager disconnected")
	case MessageError:
		b.log.Warn().RawJSON("error", f.Payload).Msg("the event bus sent an error")
		return BusEvent{}, false, nil
	case MessageEvent:
	default:
		return BusEvent{}, false, nil
	}
	e, err := decodeEvent(f.Event, f.Payload)
	if err != nil {
		b.skip(err)
		return BusEvent{}, false, nil
	}
	if e.Job == nil && e.Worker == nil && e.Farm == nil {
		return BusEvent{}, false, nil // an event this program does not use (/last-rendered, …)
	}
	b.stats.countEvent(f.Event)
	return e, true, nil
}

// skip logs a frame that could not be used: the first one of a connection at Warn, the rest at Debug.
func (b *EventBus) skip(err error) {
	n := b.malformed.Add(1)
	level := b.log.Debug()
	if n == 1 {
		level = b.log.Warn()
	}
	level.Err(err).Int64("skipped", n).Msg("skipping an event-bus frame")
}

// Close ends the connection and stops the pinger. Safe to call twice and while Next waits.
func (b *EventBus) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.stopPing()
		b.conn.CloseNow()
		<-b.pingDone
	})
	return nil
}

// Stats returns what went over the connection so far.
func (b *EventBus) Stats() EventBusStats {
	b.stats.mu.Lock()
	defer b.stats.mu.Unlock()
	s := b.stats.stats
	s.Events = make(map[string]int64, len(b.stats.stats.Events))
	for k, v := range b.stats.stats.Events {
		s.Events[k] = v
	}
	s.Malformed = b.malformed.Load()
	return s
}
