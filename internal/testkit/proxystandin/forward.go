package proxystandin

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxBody is nginx's client_max_body_size (1 MB): a larger request body is answered 413.
const maxBody = 1 << 20

// neverPassed are the request headers nginx does not pass to the upstream (its proxy module's
// defaults, Host and Connection set anew), and what the proxy sets itself (Content-Length).
var neverPassed = []string{"Host", "Connection", "Keep-Alive", "Proxy-Connection", "Upgrade", "Te", "Trailer",
	"Transfer-Encoding", "Expect", "Content-Length"}

// notReturned are the answer headers that do not go back to the client as the upstream gave them:
// the hop-by-hop ones, and Server and Date, which nginx writes itself (proxy_hide_header's defaults).
var notReturned = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Upgrade", "Te", "Trailer",
	"Transfer-Encoding", "Content-Length", "Server", "Date"}

// exchange sends r to the upstream as nginx forwards it and reads the answer's head; the reader
// holds what the upstream sent after it (an upgraded connection's first bytes).
func (p *Proxy) exchange(upstream net.Conn, r *http.Request) (*http.Response, *bufio.Reader, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read the request's body: %w", err)
	}
	if len(body) > maxBody {
		return nil, nil, errTooLarge
	}
	version, connection := "HTTP/1.0", "close"
	header := r.Header.Clone()
	for _, name := range neverPassed {
		header.Del(name)
	}
	for name, values := range header {
		if len(values) == 1 && values[0] == "" {
			header.Del(name) // nginx passes no header whose value is empty
		}
	}
	if p.cfg.passWebsockets {
		version = "HTTP/1.1"
		if upgrade := r.Header.Get("Upgrade"); upgrade != "" {
			header.Set("Upgrade", upgrade)
			connection = "upgrade"
		}
	}
	if len(body) > 0 || r.Method == http.MethodPost || r.Method == http.MethodPut {
		header.Set("Content-Length", fmt.Sprint(len(body)))
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s %s\r\nHost: %s\r\nConnection: %s\r\n", r.Method, r.URL.RequestURI(), version,
		p.upstream, connection)
	header.Write(&head)
	head.WriteString("\r\n")
	head.Write(body)
	if _, err := upstream.Write(head.Bytes()); err != nil {
		return nil, nil, err
	}
	reader := bufio.NewReader(upstream)
	resp, err := http.ReadResponse(reader, &http.Request{Method: r.Method})
	return resp, reader, err
}

var errTooLarge = errors.New("request body larger than client_max_body_size")

// copyAnswerHeader copies an answer's end-to-end headers and names the proxy as the server.
func copyAnswerHeader(dst, src http.Header) {
	for name, values := range src {
		dst[name] = append([]string(nil), values...)
	}
	for _, name := range notReturned {
		dst.Del(name)
	}
	dst.Set("Server", Server)
}

// copyBody sends an answer's body on; a connection that breaks meanwhile just ends it.
func copyBody(w io.Writer, body io.Reader) {
	_, _ = io.Copy(w, body)
}

// tunnel is an upgraded connection: the client's and the upstream's, joined.
type tunnel struct {
	client, upstream net.Conn
	once             sync.Once
}

// close closes both ends, once; why, if not nil, runs first when this call is the one that closes
// them (so that what it counts is counted before either end sees the close).
func (t *tunnel) close(why func()) {
	t.once.Do(func() {
		if why != nil {
			why()
		}
		t.client.Close()
		t.upstream.Close()
	})
}

// join answers the client's upgrade with the upstream's 101 and joins the two connections until
// either ends, the upstream stays silent for the read timeout, or CutUpgradedAfter's time is up.
func (p *Proxy) join(w http.ResponseWriter, upstream net.Conn, fromUpstream *bufio.Reader, resp *http.Response) {
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		p.serveError(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	client, fromClient, err := hijacker.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	t := &tunnel{client: client, upstream: upstream}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		t.close(nil)
		return
	}
	p.tunnels[t] = struct{}{}
	p.stats.Upgrades++
	p.stats.ByStatus[http.StatusSwitchingProtocols]++
	p.wg.Add(1)
	p.mu.Unlock()

	header := http.Header{}
	copyAnswerHeader(header, resp.Header)
	header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	header.Set("Connection", "upgrade")
	header.Set("Upgrade", resp.Header.Get("Upgrade"))
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	header.Write(&head)
	head.WriteString("\r\n")
	if p.cfg.cutAfter > 0 {
		time.AfterFunc(p.cfg.cutAfter, func() { t.close(func() { p.count(func(s *Stats) { s.Cut++ }) }) })
	}
	go func() {
		defer p.wg.Done()
		clientDone := make(chan struct{})
		go func() {
			defer close(clientDone)
			_, _ = io.Copy(upstream, fromClient)
			t.close(nil)
		}()
		_, err := client.Write(head.Bytes())
		if err == nil {
			_, err = io.Copy(client, fromUpstream)
		}
		if netErr := net.Error(nil); errors.As(err, &netErr) && netErr.Timeout() {
			t.close(func() { p.count(func(s *Stats) { s.TimedOut++ }) })
		}
		t.close(nil)
		<-clientDone
		p.mu.Lock()
		delete(p.tunnels, t)
		p.mu.Unlock()
	}()
}
