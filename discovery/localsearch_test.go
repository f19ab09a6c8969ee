package discovery

import (
	"net/netip"
	"testing"
)

func TestLocationOnThisMachine(t *testing.T) {
	t.Parallel()
	local := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.77.0.1"), netip.MustParseAddr("fd00::1")}
	tests := []struct {
		location string
		want     bool
	}{
		{"http://127.0.0.1:8080/upnp/description.xml", true},
		{"http://127.0.0.2:8080/upnp/description.xml", true}, // all of 127/8 is this machine
		{"http://[::1]:8080/upnp/description.xml", true},
		{"http://10.77.0.1:8080/upnp/description.xml", true},
		{"http://[fd00::1]:8080/upnp/description.xml", true},
		{"http://localhost:8080/", true},
		{"http://10.77.0.1:9090/upnp/description.xml", false}, // another Manager on this machine
		{"http://10.77.0.2:8080/upnp/description.xml", false}, // another machine
		{"http://10.77.0.1/upnp/description.xml", false},      // port 80
		{"http://farm.example:8080/", false},                  // names are not resolved
		{"ftp://127.0.0.1:8080/", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := locationOnThisMachine(tt.location, "8080", local); got != tt.want {
			t.Errorf("locationOnThisMachine(%q, 8080) = %v, want %v", tt.location, got, tt.want)
		}
	}
}
