package discovery

import (
	"net/netip"
	"net/url"
	"slices"
	"testing"
)

// A Manager on this machine is advertised at its LAN addresses, or at loopback when it has none;
// never at a link-local one.
func TestLocalLocations(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("http://localhost:8080/")
	addrs := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	hosts := func(urls []url.URL) []string {
		var out []string
		for _, u := range urls {
			out = append(out, u.String())
		}
		return out
	}
	tests := []struct {
		in   []netip.Addr
		want []string
	}{
		{addrs("127.0.0.1", "::1", "10.77.0.2", "fe80::1", "fd00::2"), []string{"http://10.77.0.2:8080", "http://[fd00::2]:8080"}},
		{addrs("127.0.0.1", "::1"), []string{"http://127.0.0.1:8080", "http://[::1]:8080"}},
		{addrs("169.254.3.4", "127.0.0.1"), []string{"http://127.0.0.1:8080"}},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := hosts(localLocations(base, tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("localLocations(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
