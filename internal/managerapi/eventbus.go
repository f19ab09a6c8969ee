package managerapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// Errors of the event bus, to be told apart with errors.Is. Dial errors that are none of these are
// network errors (errors.As *net.OpError, *net.DNSError) and match ErrEventBusUnreachable.
var (
	// ErrEventBusRefused: the websocket upgrade was answered with another status than 101: a proxy
	// that does not pass websockets, or a Manager that refuses it. The error names the status.
	ErrEventBusRefused = errors.New("event bus refused")
	// ErrEventBusUnreachable: the Manager could not be reached (connection refused, no route, DNS).
	ErrEventBusUnreachable = errors.New("event bus unreachable")
	// ErrEventBusTimeout: the connection, the upgrade, the open packet and the Socket.IO connect did
	// not all come within 10 s.
	ErrEventBusTimeout = errors.New("event bus handshake timed out")
	// ErrEventBusProtocol: the server upgraded to a websocket but does not speak Engine.IO 3 the way
	// the Manager does (the first frame is not an open packet, no Socket.IO connect). Also matches
	// ErrBadFrame when a frame was malformed.
	ErrEventBusProtocol = errors.New("event bus protocol error")
	// ErrEventBusClosed: Close was called.
	ErrEventBusClosed = errors.New("event bus closed")
	// ErrEventBusSilent: no frame at all, not even a pong, within PingEvery plus PongWait.
	ErrEventBusSilent = errors.New("event bus silent")
	// ErrEventBusEnded: the Manager ended the connection (a websocket close, an Engine.IO close or a
	// Socket.IO disconnect).
	ErrEventBusEnded = errors.New("event bus ended by the Manager")
	// ErrEventBusFrameTooLarge: a frame was larger than 1 MiB; the connection is closed.
	ErrEventBusFrameTooLarge = errors.New("event bus frame too large")
)

// EventBusConfig configures DialEventBus.
type EventBusConfig struct {
	// Subscriptions are the web UI's subscription types to ask for: allJobs, allLastRendered (or
	// allWorkers, whose events are skipped). /status events come without one.
	Subscriptions []string
	// Logger receives the skipped frames and the Manager's Socket.IO errors.
	Logger zerolog.Logger
	// PingEvery and PongWait, both required, are the client's ping interval and how long a pong may
	// take. The open packet's (30 s and 60 s) are not used: they would notice a vanished Manager late.
	PingEvery, PongWait time.Duration
}

// The limits of a connection.
const (
	// handshakeTimeout bounds the TCP connection, the websocket upgrade, the open packet and the
	// Socket.IO connect ("40").
	handshakeTimeout = 10 * time.Second
	// maxBusFrameBytes bounds one frame (a job update is some 400 bytes). A larger frame ends the
	// connection with ErrEventBusFrameTooLarge.
	maxBusFrameBytes = 1 << 20
	// writeTimeout bounds one write (a ping, a pong, a subscription).
	writeTimeout = 10 * time.Second
)

// eventBusHTTPClient is NewHTTPClient's without keep-alives: the one request of a dial either becomes
// the websocket or fails, and an idle connection left in a transport of its own would never be reused.
func eventBusHTTPClient() *http.Client {
	hc := NewHTTPClient(handshakeTimeout)
	transport := hc.Transport.(*http.Transport)
	// The handshake's deadline, not the transport's, bounds the upgrade's answer: its error says so.
	transport.DisableKeepAlives, transport.ResponseHeaderTimeout = true, 0
	return hc
}

// EventBus is one connection to a Manager's event bus. Next is called from one goroutine at a time;
// Close from any.
type EventBus struct {
	conn     *websocket.Conn
	endpoint string
	log      zerolog.Logger
	skipped  int64 // frames skipped so far (Next's goroutine only)
	// idle is how long the connection may stay without a frame: the ping interval plus the timeout.
	idle time.Duration

	stopPing  context.CancelFunc
	pingDone  chan struct{}
	pingErr   atomic.Pointer[error] // why the pinger ended the connection
	closed    atomic.Bool
	closeOnce sync.Once
	failure   error // Next's error once the connection ended: Next keeps returning it
}

// DialEventBus connects to the event bus of the Manager at base, completes the Engine.IO and
// Socket.IO handshakes, subscribes to cfg.Subscriptions and starts pinging every cfg.PingEvery.
// Its errors match ErrEventBusRefused, ErrEventBusUnreachable, ErrEventBusTimeout or
// ErrEventBusProtocol, or ctx's error.
func DialEventBus(ctx context.Context, base *url.URL, cfg EventBusConfig) (*EventBus, error) {
	if base == nil || cfg.PingEvery <= 0 || cfg.PongWait <= 0 {
		return nil, errors.New("event bus: no Manager URL or no ping interval")
	}
	endpoint := EventBusURL(base)
	handshakeCtx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(handshakeCtx, endpoint, &websocket.DialOptions{HTTPClient: eventBusHTTPClient()})
	if err != nil {
		return nil, dialError(ctx, handshakeCtx, endpoint, resp, err)
	}
	conn.SetReadLimit(maxBusFrameBytes)
	b := &EventBus{
		conn:     conn,
		endpoint: endpoint,
		log:      cfg.Logger.With().Str("component", "event-bus").Str("manager", base.String()).Logger(),
	}
	if err := b.handshake(handshakeCtx, cfg.Subscriptions); err != nil {
		conn.CloseNow()
		return nil, handshakeError(ctx, handshakeCtx, endpoint, err)
	}
	b.idle = cfg.PingEvery + cfg.PongWait
	pingCtx, stop := context.WithCancel(context.Background())
	b.stopPing, b.pingDone = stop, make(chan struct{})
	go b.ping(pingCtx, cfg.PingEvery)
	return b, nil
}

// dialError says why the websocket could not be opened.
func dialError(ctx, handshakeCtx context.Context, endpoint string, resp *http.Response, err error) error {
	switch {
	case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
		return fmt.Errorf("%w: %s answered the websocket upgrade with %s%s", ErrEventBusRefused, endpoint, resp.Status, bodyExcerpt(resp))
	case resp != nil:
		return fmt.Errorf("%w: %s: bad websocket upgrade: %w", ErrEventBusProtocol, endpoint, err)
	case ctx.Err() != nil:
		return fmt.Errorf("event bus %s: %w", endpoint, ctx.Err())
	case handshakeCtx.Err() != nil:
		return fmt.Errorf("%w: %s: no handshake within %v: %w", ErrEventBusTimeout, endpoint, handshakeTimeout, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrEventBusUnreachable, endpoint, err)
}

// bodyExcerpt is the start of a refusal's body (coder/websocket keeps its first KiB), to tell a
// proxy's page from the Manager's answer.
func bodyExcerpt(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if text := CleanText(string(body), 80); text != "" {
		return ": " + text
	}
	return ""
}

// handshakeError says why the Engine.IO handshake failed after the upgrade.
func handshakeError(ctx, handshakeCtx context.Context, endpoint string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("event bus %s: %w", endpoint, ctx.Err())
	case handshakeCtx.Err() != nil:
		return fmt.Errorf("%w: %s: no handshake within %v: %w", ErrEventBusTimeout, endpoint, handshakeTimeout, err)
	case errors.Is(err, ErrEventBusProtocol):
		return fmt.Errorf("event bus %s: %w", endpoint, err)
	}
	return fmt.Errorf("%w: %s: the connection ended during the handshake: %w", ErrEventBusProtocol, endpoint, err)
}

// handshake reads the open packet and the Socket.IO connect, then subscribes.
func (b *EventBus) handshake(ctx context.Context, subscriptions []string) error {
	f, err := b.readHandshakeFrame(ctx)
	if err != nil {
		return err
	}
	if f.Packet != PacketOpen {
		return fmt.Errorf("%w: the first frame is packet %q, not an Engine.IO open packet", ErrEventBusProtocol, byte(f.Packet))
	}
	// Its settings go unused (the client pings at its own pace), but a Manager that garbles them
	// speaks no Engine.IO the tray knows.
	var open struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
	}
	if err := unmarshalObject(f.Payload, &open); err != nil {
		return fmt.Errorf("%w: %w: open packet: %v", ErrEventBusProtocol, ErrBadFrame, err)
	}
	if f, err = b.readHandshakeFrame(ctx); err != nil {
		return err
	}
	if f.Packet != PacketMessage || f.Message != MessageConnect {
		return fmt.Errorf("%w: no Socket.IO connect (40) after the open packet", ErrEventBusProtocol)
	}
	for _, kind := range subscriptions {
		if err := b.write(ctx, subscriptionFrame(kind, "subscribe")); err != nil {
			return fmt.Errorf("subscribe to %s: %w", kind, err)
		}
	}
	return nil
}

// readHandshakeFrame reads one frame of the handshake, where anything malformed is fatal.
func (b *EventBus) readHandshakeFrame(ctx context.Context) (Frame, error) {
	typ, data, err := b.conn.Read(ctx)
	if err != nil {
		return Frame{}, err
	}
	if typ != websocket.MessageText {
		return Frame{}, fmt.Errorf("%w: %w: a binary frame", ErrEventBusProtocol, ErrBadFrame)
	}
	f, err := ParseFrame(data)
	if err != nil {
		return Frame{}, fmt.Errorf("%w: %w", ErrEventBusProtocol, err)
	}
	return f, nil
}

// write sends one text frame within writeTimeout. coder/websocket's Write is safe to call from the
// pinger and from Next at once.
func (b *EventBus) write(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return b.conn.Write(ctx, websocket.MessageText, frame)
}

// ping sends an Engine.IO ping every interval until stopped. A failed write ends the connection (and
// so Next, which reports why).
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
					b.pingErr.Store(&err)
					b.conn.CloseNow()
				}
				return
			}
		}
	}
}

// Next returns the next /jobs, /status or /last-rendered event, answering the Manager's pings
// meanwhile. Frames that do not parse and events whose argument is not valid are logged and skipped;
// other events (/workers, /task, …) are skipped silently. Next fails when the connection ends: ctx
// done (which closes the connection), Close (ErrEventBusClosed), the Manager ending it
// (ErrEventBusEnded), silence longer than the pings allow (ErrEventBusSilent), a frame over the limit
// (ErrEventBusFrameTooLarge), or a network error; after that it keeps failing with the same error.
func (b *EventBus) Next(ctx context.Context) (BusEvent, error) {
	if b.failure != nil {
		return BusEvent{}, b.failure
	}
	for {
		e, err := b.nextFrame(ctx)
		if err != nil {
			b.failure = err
			b.stopPing()
			b.conn.CloseNow()
			return BusEvent{}, err
		}
		if e != (BusEvent{}) {
			return e, nil
		}
	}
}

// nextFrame reads and handles one frame; it returns the event it carried, if the caller wants it.
func (b *EventBus) nextFrame(ctx context.Context) (BusEvent, error) {
	readCtx, cancel := context.WithTimeout(ctx, b.idle)
	typ, data, err := b.conn.Read(readCtx)
	silent := readCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	cancel()
	if err != nil {
		return BusEvent{}, b.readError(ctx, silent, err)
	}
	if typ != websocket.MessageText {
		b.skip(fmt.Errorf("%w: a binary frame", ErrBadFrame), nil)
		return BusEvent{}, nil
	}
	f, err := ParseFrame(data)
	if err != nil {
		b.skip(err, data)
		return BusEvent{}, nil
	}
	return b.handle(ctx, f, data)
}

// readError says why the connection ended.
func (b *EventBus) readError(ctx context.Context, silent bool, err error) error {
	switch {
	case b.closed.Load():
		return ErrEventBusClosed
	case ctx.Err() != nil:
		return fmt.Errorf("event bus %s: %w", b.endpoint, ctx.Err())
	case silent:
		return fmt.Errorf("%w: no frame from %s for %v", ErrEventBusSilent, b.endpoint, b.idle)
	case b.pingErr.Load() != nil:
		return fmt.Errorf("event bus %s: ping: %w", b.endpoint, *b.pingErr.Load())
	case errors.Is(err, websocket.ErrMessageTooBig):
		return fmt.Errorf("%w: %s sent a frame over %d bytes: %w", ErrEventBusFrameTooLarge, b.endpoint, maxBusFrameBytes, err)
	case websocket.CloseStatus(err) != -1:
		return fmt.Errorf("%w: %s closed the websocket: %w", ErrEventBusEnded, b.endpoint, err)
	}
	return fmt.Errorf("event bus %s: read: %w", b.endpoint, err)
}

// handle acts on one parsed frame.
func (b *EventBus) handle(ctx context.Context, f Frame, data []byte) (BusEvent, error) {
	switch f.Packet {
	case PacketPing:
		if err := b.write(ctx, framePong); err != nil {
			return BusEvent{}, fmt.Errorf("event bus %s: answer a ping: %w", b.endpoint, err)
		}
		return BusEvent{}, nil
	case PacketClose:
		return BusEvent{}, fmt.Errorf("%w: %s sent an Engine.IO close", ErrEventBusEnded, b.endpoint)
	case PacketMessage:
	default:
		return BusEvent{}, nil // pong, noop, a late open or upgrade: nothing to do
	}
	switch f.Message {
	case MessageDisconnect:
		return BusEvent{}, fmt.Errorf("%w: %s sent a Socket.IO disconnect", ErrEventBusEnded, b.endpoint)
	case MessageError:
		b.skip(fmt.Errorf("the Manager sent a Socket.IO error: %s", CleanText(string(f.Payload), 200)), nil)
		return BusEvent{}, nil
	case MessageEvent:
	default:
		return BusEvent{}, nil
	}
	if f.Namespace != "/" {
		return BusEvent{}, nil // the Manager speaks in the root namespace only
	}
	e, err := decodeEvent(f.Event, f.Payload)
	if err != nil {
		b.skip(err, data)
		return BusEvent{}, nil
	}
	return e, nil
}

// skip logs a frame that could not be used: the first of a connection at Warn, the rest at Debug
// (a Manager that sends many would otherwise fill the log), with the count so far.
func (b *EventBus) skip(err error, frame []byte) {
	b.skipped++
	event := b.log.Debug()
	if b.skipped == 1 {
		event = b.log.Warn()
	}
	if frame != nil {
		event = event.Str("frame", CleanText(string(frame[:min(len(frame), 200)]), 120))
	}
	event.Err(err).Int64("skipped", b.skipped).Msg("skipping an event-bus frame")
}

// Close ends the connection without a closing handshake (nothing that could block is sent), stops
// the pinger and waits for it. A Next waiting meanwhile returns ErrEventBusClosed. Safe to call
// twice, and while Next waits.
func (b *EventBus) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.stopPing()
		b.conn.CloseNow()
		<-b.pingDone
	})
	return nil
}
