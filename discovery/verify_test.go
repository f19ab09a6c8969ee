package discovery

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
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

func TestParseVersionReadsCapturedAnswer(t *testing.T) {
	t.Parallel()
	info, err := ParseVersion(versionBody(t))
	if err != nil {
		t.Fatal(err)
	}
	want := VersionInfo{Name: "Flamenco-netns-test", Version: "3.3.1", ShortVersion: "3.3.1", Git: "17b664f15"}
	if info != want {
		t.Errorf("got %+v, want %+v", info, want)
	}
}

func TestParseVersionRejectsWrongShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"name":"x"}`, `{"version":"3.3"}`, `{"name":3,"version":"1"}`,
		`{"name":"\u0000\u202e\u200b","version":"1"}`, `{"name":"` + strings.Repeat("x", 300) + `","version":"1"}`,
		`<html>not json</html>`,
	} {
		if _, err := ParseVersion([]byte(body)); !errors.Is(err, ErrNotAManager) {
			t.Errorf("ParseVersion(%q) err = %v, want ErrNotAManager", body, err)
		}
	}
}

func TestParseVersionCleansWhatIsShown(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, name, version string }{
		{`{"name":"Studio\u202eFarm","version":"3.3.1"}`, "StudioFarm", "3.3.1"},
		{`{"name":"\u2067Studio Farm\u2069\u200b","version":"3.3\u00001"}`, "Studio Farm", "3.31"},
		{`{"name":"Studio\n\tFarm\u2028 2","version":" 3.3.1 "}`, "Studio Farm 2", "3.3.1"},
		{`{"name":"\u001b[31mRed","version":"1"}`, "[31mRed", "1"},
		{`{"name":"` + strings.Repeat("Farm ", 30) + `","version":"` + strings.Repeat("9", 40) + `"}`,
			strings.Repeat("Farm ", 11) + "Farm…", strings.Repeat("9", 23) + "…"},
		{`{"name":"Ферма 渲染 🎬","version":"3.3.1"}`, "Ферма 渲染 🎬", "3.3.1"},
	}
	for _, tt := range tests {
		info, err := ParseVersion([]byte(tt.body))
		if err != nil {
			t.Errorf("ParseVersion(%s): %v", tt.body, err)
			continue
		}
		if info.Name != tt.name || info.Version != tt.version {
			t.Errorf("ParseVersion(%s) = %q %q, want %q %q", tt.body, info.Name, info.Version, tt.name, tt.version)
		}
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, wantErr string }{
		{"http://10.77.0.1:8080/upnp/description.xml", "http://10.77.0.1:8080", ""},
		{"http://[::1]:8080/upnp/description.xml", "http://[::1]:8080", ""},
		{"https://Studio-Farm.local/", "https://studio-farm.local:443", ""},
		{"http://localhost:8080/", "http://localhost:8080", ""},
		{"http://[::ffff:10.0.0.1]:8080/", "http://10.0.0.1:8080", ""},
		{"file:///etc/passwd", "", "only http and https"},
		{"javascript:alert(1)", "", "only http and https"},
		{"http://user:pw@10.0.0.1:8080/", "", "user info"},
		{"http:///nohost", "", "no host"},
		{"http://[fe80::1%25eth0]:8080/", "", "zoned"},
	}
	for _, tt := range tests {
		got, err := BaseURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("BaseURL(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("BaseURL(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
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
	base, _ := BaseURL(srv.URL)
	for _, tt := range []struct {
		path, wantErr string
	}{
		{"/ok", ""},
		{"/hang", "Client.Timeout"},
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

func FuzzParseVersion(f *testing.F) {
	f.Add(versionBody(f))
	f.Add([]byte(`{"name":"x","version":"1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ParseVersion(body)
		if err != nil {
			return
		}
		if info.Name == "" || info.Version == "" {
			t.Errorf("accepted %q without name or version", body)
		}
		for _, field := range []string{info.Name, info.Version, info.ShortVersion, info.Git} {
			if strings.ContainsFunc(field, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) ||
				utf8.RuneCountInString(field) > maxNameRunes {
				t.Errorf("ParseVersion(%q) kept %q: control or format characters, or too long", body, field)
			}
		}
	})
}

func FuzzBaseURL(f *testing.F) {
	for _, seed := range []string{"http://10.77.0.1:8080/upnp/description.xml", "http://[::1]:8080/", "https://farm.local/",
		"file:///etc/passwd", "http://user:pw@host/", "http://[fe80::1%25eth0]:80/", "http://%zz/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := BaseURL(raw)
		if err != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.User != nil || u.Hostname() == "" || u.Port() == "" || u.Path != "" {
			t.Errorf("BaseURL(%q) = %q: not a plain http(s)://host:port", raw, u)
		}
		again, err := BaseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Errorf("BaseURL is not stable on its own output: %q → %q (%v)", u, again, err)
		}
	})
}
