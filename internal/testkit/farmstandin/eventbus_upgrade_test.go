package farmstandin_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// A GET of the event bus that is not a websocket handshake, as a reverse proxy without the websocket
// headers forwards one (HTTP/1.0, "Connection: close", no Upgrade), is refused by the stand-in
// exactly as by golang-socketio, the library the Manager serves its event bus with: same status,
// same headers that matter, same body. Nothing is connected. testdata/golang-socketio/<case>.txt is
// the library's answer to each case (github.com/graarh/golang-socketio 2c44953 on gorilla/websocket
// v1.5.3, the Manager's, served by httptest; the Date header left out).
func TestEventBusRefusesAPlainGETAsGolangSocketIO(t *testing.T) {
	farm := farmstandin.New("Bus Farm", farmstandin.WithVersion("3.8.5"))
	standIn := farmstandin.Serve(t, farm)

	const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	for name, head := range map[string]string{
		"nginx-without-websocket-headers": "GET /socket.io/?EIO=3&transport=websocket HTTP/1.0\r\n" +
			"Connection: close\r\nSec-WebSocket-Version: 13\r\n" + key,
		"no-upgrade-header": "GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\n" +
			"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" + key,
		"another-websocket-version": "GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\n" +
			"Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\n" + key,
		"key-too-short": "GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\n" +
			"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n",
	} {
		want := capturedAnswer(t, name)
		got := rawExchange(t, standIn.URL, head)
		if got.status != want.status || got.contentType != want.contentType || got.body != want.body {
			t.Errorf("%s:\n stand-in        %d %q %q\n golang-socketio %d %q %q", name,
				got.status, got.contentType, got.body, want.status, want.contentType, want.body)
		}
	}
	stats, bus := farm.Stats(), farm.EventBusStats()
	if bus.Total != 0 || stats.AllByRoute["GET /socket.io/"] != 4 {
		t.Errorf("%d connections; requests %v", bus.Total, stats.AllByRoute)
	}
}

// capturedAnswer reads golang-socketio's answer to a case.
func capturedAnswer(t *testing.T, name string) rawAnswer {
	t.Helper()
	file, err := os.Open("testdata/golang-socketio/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	return readAnswer(t, bufio.NewReader(file))
}

type rawAnswer struct {
	status            int
	contentType, body string
}

// rawExchange sends a request head as it is (with the server's Host) and reads the answer.
func rawExchange(t *testing.T, base, head string) rawAnswer {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head+"Host: "+u.Host+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, bufio.NewReader(conn))
}

// readAnswer reads one HTTP answer.
func readAnswer(t *testing.T, r *bufio.Reader) rawAnswer {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}
}
