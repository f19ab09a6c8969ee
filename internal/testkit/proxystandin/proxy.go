// Package proxystandin is a test harness, not product code: a reverse proxy in front of a stand-in
// Manager that behaves as nginx does with the configuration studios copy and paste,
//
//	location / { proxy_pass http://127.0.0.1:8080; }
//
// and, with PassWebsockets, as nginx with its websocket recipe added (proxy_http_version 1.1 and the
// Upgrade and Connection headers set). It counts what passes through it (Stats), so that a test or a
// benchmark measures what a tray asks of a Manager from outside the tray.
//
// As nginx without the recipe, it forwards each request to the upstream as HTTP/1.0 on a connection
// of its own, with "Host: <upstream>" and "Connection: close", and without the headers nginx never
// passes (Upgrade, Keep-Alive, TE, Expect, Transfer-Encoding): so a websocket upgrade reaches the
// Manager as a plain GET, which the Manager refuses (503 from golang-socketio, see farmstandin), and
// the client gets that refusal. Answers go back with nginx's Server header, the upstream's Server and
// Date dropped; an upstream that cannot be reached is nginx's 502 page, one that does not answer for
// the read timeout (60 s, proxy_read_timeout) its 504 page.
//
// With PassWebsockets an upgrade is forwarded as HTTP/1.1 with "Upgrade" and "Connection: upgrade",
// and once the upstream answers 101 the two connections are joined byte for byte until either ends,
// or no byte comes from the upstream for the read timeout, or CutUpgradedAfter's time is up: a
// proxy or load balancer with a short timeout.
package proxystandin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the Server header nginx answers with.
const Server = "nginx/1.24.0"

// Option changes how a Proxy behaves.
type Option func(*config)

type config struct {
	passWebsockets bool
	cutAfter       time.Duration
	readTimeout    time.Duration
}

// PassWebsockets forwards websocket upgrades, as nginx with proxy_http_version 1.1 and
// proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade".
func PassWebsockets() Option { return func(c *config) { c.passWebsockets = true } }

// CutUpgradedAfter closes each upgraded connection, both ways, d after its 101 (with
// PassWebsockets; without it nothing is upgraded).
func CutUpgradedAfter(d time.Duration) Option { return func(c *config) { c.cutAfter = d } }

// WithReadTimeout sets nginx's proxy_read_timeout (default 60 s): the longest wait for the upstream
// between two reads, for an answer (then 504) as for an upgraded connection (then it is closed).
func WithReadTimeout(d time.Duration) Option { return func(c *config) { c.readTimeout = d } }

// Proxy is a reverse proxy in front of one upstream. Safe for concurrent use.
type Proxy struct {
	URL string // http://127.0.0.1:port/

	cfg      config
	upstream string // host:port
	srv      *http.Server

	mu      sync.Mutex
	stats   Stats
	tunnels map[*tunnel]struct{}
	closed  bool
	wg      sync.WaitGroup // the tunnels' goroutines
}

// Stats counts what the proxy passed.
type Stats struct {
	Requests int            // client requests, counted as they arrive (upgrades included)
	ByRoute  map[string]int // by method and path, ids as {id}, no query: "GET /api/v3/jobs/{id}"
	ByStatus map[int]int    // answers by status: 101 for an upgrade, 502 and 504 the proxy's own
	Upgrades int            // upgrades passed (the upstream answered 101)
	Cut      int            // upgraded connections closed by CutUpgradedAfter
	TimedOut int            // upgraded connections closed after the read timeout without a byte from the upstream
}

// Serve starts a proxy to upstream (a URL: only its host and port are used) on a free loopback
// port, closed when the test ends.
func Serve(tb testing.TB, upstream string, opts ...Option) *Proxy {
	tb.Helper()
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		tb.Fatalf("proxy stand-in: upstream %q: not a URL with a host", upstream)
	}
	cfg := config{readTimeout: 60 * time.Second}
	for _, opt := range opts {
		opt(&cfg)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy stand-in: %v", err)
	}
	p := &Proxy{URL: "http://" + listener.Addr().String() + "/", cfg: cfg, upstream: u.Host,
		tunnels: map[*tunnel]struct{}{}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 60 * time.Second}
	go p.srv.Serve(listener)
	tb.Cleanup(p.Close)
	return p
}

// Close stops the proxy, closes every connection through it and waits for them to end.
func (p *Proxy) Close() {
	p.srv.Close() // upgraded connections are hijacked: Close leaves them
	p.mu.Lock()
	p.closed = true
	tunnels := make([]*tunnel, 0, len(p.tunnels))
	for t := range p.tunnels {
		tunnels = append(tunnels, t)
	}
	p.mu.Unlock()
	for _, t := range tunnels { // without p.mu: a cut closing one at this moment counts under it
		t.close(nil)
	}
	p.wg.Wait()
}

// Stats returns a copy of the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.ByRoute, s.ByStatus = map[string]int{}, map[int]int{}
	for k, v := range p.stats.ByRoute {
		s.ByRoute[k] = v
	}
	for k, v := range p.stats.ByStatus {
		s.ByStatus[k] = v
	}
	return s
}

// ResetStats sets the counts to zero.
func (p *Proxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = Stats{}
}

// route is how Stats names a request: its method and path, each segment that is a UUID as {id}.
func route(r *http.Request) string {
	segments := strings.Split(r.URL.Path, "/")
	for i, s := range segments {
		if isUUID(s) {
			segments[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(segments, "/")
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		dash := i == 8 || i == 13 || i == 18 || i == 23
		if dash != (c == '-') || !dash && !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func (p *Proxy) count(update func(s *Stats)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stats.ByRoute == nil {
		p.stats.ByRoute, p.stats.ByStatus = map[string]int{}, map[int]int{}
	}
	update(&p.stats)
}

// ServeHTTP forwards one request (proxy_pass).
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.count(func(s *Stats) { s.Requests++; s.ByRoute[route(r)]++ })
	dialer := net.Dialer{Timeout: p.cfg.readTimeout} // proxy_connect_timeout, 60 s as well
	conn, err := dialer.DialContext(r.Context(), "tcp", p.upstream)
	if err != nil {
		p.serveError(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	upstream := &idleConn{Conn: conn, timeout: p.cfg.readTimeout}
	resp, fromUpstream, err := p.exchange(upstream, r)
	switch {
	case errors.Is(err, errTooLarge):
		conn.Close()
		p.serveError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	case err != nil:
		conn.Close()
		if netErr := net.Error(nil); errors.As(err, &netErr) && netErr.Timeout() {
			p.serveError(w, http.StatusGatewayTimeout, "Gateway Time-out")
			return
		}
		p.serveError(w, http.StatusBadGateway, "Bad Gateway")
		return
	case resp.StatusCode == http.StatusSwitchingProtocols && p.cfg.passWebsockets:
		p.join(w, upstream, fromUpstream, resp)
		return
	case resp.StatusCode == http.StatusSwitchingProtocols:
		conn.Close() // nginx forwarded no Upgrade: an upstream that switches anyway is broken
		p.serveError(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	defer conn.Close()
	defer resp.Body.Close()
	p.count(func(s *Stats) { s.ByStatus[resp.StatusCode]++ })
	copyAnswerHeader(w.Header(), resp.Header)
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", fmt.Sprint(resp.ContentLength))
	}
	w.WriteHeader(resp.StatusCode)
	copyBody(w, resp.Body)
}

// serveError answers with nginx's own page for status.
func (p *Proxy) serveError(w http.ResponseWriter, status int, text string) {
	p.count(func(s *Stats) { s.ByStatus[status]++ })
	page := fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"+
		"<hr><center>%s</center>\r\n</body>\r\n</html>\r\n", status, text, status, text, Server)
	w.Header().Set("Server", Server)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", fmt.Sprint(len(page)))
	w.WriteHeader(status)
	fmt.Fprint(w, page)
}

// idleConn is a connection to the upstream whose every read waits at most timeout
// (proxy_read_timeout is the longest wait between two reads, not for the whole answer).
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}
