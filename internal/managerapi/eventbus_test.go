package managerapi

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// transcriptLine is one frame of a captured event-bus transcript (testdata/socketio-*.txt).
type transcriptLine struct {
	at       time.Duration // since the connection
	received bool          // '<': from the Manager; '>': sent by the client
	frame    string
}

func readTranscript(t testing.TB, version string) []transcriptLine {
	t.Helper()
	file, err := os.Open("testdata/socketio-" + version + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var lines []transcriptLine
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		fields := strings.SplitN(strings.TrimSpace(scanner.Text()), " ", 3)
		if len(fields) != 3 || fields[1] != "<" && fields[1] != ">" {
			t.Fatalf("%s: unreadable line %q", version, scanner.Text())
		}
		seconds, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", version, scanner.Text(), err)
		}
		lines = append(lines, transcriptLine{time.Duration(seconds * float64(time.Second)), fields[1] == "<", fields[2]})
	}
	return lines
}

// transcriptSide is the frames of one side of a transcript, in order.
func transcriptSide(t testing.TB, version string, received bool) []string {
	var frames []string
	for _, line := range readTranscript(t, version) {
		if line.received == received {
			frames = append(frames, line.frame)
		}
	}
	return frames
}

// fakeManager is an event bus on loopback (plain HTTP: no network namespace needed) that plays a
// script with each client and records every frame the clients send.
type fakeManager struct {
	*httptest.Server
	mu       sync.Mutex
	fromAll  []string
	finished chan struct{} // one value each time a connection's handler has returned
}

// managerSide is the server's side of one connection.
type managerSide struct {
	conn       *websocket.Conn
	fromClient chan string // the client's frames; closed when the client is gone
}

func newFakeManager(t *testing.T, play func(ctx context.Context, m *managerSide)) *fakeManager {
	t.Helper()
	fm := &fakeManager{finished: make(chan struct{}, 16)}
	fm.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query := r.URL.Query()
		if r.URL.Path != "/socket.io/" || query.Get("EIO") != "3" || query.Get("transport") != "websocket" {
			http.NotFound(w, r)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		conn.SetReadLimit(-1)
		ctx, cancel := context.WithCancel(context.Background())
		side := &managerSide{conn: conn, fromClient: make(chan string, 1024)}
		readerDone := make(chan struct{})
		go fm.readClient(ctx, cancel, side, readerDone)
		play(ctx, side)
		conn.CloseNow()
		<-readerDone
		cancel()
		fm.finished <- struct{}{}
	}))
	t.Cleanup(fm.Close)
	return fm
}

// readClient records the client's frames until the connection ends, then cancels the play.
func (fm *fakeManager) readClient(ctx context.Context, cancel context.CancelFunc, side *managerSide, done chan<- struct{}) {
	defer close(done)
	defer cancel()
	defer close(side.fromClient)
	for {
		_, data, err := side.conn.Read(ctx)
		if err != nil {
			return
		}
		fm.mu.Lock()
		fm.fromAll = append(fm.fromAll, string(data))
		fm.mu.Unlock()
		select {
		case side.fromClient <- string(data):
		default: // nobody listens: recorded in fromAll all the same
		}
	}
}

func (fm *fakeManager) clientFrames() []string {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	return append([]string(nil), fm.fromAll...)
}

func (fm *fakeManager) baseURL(t testing.TB) *url.URL {
	base, err := BaseURL(fm.URL)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// send writes frames in order; it fails when the client is gone.
func (m *managerSide) send(ctx context.Context, frames ...string) error {
	for _, f := range frames {
		if err := m.conn.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			return err
		}
	}
	return nil
}

// awaitFrame waits for the client to send a frame for which match is true.
func (m *managerSide) awaitFrame(ctx context.Context, match func(string) bool) (string, bool) {
	for {
		select {
		case f, ok := <-m.fromClient:
			if !ok {
				return "", false
			}
			if match(f) {
				return f, true
			}
		case <-ctx.Done():
			return "", false
		}
	}
}

func openPacketFrame(pingMillis, timeoutMillis int) string {
	return fmt.Sprintf(`0{"sid":"Ku-nIBxN83xwN5ebkx76","upgrades":[],"pingInterval":%d,"pingTimeout":%d}`, pingMillis, timeoutMillis)
}

// handshakeThen is a script: the open packet (pings every 30 s), "40", then more.
func handshakeThen(more func(ctx context.Context, m *managerSide)) func(ctx context.Context, m *managerSide) {
	return func(ctx context.Context, m *managerSide) {
		if m.send(ctx, openPacketFrame(30000, 60000), "40") == nil {
			more(ctx, m)
		}
	}
}

// sendThenWait is a script: the handshake, frames, then nothing until the client leaves.
func sendThenWait(frames ...string) func(ctx context.Context, m *managerSide) {
	return handshakeThen(func(ctx context.Context, m *managerSide) {
		if m.send(ctx, frames...) == nil {
			<-ctx.Done()
		}
	})
}

const testJobID = "cd8d7306-8dac-4c42-94e0-c9bf06c6c59c"

// numberedJob is a valid /jobs frame whose priority numbers it, padded with a field of pad bytes
// that the decoder skips.
func numberedJob(n, pad int) string {
	return fmt.Sprintf(`42["/jobs",{"id":"%s","name":"job","priority":%d,"refresh_tasks":false,"status":"active","type":"t","updated":"2026-12-04T18:31:41Z","padding":"%s"}]`,
		testJobID, n, strings.Repeat("x", pad))
}

// withPings gives cfg the Manager's own ping settings (30 s, 60 s) where it has none.
func withPings(cfg EventBusConfig) EventBusConfig {
	cfg.PingEvery, cfg.PongWait = cmp.Or(cfg.PingEvery, 30*time.Second), cmp.Or(cfg.PongWait, time.Minute)
	return cfg
}

func dialTestBus(t *testing.T, fm *fakeManager, cfg EventBusConfig) *EventBus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := DialEventBus(ctx, fm.baseURL(t), withPings(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return bus
}

func testContext(t *testing.T, limit time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

// replayTranscript is a script: the Manager's frames of a transcript, in order, 1000 times faster.
func replayTranscript(lines []transcriptLine) func(ctx context.Context, m *managerSide) {
	return func(ctx context.Context, m *managerSide) {
		var last time.Duration
		for _, line := range lines {
			if !line.received {
				continue
			}
			time.Sleep((line.at - last) / 1000)
			last = line.at
			if m.send(ctx, line.frame) != nil {
				return
			}
		}
		<-ctx.Done()
	}
}

func TestEventBusReplaysTheCapturedTranscripts(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"3.3.1", "3.8.5"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			lines := readTranscript(t, version)
			fm := newFakeManager(t, replayTranscript(lines))
			var logged testio.SyncBuffer
			bus := dialTestBus(t, fm, EventBusConfig{Subscriptions: []string{"allJobs", "allWorkers", "allLastRendered"},
				Logger: zerolog.New(&logged)})
			ctx := testContext(t, 10*time.Second)
			var got []BusEvent
			wanted := transcriptEvents(t, version)
			for _, want := range wanted {
				e, err := bus.Next(ctx)
				if err != nil {
					t.Fatalf("event %d of %d: %v", len(got), len(transcriptEvents(t, version)), err)
				}
				compareEvent(t, len(got), e, want)
				got = append(got, e)
			}
			checkTranscriptSpots(t, version, got, wanted)
			bus.Close()
			if logged.String() != "" {
				t.Errorf("frames of a real Manager skipped:\n%s", logged.String())
			}
			<-fm.finished
			// Exactly the web UI's subscriptions (the transcript's, whose spaces the Manager's JSON
			// parser does not need), and nothing else: no ping in these 50 ms.
			var want []string
			for _, frame := range transcriptSide(t, version, false) {
				if strings.HasPrefix(frame, "42") {
					want = append(want, strings.ReplaceAll(frame, " ", ""))
				}
			}
			if sent := fm.clientFrames(); strings.Join(sent, "\n") != strings.Join(want, "\n") {
				t.Errorf("the client sent\n%s\nwant\n%s", strings.Join(sent, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// wireEvent is an event of a transcript read with plain encoding/json, to check the decoder against.
type wireEvent struct {
	name string
	arg  map[string]any
}

func transcriptEvents(t testing.TB, version string) []wireEvent {
	var events []wireEvent
	for _, frame := range transcriptSide(t, version, true) {
		var parts []json.RawMessage
		if !strings.HasPrefix(frame, "42") || json.Unmarshal([]byte(frame[2:]), &parts) != nil || len(parts) != 2 {
			continue
		}
		var e wireEvent
		if json.Unmarshal(parts[0], &e.name) != nil || json.Unmarshal(parts[1], &e.arg) != nil {
			t.Fatalf("%s: unreadable %s", version, frame)
		}
		if e.name == "/jobs" || e.name == "/status" { // /workers are skipped: not used
			events = append(events, e)
		}
	}
	return events
}

// compareEvent checks every field of a decoded event against the frame's JSON.
func compareEvent(t *testing.T, i int, e BusEvent, want wireEvent) {
	t.Helper()
	str := func(key string) string { s, _ := want.arg[key].(string); return s }
	at := func(key string) time.Time { v, _ := time.Parse(time.RFC3339Nano, str(key)); return v }
	var got, expected string
	switch want.name {
	case "/jobs":
		if e.Job == nil {
			t.Fatalf("event %d: %+v, want a /jobs", i, e)
		}
		var progress *Progress
		if done, ok := want.arg["steps_completed"].(float64); ok {
			progress = &Progress{Completed: int(done), Total: int(want.arg["steps_total"].(float64))}
		}
		j := JobUpdate{ID: str("id"), Name: str("name"), Type: str("type"), Status: JobStatus(str("status")),
			Priority: int(want.arg["priority"].(float64)), Updated: at("updated")}
		decoded := *e.Job
		decoded.Progress = nil
		got = fmt.Sprintf("%+v progress %s", decoded, describeProgress(e.Job.Progress))
		expected = fmt.Sprintf("%+v progress %s", j, describeProgress(progress))
	case "/status":
		if e.Farm == nil {
			t.Fatalf("event %d: %+v, want a /status", i, e)
		}
		got, expected = string(e.Farm.Status), str("status")
	}
	if got != expected {
		t.Errorf("event %d (%s):\n got %s\nwant %s", i, want.name, got, expected)
	}
}

func describeProgress(p *Progress) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%d/%d", p.Completed, p.Total)
}

// checkTranscriptSpots checks what the README says the captures show, by hand.
func checkTranscriptSpots(t *testing.T, version string, got []BusEvent, wire []wireEvent) {
	t.Helper()
	found := map[string]bool{}
	for i, e := range got {
		previous, _ := wire[i].arg["previous_status"].(string) // not decoded: the tray does not use it
		switch {
		case e.Job != nil && e.Job.Name == "shot-010 lighting" && e.Job.Progress != nil && *e.Job.Progress == (Progress{2, 3}):
			found["shot-010 at 2/3"] = e.Job.Status == JobActive && previous == ""
		case e.Job != nil && e.Job.Status == JobCompleted:
			found["completed after active"] = previous == string(JobActive) && e.Job.Name == "shot-010 lighting"
		case e.Job != nil && e.Job.Status == JobCanceled:
			found["canceled after cancel-requested"] = previous == string(JobCancelRequested)
		case e.Farm != nil && e.Farm.Status == FarmInoperative:
			found["farm inoperative"] = true
		}
		if version == "3.3.1" && e.Job != nil && e.Job.Progress != nil {
			t.Errorf("3.3.1 has no progress, got %+v", e.Job)
		}
	}
	want := []string{"completed after active", "canceled after cancel-requested"}
	if version == "3.8.5" {
		want = append(want, "shot-010 at 2/3", "farm inoperative")
	}
	for _, spot := range want {
		if !found[spot] {
			t.Errorf("%s: %q not seen right (%v)", version, spot, found)
		}
	}
}

func TestEventBusSubscribesToWhatItIsAskedOnly(t *testing.T) {
	t.Parallel()
	fm := newFakeManager(t, sendThenWait())
	bus := dialTestBus(t, fm, EventBusConfig{Subscriptions: []string{"allJobs"}})
	bus.Close()
	<-fm.finished
	if got := fm.clientFrames(); len(got) != 1 || got[0] != `42["/subscription",{"type":"allJobs","op":"subscribe"}]` {
		t.Errorf("sent %q", got)
	}
}

func TestEventBusAnswersTheManagersPing(t *testing.T) {
	t.Parallel()
	answered := make(chan bool, 1)
	fm := newFakeManager(t, handshakeThen(func(ctx context.Context, m *managerSide) {
		if m.send(ctx, "2") != nil {
			answered <- false
			return
		}
		_, ok := m.awaitFrame(ctx, func(f string) bool { return f == "3" })
		answered <- ok
		m.send(ctx, numberedJob(1, 0))
		<-ctx.Done()
	}))
	bus := dialTestBus(t, fm, EventBusConfig{})
	if e, err := bus.Next(testContext(t, 10*time.Second)); err != nil || e.Job == nil || e.Job.Priority != 1 {
		t.Fatalf("Next: %+v, %v", e, err)
	}
	if !<-answered {
		t.Error("the Manager's ping was not answered with 3")
	}
}

// The client pings at its own interval, not at the one the Manager's open packet asks for.
func TestEventBusPingsAtItsInterval(t *testing.T) {
	t.Parallel()
	const want = 1500 * time.Millisecond
	pings := make(chan time.Time, 4)
	start := make(chan time.Time, 1)
	fm := newFakeManager(t, func(ctx context.Context, m *managerSide) {
		start <- time.Now()
		if m.send(ctx, openPacketFrame(200, 60000), "40") != nil {
			return
		}
		for range 2 {
			if _, ok := m.awaitFrame(ctx, func(f string) bool { return f == "2" }); !ok {
				return
			}
			pings <- time.Now()
			m.send(ctx, "3")
		}
		<-ctx.Done()
	})
	dialTestBus(t, fm, EventBusConfig{PingEvery: want})
	ctx := testContext(t, 10*time.Second)
	previous := <-start
	for i := range 2 {
		select {
		case at := <-pings:
			if gap := at.Sub(previous); gap < want-50*time.Millisecond || gap > want+time.Second {
				t.Errorf("ping %d came %v after the previous, want about %v", i+1, gap, want)
			}
			previous = at
		case <-ctx.Done():
			t.Fatalf("ping %d never came", i+1)
		}
	}
}

func TestEventBusSkipsMalformedFramesAndKeepsGoing(t *testing.T) {
	t.Parallel()
	fm := newFakeManager(t, handshakeThen(func(ctx context.Context, m *managerSide) {
		m.send(ctx, numberedJob(1, 0), `42["/jobs",{"id":`, `4x`, `6`, `42["/jobs",{"id":"not-a-uuid","status":"active"}]`)
		m.conn.Write(ctx, websocket.MessageBinary, []byte(`42["/jobs",{}]`))
		m.send(ctx, `42["/jobs",{"id":"`+testJobID+`"}]`, `44{"message":"boom"}`, `42["/task",{"id":"x"}]`, numberedJob(2, 0))
		<-ctx.Done()
	}))
	var logged bytes.Buffer
	bus := dialTestBus(t, fm, EventBusConfig{Logger: zerolog.New(&logged).Level(zerolog.DebugLevel)})
	ctx := testContext(t, 10*time.Second)
	for want := 1; want <= 2; want++ {
		if e, err := bus.Next(ctx); err != nil || e.Job == nil || e.Job.Priority != want {
			t.Fatalf("event %d: %+v, %v", want, e, err)
		}
	}
	// 6 skipped (cut JSON, 4x, bad id, binary, no status, Socket.IO error); /task, valid but unused,
	// is passed over without a word.
	levels := strings.Count(logged.String(), `"level":"warn"`)*100 + strings.Count(logged.String(), `"level":"debug"`)
	if levels != 105 || !strings.Contains(logged.String(), `"skipped":6`) || !strings.Contains(logged.String(), "not a UUID") {
		t.Errorf("want one warning then 5 debug lines with a count, logged:\n%s", logged.String())
	}
}

func TestEventBusFailsWhenTheManagerFallsSilent(t *testing.T) {
	t.Parallel()
	// A half-dead connection: the handshake, then nothing, not even a pong.
	fm := newFakeManager(t, func(ctx context.Context, m *managerSide) {
		if m.send(ctx, openPacketFrame(30000, 60000), "40") == nil {
			<-ctx.Done()
		}
	})
	bus := dialTestBus(t, fm, EventBusConfig{PingEvery: time.Second, PongWait: time.Second})
	start := time.Now()
	_, err := bus.Next(testContext(t, 10*time.Second))
	if !errors.Is(err, ErrEventBusSilent) {
		t.Fatalf("Next on a silent bus: %v", err)
	}
	if waited := time.Since(start); waited < 1900*time.Millisecond || waited > 3500*time.Millisecond {
		t.Errorf("a silent bus noticed after %v, want PingEvery+PongWait = 2 s", waited)
	}
	if _, again := bus.Next(context.Background()); again != err {
		t.Errorf("Next after the end: %v, want the same error", again)
	}
}

func TestEventBusCloseEndsAWaitingNext(t *testing.T) {
	t.Parallel()
	// Next answers a ping only while it reads: once the pong came, it waits for the next frame.
	waiting := make(chan struct{})
	fm := newFakeManager(t, handshakeThen(func(ctx context.Context, m *managerSide) {
		if m.send(ctx, "2") == nil {
			if _, ok := m.awaitFrame(ctx, func(f string) bool { return f == "3" }); ok {
				close(waiting)
			}
		}
		<-ctx.Done()
	}))
	bus := dialTestBus(t, fm, EventBusConfig{})
	done := make(chan error, 1)
	go func() {
		_, err := bus.Next(context.Background())
		done <- err
	}()
	<-waiting
	var closers sync.WaitGroup
	for range 3 {
		closers.Add(1)
		go func() { defer closers.Done(); bus.Close() }()
	}
	closers.Wait()
	bus.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrEventBusClosed) {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a waiting Next")
	}
	if _, err := bus.Next(context.Background()); !errors.Is(err, ErrEventBusClosed) {
		t.Errorf("Next on a closed bus: %v", err)
	}
}

func TestEventBusNextEndsWithItsContext(t *testing.T) {
	t.Parallel()
	fm := newFakeManager(t, sendThenWait())
	bus := dialTestBus(t, fm, EventBusConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := bus.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next with a canceled context: %v", err)
	}
}

func TestEventBusEndsWhenTheManagerDoes(t *testing.T) {
	t.Parallel()
	for name, end := range map[string]func(ctx context.Context, m *managerSide){
		"engine.io close":      func(ctx context.Context, m *managerSide) { m.send(ctx, "1") },
		"socket.io disconnect": func(ctx context.Context, m *managerSide) { m.send(ctx, "41") },
		"websocket close":      func(ctx context.Context, m *managerSide) { m.conn.Close(websocket.StatusGoingAway, "bye") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fm := newFakeManager(t, handshakeThen(func(ctx context.Context, m *managerSide) {
				m.send(ctx, numberedJob(1, 0))
				end(ctx, m)
				<-ctx.Done()
			}))
			bus := dialTestBus(t, fm, EventBusConfig{})
			ctx := testContext(t, 10*time.Second)
			if e, err := bus.Next(ctx); err != nil || e.Job == nil {
				t.Fatalf("the event before the end: %+v, %v", e, err)
			}
			if _, err := bus.Next(ctx); !errors.Is(err, ErrEventBusEnded) {
				t.Errorf("after a %s: %v", name, err)
			}
		})
	}
}

func TestDialEventBusSaysWhatWentWrong(t *testing.T) {
	t.Parallel()
	refusing := func(status int, body string) *url.URL {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, body, status) }))
		t.Cleanup(srv.Close)
		base, _ := BaseURL(srv.URL)
		return base
	}
	check := func(name string, base *url.URL, cfg EventBusConfig, sentinel error, wantText string) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := DialEventBus(context.Background(), base, withPings(cfg))
			if !errors.Is(err, sentinel) || !strings.Contains(err.Error(), wantText) {
				t.Errorf("got %v, want %v and %q", err, sentinel, wantText)
			}
			if waited := time.Since(start); waited > handshakeTimeout+2*time.Second {
				t.Errorf("failed after %v, the handshake timeout is %v", waited, handshakeTimeout)
			}
		})
	}
	check("404", refusing(http.StatusNotFound, "no such page"), EventBusConfig{}, ErrEventBusRefused, "404 Not Found: no such page")
	check("proxy 400", refusing(http.StatusBadRequest, "websockets not allowed"), EventBusConfig{}, ErrEventBusRefused, "400")
	// These two wait for the handshake timeout, 10 s, in parallel with the rest.
	check("TCP only", silentListener(t), EventBusConfig{}, ErrEventBusTimeout, "no handshake within 10s")
	check("upgrade only", newFakeManager(t, func(ctx context.Context, _ *managerSide) { <-ctx.Done() }).baseURL(t), EventBusConfig{}, ErrEventBusTimeout, "no handshake")
	check("not engine.io", newFakeManager(t, replayFrames(`{"hello":"world"}`)).baseURL(t), EventBusConfig{}, ErrBadFrame, "unknown Engine.IO packet type")
	check("garbled open packet", newFakeManager(t, replayFrames(`0{"sid":5,"upgrades":"none","pingInterval":"soon"}`, "40")).baseURL(t),
		EventBusConfig{}, ErrBadFrame, "open packet")
	check("no connect", newFakeManager(t, replayFrames(openPacketFrame(30000, 60000), numberedJob(1, 0))).baseURL(t), EventBusConfig{}, ErrEventBusProtocol, "no Socket.IO connect")
	check("closed port", closedPort(t), EventBusConfig{}, ErrEventBusUnreachable, "refused")
	t.Run("network error", func(t *testing.T) {
		t.Parallel()
		var opErr *net.OpError
		if _, err := DialEventBus(context.Background(), closedPort(t), withPings(EventBusConfig{})); !errors.As(err, &opErr) {
			t.Errorf("a closed port: %v, want a *net.OpError inside", err)
		}
	})
	t.Run("no pings", func(t *testing.T) {
		t.Parallel()
		if _, err := DialEventBus(context.Background(), closedPort(t), EventBusConfig{PingEvery: time.Second}); err == nil {
			t.Error("a dial without PongWait succeeded")
		}
	})
	t.Run("canceled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := DialEventBus(ctx, silentListener(t), withPings(EventBusConfig{})); !errors.Is(err, context.Canceled) || errors.Is(err, ErrEventBusTimeout) {
			t.Errorf("a canceled dial: %v", err)
		}
	})
}

// replayFrames is a script that sends frames as they are, no handshake, then waits.
func replayFrames(frames ...string) func(ctx context.Context, m *managerSide) {
	return func(ctx context.Context, m *managerSide) {
		if m.send(ctx, frames...) == nil {
			<-ctx.Done()
		}
	}
}

// silentListener accepts TCP connections and never answers.
func silentListener(t *testing.T) *url.URL {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		listener.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	base, _ := BaseURL("http://" + listener.Addr().String())
	return base
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) *url.URL {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listener.Close()
	base, _ := BaseURL("http://" + listener.Addr().String())
	return base
}

// golang-socketio reads frames of any size (gorilla/websocket without a read limit); this client
// stops at maxBusFrameBytes.
func TestEventBusFrameLimitIsExact(t *testing.T) {
	t.Parallel()
	const limit = maxBusFrameBytes
	atLimit := numberedJob(1, limit-len(numberedJob(1, 0)))
	fm := newFakeManager(t, sendThenWait(atLimit, numberedJob(2, limit)))
	bus := dialTestBus(t, fm, EventBusConfig{})
	ctx := testContext(t, 10*time.Second)
	if e, err := bus.Next(ctx); err != nil || e.Job == nil || len(atLimit) != limit {
		t.Fatalf("a frame of exactly the limit: %+v, %v", e.Job != nil, err)
	}
	_, err := bus.Next(ctx)
	if !errors.Is(err, ErrEventBusFrameTooLarge) || !strings.Contains(err.Error(), "over 1048576 bytes") {
		t.Errorf("a frame over the limit: %v", err)
	}
}

// A slow consumer slows the Manager down: nothing is read while Next is not called, so the
// Manager's writes block instead of the client's memory filling up.
func TestEventBusAppliesBackPressure(t *testing.T) {
	t.Parallel()
	const n, pad = 5000, 2048 // 10 MB: more than loopback's socket buffers hold
	blocked := make(chan int, 1)
	fm := newFakeManager(t, handshakeThen(func(ctx context.Context, m *managerSide) {
		for i := range n {
			writeCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			err := m.conn.Write(writeCtx, websocket.MessageText, []byte(numberedJob(i, pad)))
			cancel()
			if err != nil {
				blocked <- i
				return
			}
		}
		blocked <- n
		<-ctx.Done()
	}))
	bus := dialTestBus(t, fm, EventBusConfig{})
	sent := <-blocked // the consumer has not called Next yet
	if sent == n {
		t.Fatalf("the Manager wrote all %d frames to a consumer that reads none", n)
	}
	t.Logf("the Manager's write blocked after %d of %d frames (%d KiB)", sent, n, sent*(pad+150)/1024)
	// What reached the client before the Manager gave up is still delivered, in order.
	ctx := testContext(t, 10*time.Second)
	for i := 0; ; i++ {
		e, err := bus.Next(ctx)
		if err != nil {
			if i > sent {
				t.Errorf("%d events delivered, only %d were sent", i, sent)
			}
			break
		}
		if e.Job.Priority != i {
			t.Fatalf("event %d came as %d", i, e.Job.Priority)
		}
	}
}

// Not parallel: it counts the process's goroutines.
func TestEventBusDeliversAFloodInOrder(t *testing.T) {
	const n = 10000
	before := runtime.NumGoroutine()
	fm := newFakeManager(t, handshakeThen(func(ctx context.Context, m *managerSide) {
		for i := range n {
			if m.send(ctx, numberedJob(i, 0)) != nil {
				return
			}
		}
		<-ctx.Done()
	}))
	bus := dialTestBus(t, fm, EventBusConfig{Subscriptions: []string{"allJobs"}})
	ctx := testContext(t, 30*time.Second)
	peak := 0
	for i := range n {
		e, err := bus.Next(ctx)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if e.Job.Priority != i {
			t.Fatalf("event %d came as %d: out of order", i, e.Job.Priority)
		}
		if i%500 == 0 {
			peak = max(peak, runtime.NumGoroutine()-before)
		}
	}
	bus.Close()
	<-fm.finished
	fm.Close()
	// The server's goroutines, the client's pinger and coder/websocket's: a handful, not one per frame.
	if peak > 8 {
		t.Errorf("goroutines grew by %d during the flood", peak)
	}
	if after := waitForGoroutines(func(g int) bool { return g <= before }); after > before {
		t.Errorf("%d goroutines after Close, %d before", after, before)
	}
	t.Logf("%d events in order; goroutines: %d before, at most %d more during the flood", n, before, peak)
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
