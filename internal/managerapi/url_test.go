package managerapi

import (
	"strings"
	"testing"
)

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
