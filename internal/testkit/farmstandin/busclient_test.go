//go:build linux

package farmstandin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// busClient is a raw client of the stand-in's event bus: frames as they come, nothing interpreted,
// so that what is checked is what goes over the wire.
type busClient struct {
	t  *testing.T
	ws *websocket.Conn
}

// busURL is the event bus's address on a stand-in served at base ("http://127.0.0.1:port/").
func busURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "socket.io/?EIO=3&transport=websocket"
}

// dialBus connects to the stand-in's event bus; the connection is closed at the test's end.
func dialBus(t *testing.T, srv *farmstandin.Server) *busClient {
	t.Helper()
	ws, err := tryDialBus(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return &busClient{t: t, ws: ws}
}

// tryDialBus connects, or returns the error (with the refusal's status in it).
func tryDialBus(srv *farmstandin.Server) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, busURL(srv.URL), &websocket.DialOptions{HTTPClient: &http.Client{}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("status %d: %w", resp.StatusCode, err)
		}
		return nil, err
	}
	return ws, nil
}

// next returns the next frame, failing the test when none comes within 5 s.
func (c *busClient) next() string {
	c.t.Helper()
	frame, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("no frame from the event bus: %v", err)
	}
	return frame
}

func (c *busClient) read(within time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	typ, data, err := c.ws.Read(ctx)
	if err == nil && typ != websocket.MessageText {
		err = fmt.Errorf("a %v frame", typ)
	}
	return string(data), err
}

func (c *busClient) send(frame string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		c.t.Fatalf("send %s: %v", frame, err)
	}
}

// handshake reads the open packet and "40", and returns the open packet.
func (c *busClient) handshake() string {
	c.t.Helper()
	open := c.next()
	if connect := c.next(); connect != "40" {
		c.t.Fatalf("after the open packet %q, %q instead of 40", open, connect)
	}
	return open
}

// sync pings and waits for the pong: every frame sent before was taken (subscriptions applied), and
// every frame queued before the ping was read, returned.
func (c *busClient) sync() []string {
	c.t.Helper()
	c.send("2")
	return c.until("3")
}

// subscribe subscribes as the web UI does, and waits until the stand-in applied it.
func (c *busClient) subscribe(op string, kinds ...string) {
	c.t.Helper()
	for _, kind := range kinds {
		c.send(fmt.Sprintf(`42["/subscription",{"type":%q,"op":%q}]`, kind, op))
	}
	if frames := c.sync(); len(frames) != 0 {
		c.t.Fatalf("frames before the pong: %q", frames)
	}
}

// until reads frames up to marker and returns those before it.
func (c *busClient) until(marker string) []string {
	c.t.Helper()
	var frames []string
	for {
		frame := c.next()
		if frame == marker {
			return frames
		}
		frames = append(frames, frame)
	}
}

// closed waits until the stand-in closes the connection (frames still queued are read and dropped).
func (c *busClient) closed() {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.read(time.Until(deadline)); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			return
		}
	}
	c.t.Fatal("the stand-in did not close the connection within 5 s")
}

var markers atomic.Int64

// framesOf does something to the farm and returns the frames each client got for it: a marker
// frame sent to every connection after it ends them (each connection's frames are sent in order).
func framesOf(f *farmstandin.Farm, do func(), clients ...*busClient) [][]string {
	do()
	marker := fmt.Sprintf("marker-%d", markers.Add(1))
	f.SendRawFrame(marker)
	got := make([][]string, len(clients))
	for i, c := range clients {
		got[i] = c.until(marker)
	}
	return got
}

// seqClock hands out times in turn, keeping the last: the stand-in reads its clock once per time it
// stamps, so a test gives each stamp its captured value.
type seqClock struct {
	mu    sync.Mutex
	times []time.Time
}

func (c *seqClock) Set(times ...time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.times = times
}

func (c *seqClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.times[0]
	if len(c.times) > 1 {
		c.times = c.times[1:]
	}
	return now
}

// standInGoroutines are the goroutines running the stand-in's code (not its tests').
func standInGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "/internal/testkit/farmstandin.") {
			found = append(found, g)
		}
	}
	return found
}

// noStandInGoroutines waits until none of the stand-in's goroutines is left.
func noStandInGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(standInGoroutines()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stand-in goroutines left:\n%s", strings.Join(standInGoroutines(), "\n\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
