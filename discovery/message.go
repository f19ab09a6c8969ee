package discovery

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// AnswerKind says what an SSDP message announced.
type AnswerKind string

const (
	// SearchResponse is a unicast "HTTP/1.1 200 OK" answer to an M-SEARCH.
	SearchResponse AnswerKind = "response"
	// AliveNotify is a multicast NOTIFY ssdp:alive.
	AliveNotify AnswerKind = "alive"
	// ByebyeNotify is a multicast NOTIFY ssdp:byebye.
	ByebyeNotify AnswerKind = "byebye"
)

// Answer is an SSDP message that says a Flamenco Manager is (or no longer is) at a LOCATION.
type Answer struct {
	Kind     AnswerKind
	Location string
	USN      string
	MaxAge   time.Duration
	// Source is the address the datagram came from: the machine that sent it, whatever LOCATION says.
	Source netip.AddrPort
}

// maxSSDPMessage bounds what is parsed: real answers are under 300 bytes.
const maxSSDPMessage = 2048

const flamencoUSN = "uuid:" + DeviceUUID + "::" + ServiceType

var (
	errNotFlamenco = errors.New("not a Flamenco Manager message")
	errNotSSDP     = errors.New("not an SSDP message")
)

// ParseAnswer parses a datagram received from src. It returns errNotFlamenco (wrapped) for well-formed
// SSDP messages about other devices and services, and other errors for malformed ones.
func ParseAnswer(payload []byte, src netip.AddrPort) (Answer, error) {
	if len(payload) > maxSSDPMessage {
		return Answer{}, fmt.Errorf("%w: %d bytes is too long", errNotSSDP, len(payload))
	}
	startLine, headers, err := parseSSDPHeaders(payload)
	if err != nil {
		return Answer{}, err
	}
	answer := Answer{Source: src, USN: headers["USN"]}
	var target string
	switch {
	case strings.HasPrefix(startLine, "HTTP/1.1 200") || strings.HasPrefix(startLine, "HTTP/1.0 200"):
		answer.Kind = SearchResponse
		target = headers["ST"]
	case startLine == "NOTIFY * HTTP/1.1":
		target = headers["NT"]
		switch strings.ToLower(headers["NTS"]) {
		case "ssdp:alive":
			answer.Kind = AliveNotify
		case "ssdp:byebye":
			answer.Kind = ByebyeNotify
		default:
			return Answer{}, fmt.Errorf("%w: NOTIFY with NTS %q", errNotSSDP, headers["NTS"])
		}
	case strings.HasPrefix(startLine, "M-SEARCH "):
		return Answer{}, fmt.Errorf("%w: an M-SEARCH", errNotFlamenco)
	default:
		return Answer{}, fmt.Errorf("%w: start line %q", errNotSSDP, startLine)
	}
	if target != ServiceType || !strings.EqualFold(answer.USN, flamencoUSN) {
		return Answer{}, fmt.Errorf("%w: target %q, USN %q", errNotFlamenco, target, answer.USN)
	}
	answer.Location = headers["LOCATION"]
	if answer.Location == "" && answer.Kind != ByebyeNotify {
		return Answer{}, fmt.Errorf("%w: no LOCATION", errNotSSDP)
	}
	answer.MaxAge = parseMaxAge(headers["CACHE-CONTROL"])
	return answer, nil
}

// parseSSDPHeaders splits an HTTP-over-UDP message into its start line and upper-cased headers.
// It accepts LF as well as CRLF line ends; a repeated header keeps its first value.
func parseSSDPHeaders(payload []byte) (string, map[string]string, error) {
	text := string(payload)
	if i := strings.Index(text, "\r\n\r\n"); i >= 0 {
		text = text[:i]
	} else if i := strings.Index(text, "\n\n"); i >= 0 {
		text = text[:i]
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	startLine := strings.TrimSpace(lines[0])
	if startLine == "" {
		return "", nil, fmt.Errorf("%w: empty", errNotSSDP)
	}
	headers := make(map[string]string, len(lines))
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return "", nil, fmt.Errorf("%w: header line without colon", errNotSSDP)
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		if _, dup := headers[name]; !dup {
			headers[name] = strings.TrimSpace(value)
		}
	}
	return startLine, headers, nil
}

// parseMaxAge reads max-age from a CACHE-CONTROL value; 0 when absent or invalid.
func parseMaxAge(cacheControl string) time.Duration {
	for _, directive := range strings.Split(cacheControl, ",") {
		name, value, ok := strings.Cut(directive, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "max-age") {
			continue
		}
		seconds, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || seconds < 0 || seconds > 7*24*3600 {
			return 0
		}
		return time.Duration(seconds) * time.Second
	}
	return 0
}

// buildMSearch builds an M-SEARCH for Flamenco Managers. mx is how many seconds a responder may wait.
func buildMSearch(mx int) []byte {
	return []byte("M-SEARCH * HTTP/1.1\r\n" +
		"HOST: " + MulticastAddress + "\r\n" +
		"MAN: \"ssdp:discover\"\r\n" +
		"MX: " + strconv.Itoa(mx) + "\r\n" +
		"ST: " + ServiceType + "\r\n\r\n")
}

// buildByebye builds a NOTIFY ssdp:byebye. It keeps LOCATION (not required by UPnP, and ignored by
// those who don't use it) because every Flamenco Manager shares one USN: LOCATION says which one left.
func buildByebye(location string) []byte {
	return []byte("NOTIFY * HTTP/1.1\r\n" +
		"HOST: " + MulticastAddress + "\r\n" +
		"NT: " + ServiceType + "\r\n" +
		"NTS: ssdp:byebye\r\n" +
		"USN: " + flamencoUSN + "\r\n" +
		"LOCATION: " + location + "\r\n\r\n")
}
