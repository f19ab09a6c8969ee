package managerapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// busServer is an event bus on loopback (plain HTTP, no namespace needed) that plays script with
// each client and records what the client sent.
type busServer struct {
	*httptest.Server
	sent chan string // the client's frames
}

// script runs the server's side of one connection.
type script func(ctx context.Context, conn *websocket.Conn, sent <-chan string) error

func newBusServer(t *testing.T, play script) *busServer {
	t.Helper()
	s := &busServer{sent: make(chan string, 256)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/socket.io/" || r.URL.Query().Get("EIO") != "3" || r.URL.Query().Get("transport") != "websocket" {
			http.NotFound(w, r)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		ctx := r.Context()
		sent := make(chan string, 256)
		go func() {
			for {
				_, data, err := conn.Read(ctx)
				if err != nil {
					close(sent)
					return
				}
				s.sent <- string(data)
				sent <- string(data)
			}
		}()
		play(ctx, conn, sent)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *busServer) base(t *testing.T) *url.URL {
	base, err := BaseURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func openFrame(pingMillis, timeoutMillis int) string {
	return fmt.Sprintf(`0{"sid":"Ku-nIBxN83xwN5ebkx76","upgrades":[],"pingInterval":%d,"pingTimeout":%d}`, pingMillis, timeoutMillis)
}

func send(ctx context.Context, conn *websocket.Conn, frames ...string) error {
	for _, f := range frames {
		if err := conn.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			return err
		}
	}
	return nil
}

// replay sends a transcript's frames from the Manager, open packet and all, then waits.
func replay(frames []string) script {
	return func(ctx context.Context, conn *websocket.Conn, _ <-chan string) error {
		if err := send(ctx, conn, frames...); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
}

func TestEventBusFollowsTheCapturedTranscripts(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"3.3.1", "3.8.5"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			received := transcriptFrames(t, version, '<')
			srv := newBusServer(t, replay(received))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			bus, err := DialEventBus(ctx, srv.base(t), EventBusConfig{Subscriptions: []string{"allJobs", "allWorkers", "allLastRendered"}})
			if err != nil {
				t.Fatal(err)
			}
			defer bus.Close()
			var want []string
			for _, raw := range received {
				if strings.HasPrefix(raw, `42["/jobs"`) || strings.HasPrefix(raw, `42["/workers"`) || strings.HasPrefix(raw, `42["/status"`) {
					want = append(want, raw)
				}
			}
			for i, raw := range want {
				e, err := bus.Next(ctx)
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if got := describeEvent(e); !strings.Contains(raw, got) {
					t.Errorf("event %d: got %s, the transcript has %s", i, got, raw)
				}
			}
			// The subscriptions, exactly as the web UI sends them (the transcript's with its spaces
			// taken out: the Manager reads JSON).
			for _, raw := range transcriptFrames(t, version, '>') {
				if !strings.HasPrefix(raw, "42") {
					continue
				}
				if got := <-srv.sent; got != strings.ReplaceAll(raw, " ", "") {
					t.Errorf("client sent %s, the web UI %s", got, raw)
				}
			}
		})
	}
}

// describeEvent is the part of an event's frame that names it: its id and status.
func describeEvent(e BusEvent) string {
	switch {
	case e.Job != nil:
		return fmt.Sprintf(`"id":"%s"`, e.Job.ID)
	case e.Worker != nil:
		return fmt.Sprintf(`"id":"%s"`, e.Worker.ID)
	case e.Farm != nil:
		return fmt.Sprintf(`{"status":"%s"}`, e.Farm.Status)
	}
	return "nothing"
}

func TestEventBusPingsAnswersPingsAndSkipsMalformedFrames(t *testing.T) {
	t.Parallel()
	job := `42["/jobs",{"id":"cd8d7306-8dac-4c42-94e0-c9bf06c6c59c","name":"shot-010","priority":50,"refresh_tasks":false,"status":"active","type":"echo-sleep-test","updated":"2026-12-04T18:31:41.626608105Z"}]`
	srv := newBusServer(t, func(ctx context.Context, conn *websocket.Conn, sent <-chan string) error {
		if err := send(ctx, conn, openFrame(25000, 60000), "40"); err != nil {
			return err
		}
		// The client pings on its own (PingEvery), and answers the Manager's ping.
		for frame := range sent {
			if frame == "2" {
				break
			}
		}
		send(ctx, conn, "2")
		for frame := range sent {
			if frame == "3" {
				break
			}
		}
		conn.Write(ctx, websocket.MessageBinary, []byte{0x42})
		send(ctx, conn, `42["/jobs",{"id":`, `4x`, `42["/jobs",{"id":"not-a-uuid","status":"active"}]`, `42["/last-rendered",{}]`, job)
		<-ctx.Done()
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := DialEventBus(ctx, srv.base(t), EventBusConfig{PingEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	e, err := bus.Next(ctx)
	if err != nil || e.Job == nil || e.Job.Status != JobActive {
		t.Fatalf("after the malformed frames: %+v, %v", e, err)
	}
	if stats := bus.Stats(); stats.Malformed != 4 || stats.Events["/jobs"] != 1 {
		t.Errorf("stats %+v: want 4 frames skipped (binary, cut JSON, unknown type, bad id) and one /jobs", stats)
	}
}

func TestEventBusEndsWhenTheManagerFallsSilent(t *testing.T) {
	t.Parallel()
	srv := newBusServer(t, func(ctx context.Context, conn *websocket.Conn, _ <-chan string) error {
		send(ctx, conn, openFrame(30000, 60000), "40")
		<-ctx.Done() // a half-dead connection: nothing more, no pong
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := DialEventBus(ctx, srv.base(t), EventBusConfig{PingEvery: 100 * time.Millisecond, PongWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	start := time.Now()
	if _, err := bus.Next(ctx); !errors.Is(err, ErrEventBusSilent) {
		t.Fatalf("Next on a silent bus: %v", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("a silent bus noticed after %v, want about 300 ms", waited)
	}
}

func TestEventBusCloseEndsAWaitingNextAndItsGoroutines(t *testing.T) {
	t.Parallel()
	srv := newBusServer(t, replay([]string{openFrame(30000, 60000), "40"}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := DialEventBus(ctx, srv.base(t), EventBusConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := bus.Next(ctx); done <- err }()
	bus.Close()
	bus.Close() // twice is fine
	if err := <-done; !errors.Is(err, ErrEventBusClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

func TestEventBusDialSaysWhatWentWrong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A proxy that does not pass websockets answers the upgrade with an error status.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "websockets not allowed", http.StatusBadRequest)
	}))
	defer proxy.Close()
	base, _ := BaseURL(proxy.URL)
	if _, err := DialEventBus(ctx, base, EventBusConfig{}); !errors.Is(err, ErrEventBusRefused) || !strings.Contains(err.Error(), "400") {
		t.Errorf("a refusing proxy: %v", err)
	}
	// Something that takes the connection and never answers.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	base, _ = BaseURL("http://" + listener.Addr().String())
	start := time.Now()
	if _, err := DialEventBus(ctx, base, EventBusConfig{HandshakeTimeout: 300 * time.Millisecond}); err == nil ||
		!strings.Contains(err.Error(), "no handshake within") {
		t.Errorf("a silent server: %v", err)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("the handshake timeout of 300 ms took %v", waited)
	}
	// A server that upgrades but does not speak Engine.IO.
	srv := newBusServer(t, replay([]string{`{"hello":"world"}`}))
	if _, err := DialEventBus(ctx, srv.base(t), EventBusConfig{}); !errors.Is(err, ErrBadFrame) {
		t.Errorf("not Engine.IO: %v", err)
	}
}

func TestEventBusEndsOnAFrameOverItsLimit(t *testing.T) {
	t.Parallel()
	huge := `42["/jobs",{"id":"cd8d7306-8dac-4c42-94e0-c9bf06c6c59c","name":"` + strings.Repeat("x", 64<<10) + `"}]`
	srv := newBusServer(t, replay([]string{openFrame(30000, 60000), "40", huge}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := DialEventBus(ctx, srv.base(t), EventBusConfig{MaxFrameBytes: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	if _, err := bus.Next(ctx); err == nil || !strings.Contains(err.Error(), "read limited") {
		t.Errorf("a 64 KB frame over a 32 KB limit: %v", err)
	}
}

func TestEventBusKeepsOrderAndGoroutinesThroughAFlood(t *testing.T) {
	t.Parallel()
	const n = 10000
	frames := []string{openFrame(30000, 60000), "40"}
	for i := range n {
		frames = append(frames, fmt.Sprintf(`42["/jobs",{"id":"cd8d7306-8dac-4c42-94e0-c9bf06c6c59c","name":"n","priority":%d,"refresh_tasks":false,"status":"active","type":"t","updated":"2026-12-04T18:31:41Z"}]`, i))
	}
	srv := newBusServer(t, replay(frames))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bus, err := DialEventBus(ctx, srv.base(t), EventBusConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	goroutines := runtime.NumGoroutine()
	for i := range n {
		e, err := bus.Next(ctx)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if e.Job.Priority != i {
			t.Fatalf("event %d came as %d: out of order", i, e.Job.Priority)
		}
		if i%1000 == 0 && runtime.NumGoroutine() > goroutines+4 {
			t.Fatalf("goroutines grew from %d to %d during the flood", goroutines, runtime.NumGoroutine())
		}
	}
}
