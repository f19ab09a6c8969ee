package discovery

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var managerSource = netip.MustParseAddrPort("10.77.0.1:1900")

func TestParseAnswerReadsCapturedPackets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture  string
		kind     AnswerKind
		location string
	}{
		{"manager-200ok-ipv4loc.txt", SearchResponse, "http://127.0.0.1:8080/upnp/description.xml"},
		{"manager-200ok-ipv6loc.txt", SearchResponse, "http://[::1]:8080/upnp/description.xml"},
		{"veth-manager-200ok-lan.txt", SearchResponse, "http://10.77.0.1:8080/upnp/description.xml"},
		{"veth-manager-200ok-ipv4lo.txt", SearchResponse, "http://127.0.0.1:8080/upnp/description.xml"},
		{"veth-manager-200ok-ipv6lo.txt", SearchResponse, "http://[::1]:8080/upnp/description.xml"},
		{"manager-notify-alive-ipv4loc.txt", AliveNotify, "http://127.0.0.1:8080/upnp/description.xml"},
		{"manager-notify-alive-ipv6loc.txt", AliveNotify, "http://[::1]:8080/upnp/description.xml"},
		{"veth-manager-notify-alive-lan.txt", AliveNotify, "http://10.77.0.1:8080/upnp/description.xml"},
		{"veth-manager-notify-alive-ipv4lo.txt", AliveNotify, "http://127.0.0.1:8080/upnp/description.xml"},
		{"veth-manager-notify-alive-ipv6lo.txt", AliveNotify, "http://[::1]:8080/upnp/description.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			answer, err := ParseAnswer(readFixture(t, tt.fixture), managerSource)
			if err != nil {
				t.Fatalf("ParseAnswer: %v", err)
			}
			if answer.Kind != tt.kind || answer.Location != tt.location {
				t.Errorf("got %v %q, want %v %q", answer.Kind, answer.Location, tt.kind, tt.location)
			}
			if answer.MaxAge != time.Hour {
				t.Errorf("MaxAge = %v, want 1h", answer.MaxAge)
			}
			if answer.Source != managerSource {
				t.Errorf("Source = %v", answer.Source)
			}
		})
	}
}

func TestParseAnswerRejectsWorkerSearch(t *testing.T) {
	t.Parallel()
	for _, fixture := range []string{"worker-msearch.txt", "veth-worker-msearch.txt"} {
		if _, err := ParseAnswer(readFixture(t, fixture), managerSource); !errors.Is(err, errNotFlamenco) {
			t.Errorf("%s: err = %v, want errNotFlamenco", fixture, err)
		}
	}
}

func TestParseAnswerRejectsBadInput(t *testing.T) {
	t.Parallel()
	lan := string(readFixture(t, "veth-manager-200ok-lan.txt"))
	tests := map[string]struct {
		payload string
		want    error
	}{
		"empty":         {"", errNotSSDP},
		"garbage":       {"\x00\x01\x02", errNotSSDP},
		"no colon":      {"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n", errNotSSDP},
		"other device":  {"HTTP/1.1 200 OK\r\nST: urn:flamenco:manager:0\r\nUSN: uuid:1234::urn:flamenco:manager:0\r\nLOCATION: http://10.0.0.1/\r\n\r\n", errNotFlamenco},
		"other service": {"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nUSN: uuid:" + DeviceUUID + "::upnp:rootdevice\r\nLOCATION: http://10.0.0.1/\r\n\r\n", errNotFlamenco},
		"no location":   {"HTTP/1.1 200 OK\r\nST: " + ServiceType + "\r\nUSN: " + flamencoUSN + "\r\n\r\n", errNotSSDP},
		"bad NTS":       {"NOTIFY * HTTP/1.1\r\nNT: " + ServiceType + "\r\nNTS: ssdp:update\r\nUSN: " + flamencoUSN + "\r\n\r\n", errNotSSDP},
		"too long":      {lan + string(make([]byte, maxSSDPMessage)), errNotSSDP},
		"404 answer":    {"HTTP/1.1 404 Not Found\r\n\r\n", errNotSSDP},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseAnswer([]byte(tt.payload), managerSource); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseAnswerAcceptsLFAndOddCase(t *testing.T) {
	t.Parallel()
	payload := "HTTP/1.1 200 OK\nst: " + ServiceType + "\nusn: " + flamencoUSN + "\nLocation: http://10.0.0.9:8080/upnp/description.xml\ncache-control: no-cache, max-age = 120\n\n"
	answer, err := ParseAnswer([]byte(payload), managerSource)
	if err != nil {
		t.Fatal(err)
	}
	if answer.Location != "http://10.0.0.9:8080/upnp/description.xml" || answer.MaxAge != 2*time.Minute {
		t.Errorf("got %+v", answer)
	}
}

func TestBuiltMessagesParse(t *testing.T) {
	t.Parallel()
	search := string(buildMSearch(1))
	if search != "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: urn:flamenco:manager:0\r\n\r\n" {
		t.Errorf("M-SEARCH = %q", search)
	}
	bye, err := ParseAnswer(buildByebye("http://10.0.0.1:8080/upnp/description.xml"), managerSource)
	if err != nil {
		t.Fatal(err)
	}
	if bye.Kind != ByebyeNotify || bye.Location != "http://10.0.0.1:8080/upnp/description.xml" {
		t.Errorf("byebye parsed as %+v", bye)
	}
}

func FuzzParseAnswer(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		answer, err := ParseAnswer(payload, managerSource)
		if err != nil {
			return
		}
		if answer.Location == "" && answer.Kind != ByebyeNotify {
			t.Errorf("accepted an answer without LOCATION: %q", payload)
		}
	})
}
