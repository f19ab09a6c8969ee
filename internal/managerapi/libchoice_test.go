package managerapi

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	gosocketio "github.com/graarh/golang-socketio"
	"github.com/graarh/golang-socketio/transport"
)

// The library choice (see the top of eventbus.go), by test: github.com/graarh/golang-socketio's
// client, the library the Manager serves with, and this package's client against the same fake
// Manager. What golang-socketio does every time (its code says so) is asserted; what depends on
// scheduling or on waiting for something not to happen is logged.

// afterSubscription is a script: the handshake, then frames once the client has subscribed.
func afterSubscription(frames ...string) func(ctx context.Context, m *managerSide) {
	return afterSubscriptionDo(func(ctx context.Context, m *managerSide) { m.send(ctx, frames...) })
}

// afterSubscriptionDo is a script: the handshake, then play once the client has subscribed, then
// nothing until the client leaves.
func afterSubscriptionDo(play func(ctx context.Context, m *managerSide)) func(ctx context.Context, m *managerSide) {
	return handshakeThen(func(ctx context.Context, m *managerSide) {
		if _, ok := m.awaitFrame(ctx, func(f string) bool { return strings.HasPrefix(f, `42["/subscription"`) }); !ok {
			return
		}
		play(ctx, m)
		<-ctx.Done()
	})
}

// graarhJob is what golang-socketio's handler receives of a /jobs event.
type graarhJob struct {
	Priority int    `json:"priority"`
	Padding  string `json:"padding"`
}

// graarhConn is golang-socketio's client, subscribed to allJobs as the web UI does.
type graarhConn struct {
	*gosocketio.Client
	jobs         chan graarhJob
	disconnected chan struct{}
}

// dialGraarh connects; handle, when set, receives each job instead of the jobs channel.
func dialGraarh(t *testing.T, fm *fakeManager, handle func(graarhJob)) *graarhConn {
	t.Helper()
	client, err := gosocketio.Dial(EventBusURL(fm.baseURL(t)), transport.GetDefaultWebsocketTransport())
	if err != nil {
		t.Fatal(err)
	}
	c := &graarhConn{Client: client, jobs: make(chan graarhJob, 20000), disconnected: make(chan struct{})}
	if handle == nil {
		handle = func(j graarhJob) { c.jobs <- j }
	}
	var once sync.Once
	client.On("/jobs", func(_ *gosocketio.Channel, j graarhJob) { handle(j) })
	client.On(gosocketio.OnDisconnection, func(*gosocketio.Channel) { once.Do(func() { close(c.disconnected) }) })
	if err := client.Emit("/subscription", map[string]string{"type": "allJobs", "op": "subscribe"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return c
}

func burst(n, pad int) []string {
	frames := make([]string, n)
	for i := range frames {
		frames[i] = numberedJob(i, pad)
	}
	return frames
}

// Not parallel: it counts goroutines. golang-socketio runs `go m.processIncomingMessage(c, msg)` for
// every message (loop.go), so the order of a burst is the scheduler's.
func TestLibChoiceOrderOfABurst(t *testing.T) {
	const n = 5000
	before := runtime.NumGoroutine()
	graarh := dialGraarh(t, newFakeManager(t, afterSubscription(burst(n, 0)...)), nil)
	reordered, highest, peak := 0, -1, 0
	deadline := time.After(8 * time.Second)
	for received := 0; received < n; received++ {
		select {
		case j := <-graarh.jobs:
			if j.Priority < highest {
				reordered++
			}
			highest = max(highest, j.Priority)
		case <-deadline:
			t.Fatalf("golang-socketio delivered %d of %d events in 8 s", received, n)
		}
		if received%100 == 0 {
			peak = max(peak, runtime.NumGoroutine()-before)
		}
	}
	t.Logf("golang-socketio: %d of %d events of a burst delivered after a later one; up to %d goroutines more during it",
		reordered, n, peak)

	bus := dialTestBus(t, newFakeManager(t, afterSubscription(burst(n, 0)...)), EventBusConfig{Subscriptions: []string{"allJobs"}})
	ctx := testContext(t, 10*time.Second)
	for i := range n {
		if e, err := bus.Next(ctx); err != nil || e.Job.Priority != i {
			t.Fatalf("ours: event %d: %+v, %v", i, e, err)
		}
	}
	t.Logf("ours: 0 of %d out of order", n)
}

// Not parallel: it counts goroutines. With a consumer that does not keep up, golang-socketio reads
// on regardless: a goroutine (and its frame) per event, without bound. Ours reads only for Next, so
// the Manager's writes block (back-pressure).
func TestLibChoiceSlowConsumer(t *testing.T) {
	const n = 5000
	wrote := make(chan int, 1)
	script := func(pad int) func(ctx context.Context, m *managerSide) {
		return afterSubscriptionDo(func(ctx context.Context, m *managerSide) {
			wrote <- writeWithin(ctx, m, 500*time.Millisecond, burst(n, pad))
		})
	}
	gate := make(chan struct{})
	before := runtime.NumGoroutine()
	graarh := dialGraarh(t, newFakeManager(t, script(0)), func(graarhJob) { <-gate })
	if sent := <-wrote; sent != n {
		t.Errorf("golang-socketio stopped reading after %d of %d frames", sent, n)
	}
	grown := waitForGoroutines(func(g int) bool { return g >= before+n-50 }) - before
	if grown < n*9/10 {
		t.Errorf("golang-socketio: %d goroutines more for %d events waiting for a blocked handler, want one each", grown, n)
	}
	t.Logf("golang-socketio: all %d frames read while its handler was blocked: %d goroutines more", n, grown)
	close(gate)
	graarh.Close()

	const pad = 2048 // 10 MB: more than the sockets' buffers hold
	before = waitForGoroutines(func(g int) bool { return g <= before+10 })
	ours := dialTestBus(t, newFakeManager(t, script(pad)), EventBusConfig{Subscriptions: []string{"allJobs"}})
	sent := <-wrote // ours does not call Next
	if sent == n {
		t.Errorf("ours: the Manager wrote all %d frames (%d MiB) to a consumer that reads none", n, n*pad>>20)
	}
	if grown := runtime.NumGoroutine() - before; grown > 8 {
		t.Errorf("ours: %d goroutines more", grown)
	}
	t.Logf("ours: the Manager's writes blocked after %d of %d frames of 2 KiB; goroutines: %d more (server's included)",
		sent, n, runtime.NumGoroutine()-before)
	ours.Close()
}

// writeWithin writes frames, each within limit; it returns how many were written.
func writeWithin(ctx context.Context, m *managerSide, limit time.Duration, frames []string) int {
	for i, f := range frames {
		writeCtx, cancel := context.WithTimeout(ctx, limit)
		err := m.conn.Write(writeCtx, websocket.MessageText, []byte(f))
		cancel()
		if err != nil {
			return i
		}
	}
	return len(frames)
}

// waitForGoroutines waits (5 s at most) until the number of goroutines is what ok wants; it returns
// the number.
func waitForGoroutines(ok func(int) bool) int {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n := runtime.NumGoroutine(); ok(n) || time.Now().After(deadline) {
			return n
		}
	}
}

// One frame golang-socketio's decoder does not know closes its whole connection (loop.go: a
// protocol.Decode error → closeChannel); so does a binary frame (transport: ErrorBinaryMessage).
// An Engine.IO noop is legal and does the same. Ours skips them all.
func TestLibChoiceMalformedFrames(t *testing.T) {
	t.Parallel()
	for name, frame := range map[string]string{"unknown type": "4x", "noop": "6", "binary": "binary"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			script := handshakeThen(func(ctx context.Context, m *managerSide) {
				if _, ok := m.awaitFrame(ctx, func(f string) bool { return strings.HasPrefix(f, `42["/subscription"`) }); !ok {
					return
				}
				m.send(ctx, numberedJob(1, 0))
				if frame == "binary" {
					m.conn.Write(ctx, websocket.MessageBinary, []byte{0x42})
				} else {
					m.send(ctx, frame)
				}
				m.send(ctx, numberedJob(2, 0))
				<-ctx.Done()
			})
			graarh := dialGraarh(t, newFakeManager(t, script), nil)
			select {
			case <-graarh.disconnected:
			case <-time.After(5 * time.Second):
				t.Fatalf("golang-socketio survived a %s frame: revisit the library choice", name)
			}
			bus := dialTestBus(t, newFakeManager(t, script), EventBusConfig{Subscriptions: []string{"allJobs"}})
			ctx := testContext(t, 5*time.Second)
			for want := 1; want <= 2; want++ {
				if e, err := bus.Next(ctx); err != nil || e.Job.Priority != want {
					t.Fatalf("ours: event %d: %+v, %v", want, e, err)
				}
			}
		})
	}
}

// An event whose JSON is cut is dropped by golang-socketio without a word (handler.go ignores the
// json.Unmarshal error); ours counts it and logs it.
func TestLibChoiceCutEvent(t *testing.T) {
	t.Parallel()
	script := afterSubscription(numberedJob(1, 0), `42["/jobs",{"priority":`, numberedJob(2, 0))
	graarh := dialGraarh(t, newFakeManager(t, script), nil)
	got := 0
	for deadline := time.After(5 * time.Second); got < 2; got++ {
		select {
		case <-graarh.jobs:
		case <-deadline:
			t.Fatalf("golang-socketio delivered %d events", got)
		}
	}
	t.Logf("golang-socketio: the 2 valid events delivered, the cut one dropped silently (still connected: %v)", graarh.IsAlive())

	bus := dialTestBus(t, newFakeManager(t, script), EventBusConfig{Subscriptions: []string{"allJobs"}})
	ctx := testContext(t, 5*time.Second)
	for want := 1; want <= 2; want++ {
		if e, err := bus.Next(ctx); err != nil || e.Job.Priority != want {
			t.Fatalf("ours: event %d: %+v, %v", want, e, err)
		}
	}
	if skipped := bus.Stats().Malformed; skipped != 1 {
		t.Errorf("ours: %d frames skipped, want 1", skipped)
	}
}

// golang-socketio never sets a read limit (gorilla/websocket reads any size); ours stops at
// MaxFrameBytes (1 MiB by default).
func TestLibChoiceFrameSize(t *testing.T) {
	t.Parallel()
	const pad = 2 << 20
	script := afterSubscription(numberedJob(1, pad))
	graarh := dialGraarh(t, newFakeManager(t, script), nil)
	select {
	case j := <-graarh.jobs:
		if len(j.Padding) < pad {
			t.Errorf("golang-socketio: a padding of %d bytes", len(j.Padding))
		}
	case <-graarh.disconnected:
		t.Fatal("golang-socketio refused a 2 MiB frame: revisit the library choice")
	case <-time.After(5 * time.Second):
		t.Fatal("golang-socketio: no event")
	}
	bus := dialTestBus(t, newFakeManager(t, script), EventBusConfig{Subscriptions: []string{"allJobs"}})
	if _, err := bus.Next(testContext(t, 5*time.Second)); !errors.Is(err, ErrEventBusFrameTooLarge) {
		t.Errorf("ours: %v", err)
	}
}

// golang-socketio's Dial takes no context and has no timeout (a zero gorilla Dialer), and returns
// as soon as the websocket is upgraded, before the open packet; ours bounds the whole handshake.
func TestLibChoiceDial(t *testing.T) {
	t.Parallel()
	upgradeOnly := newFakeManager(t, func(ctx context.Context, _ *managerSide) { <-ctx.Done() })
	client, err := gosocketio.Dial(EventBusURL(upgradeOnly.baseURL(t)), transport.GetDefaultWebsocketTransport())
	if err != nil {
		t.Fatalf("golang-socketio: a server that never sends the open packet: %v", err)
	}
	client.Close()
	if _, err := DialEventBus(context.Background(), upgradeOnly.baseURL(t), EventBusConfig{HandshakeTimeout: 300 * time.Millisecond}); !errors.Is(err, ErrEventBusTimeout) {
		t.Errorf("ours: %v", err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			accepted <- conn
		}
	}()
	defer listener.Close()
	base, _ := BaseURL("http://" + listener.Addr().String())
	graarhDone := make(chan error, 1)
	go func() {
		_, err := gosocketio.Dial(EventBusURL(base), transport.GetDefaultWebsocketTransport())
		graarhDone <- err
	}()
	start := time.Now()
	_, err = DialEventBus(context.Background(), base, EventBusConfig{HandshakeTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrEventBusTimeout) {
		t.Errorf("ours, a server that never answers: %v", err)
	}
	ours := time.Since(start)
	select {
	case err := <-graarhDone:
		t.Logf("golang-socketio's Dial returned %v after %v", err, time.Since(start))
	case <-time.After(time.Second):
		t.Logf("a server that never answers: ours failed after %v; golang-socketio's Dial was still waiting after %v",
			ours.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	for range 2 { // release golang-socketio's Dial
		select {
		case conn := <-accepted:
			conn.Close()
		case <-time.After(time.Second):
		}
	}
}

// golang-socketio pings every 30 s whatever the Manager's open packet says (transport.go's
// constant); ours pings at the Manager's interval.
func TestLibChoicePingInterval(t *testing.T) {
	t.Parallel()
	countPings := func(pings chan<- time.Time) func(ctx context.Context, m *managerSide) {
		return func(ctx context.Context, m *managerSide) {
			if m.send(ctx, openPacketFrame(1000, 60000), "40") != nil {
				return
			}
			for {
				if _, ok := m.awaitFrame(ctx, func(f string) bool { return f == "2" }); !ok {
					return
				}
				pings <- time.Now()
				m.send(ctx, "3")
			}
		}
	}
	graarhPings, ourPings := make(chan time.Time, 100), make(chan time.Time, 100)
	dialGraarh(t, newFakeManager(t, countPings(graarhPings)), nil)
	start := time.Now()
	dialTestBus(t, newFakeManager(t, countPings(ourPings)), EventBusConfig{})
	select {
	case at := <-ourPings:
		t.Logf("pingInterval 1 s: ours pinged after %v; golang-socketio had pinged %d times",
			at.Sub(start).Round(time.Millisecond), len(graarhPings))
	case <-time.After(5 * time.Second):
		t.Error("ours did not ping")
	}
}
