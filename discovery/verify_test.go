package discovery

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

func versionBody(t testing.TB) []byte {
	t.Helper()
	raw := readFixture(t, "http-api-v3-version.txt")
	_, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("fixture has no body")
	}
	return body
}

// The Prober's HTTP tests use a real HTTP server on loopback; no SSDP socket is opened.
func TestProberVerifiesAndRejects(t *testing.T) {
	t.Parallel()
	body := versionBody(t)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ok/api/v3/version", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	mux.HandleFunc("/hang/api/v3/version", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/big/api/v3/version", func(w http.ResponseWriter, r *http.Request) {
		// Four times what the Prober reads: enough to be refused, little enough to fit in the
		// sockets' buffers, so the write ends though the Prober stops reading (under Wine a write
		// to a peer that closed can block instead of failing).
		w.Write(bytes.Repeat([]byte("x"), 4*maxVersionBody))
	})
	mux.HandleFunc("/loop/api/v3/version", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	})
	mux.HandleFunc("/shape/api/v3/version", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("/missing/", http.NotFound)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.WriteTimeout = 10 * time.Second // a handler stuck writing still ends before Close waits on it
	srv.Start()
	t.Cleanup(srv.Close)
	// Registered after srv.Close, so it runs before it: Close waits for the hung handler, which must
	// not depend on seeing the client go (Wine's sockets do not always tell the server in time).
	t.Cleanup(func() { close(release) })

	prober := NewProber(300 * time.Millisecond)
	base, _ := managerapi.BaseURL(srv.URL)
	for _, tt := range []struct {
		path, wantErr string
	}{
		{"/ok", ""},
		{"/hang", "no answer within"},
		{"/big", "more than"},
		{"/loop", "302"},
		{"/shape", "lacks name"},
		{"/missing", "404"},
	} {
		info, err := prober.Probe(context.Background(), base.JoinPath(tt.path))
		if tt.wantErr == "" {
			if err != nil || info.Name != "Flamenco-netns-test" {
				t.Errorf("%s: got %+v, %v", tt.path, info, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.path, err, tt.wantErr)
		}
	}
}
