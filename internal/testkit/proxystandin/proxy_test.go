package proxystandin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/proxystandin"
)

func eventBusURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "socket.io/?EIO=3&transport=websocket"
}

// Through nginx's copy-paste config a websocket upgrade reaches the Manager as a plain GET, which
// golang-socketio refuses with 503; the client gets that refusal, from nginx. No connection opens.
func TestProxyWithoutWebsocketHeadersGetsTheUpgradeRefused(t *testing.T) {
	farm := farmstandin.New("Proxied Farm", farmstandin.WithVersion("3.8.5"))
	proxy := proxystandin.Serve(t, farmstandin.Serve(t, farm).URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, eventBusURL(proxy.URL), nil)
	if err == nil {
		conn.CloseNow()
		t.Fatal("the upgrade went through")
	}
	if resp == nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	want := "Upgrade failed: websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header\n"
	if resp.StatusCode != http.StatusServiceUnavailable || string(body) != want || resp.Header.Get("Server") != proxystandin.Server {
		t.Errorf("answer %s %q %v", resp.Status, body, resp.Header)
	}
	stats := proxy.Stats()
	if stats.Requests != 1 || stats.ByRoute["GET /socket.io/"] != 1 || stats.ByStatus[503] != 1 || stats.Upgrades != 0 {
		t.Errorf("proxy counted %+v", stats)
	}
	if bus := farm.EventBusStats(); bus.Total != 0 || farm.Stats().AllByRoute["GET /socket.io/"] != 1 {
		t.Errorf("the Manager connected %d, was asked %v", bus.Total, farm.Stats().AllByRoute)
	}
}

// The upstream gets each request as nginx forwards it: HTTP/1.0 (1.1 with the websocket recipe),
// its own Host, Connection: close, no hop-by-hop headers (Upgrade only with the recipe); the client
// gets the answer with nginx's Server header instead of the upstream's.
func TestProxyForwardsAsNginx(t *testing.T) {
	type seen struct {
		proto, host, connection, upgrade, custom string
	}
	requests := make(chan seen, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests <- seen{r.Proto, r.Host, r.Header.Get("Connection"), r.Header.Get("Upgrade"), r.Header.Get("X-Custom")}
		w.Header().Set("Server", "upstream")
		w.Header().Set("X-Answer", "yes")
		io.WriteString(w, "hello")
	}))
	defer upstream.Close()
	host := strings.TrimPrefix(upstream.URL, "http://")
	for _, tc := range []struct {
		opts []proxystandin.Option
		want seen
	}{
		{nil, seen{"HTTP/1.0", host, "close", "", "kept"}},
		{[]proxystandin.Option{proxystandin.PassWebsockets()}, seen{"HTTP/1.1", host, "upgrade", "foo", "kept"}},
	} {
		proxy := proxystandin.Serve(t, upstream.URL+"/ignored/path")
		if tc.opts != nil {
			proxy = proxystandin.Serve(t, upstream.URL, tc.opts...)
		}
		req, _ := http.NewRequest("GET", proxy.URL+"api/v3/jobs/0fb15e79-a2e0-49ce-9d3c-5a4b2d1e0f00?x=1", nil)
		req.Header.Set("Upgrade", "foo")
		req.Header.Set("Connection", "Upgrade, Keep-Alive")
		req.Header.Set("Keep-Alive", "timeout=5")
		req.Header.Set("X-Custom", "kept")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := <-requests; got != tc.want {
			t.Errorf("upstream saw %+v, want %+v", got, tc.want)
		}
		if string(body) != "hello" || resp.Header.Get("Server") != proxystandin.Server || resp.Header.Get("X-Answer") != "yes" {
			t.Errorf("client got %s %q %v", resp.Status, body, resp.Header)
		}
		if got := proxy.Stats().ByRoute; got["GET /api/v3/jobs/{id}"] != 1 {
			t.Errorf("routes %v", got)
		}
	}
}

// With the websocket recipe the event bus connects through the proxy; CutUpgradedAfter closes it
// that long after the upgrade, and the Manager sees it close.
func TestProxyCutsUpgradedConnectionsAfterTheirTime(t *testing.T) {
	farm := farmstandin.New("Proxied Farm", farmstandin.WithVersion("3.8.5"))
	const cut = 300 * time.Millisecond
	proxy := proxystandin.Serve(t, farmstandin.Serve(t, farm).URL, proxystandin.PassWebsockets(),
		proxystandin.CutUpgradedAfter(cut))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	conn, _, err := websocket.Dial(ctx, eventBusURL(proxy.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if _, open, err := conn.Read(ctx); err != nil || !strings.HasPrefix(string(open), `0{"sid":`) {
		t.Fatalf("open packet %q, %v", open, err)
	}
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			break
		}
	}
	if lasted := time.Since(began); lasted < cut || ctx.Err() != nil {
		t.Errorf("the connection ended after %v; cut after %v", lasted, cut)
	}
	if stats := proxy.Stats(); stats.Upgrades != 1 || stats.Cut != 1 || stats.ByStatus[101] != 1 {
		t.Errorf("proxy counted %+v", stats)
	}
	for farm.EventBusStats().Open != 0 {
		if ctx.Err() != nil {
			t.Fatal("the Manager did not see the connection close")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if total := farm.EventBusStats().Total; total != 1 {
		t.Errorf("the Manager had %d connections", total)
	}
}

// An upstream that is down is nginx's 502 page; one that does not answer within the read timeout,
// its 504.
func TestProxyAnswersItsOwnPagesForAnUpstreamDownOrSilent(t *testing.T) {
	farm := farmstandin.New("Proxied Farm", farmstandin.WithVersion("3.8.5"))
	manager := farmstandin.Serve(t, farm)
	proxy := proxystandin.Serve(t, manager.URL, proxystandin.WithReadTimeout(200*time.Millisecond))
	get := func() (int, string) {
		resp, err := http.Get(proxy.URL + "api/v3/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	farm.SetMode(farmstandin.Slow)
	if status, body := get(); status != 504 || !strings.Contains(body, "<h1>504 Gateway Time-out</h1>") {
		t.Errorf("silent Manager: %d %q", status, body)
	}
	farm.SetMode(farmstandin.Normal)
	manager.Down()
	if status, body := get(); status != 502 || !strings.Contains(body, "<h1>502 Bad Gateway</h1>") {
		t.Errorf("Manager down: %d %q", status, body)
	}
	if u, _ := url.Parse(proxy.URL); u.Hostname() != "127.0.0.1" {
		t.Errorf("proxy at %s", proxy.URL)
	}
}
