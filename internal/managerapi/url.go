package managerapi

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// BaseURL reduces a LOCATION or a Manager URL to scheme://host:port, the root every Manager endpoint
// hangs off. Only http and https without user info are accepted: the result is fetched and may be
// opened in a browser. It is the one normaliser of Manager addresses: discovery keys its registry by
// it, and the REST and event-bus clients build their requests on it.
func BaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: only http and https are used", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %q: user info is not accepted", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("URL %q has no host", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return nil, fmt.Errorf("URL %q: zoned IPv6 addresses are not used", raw)
		}
		host = addr.Unmap().String()
	} else {
		host = strings.ToLower(host)
	}
	return &url.URL{Scheme: u.Scheme, Host: net.JoinHostPort(host, port)}, nil
}

// EventBusURL is the Manager's Socket.IO endpoint (Engine.IO 3 over a websocket) for base:
// ws://host:port/socket.io/?EIO=3&transport=websocket (wss for https).
func EventBusURL(base *url.URL) string {
	scheme := "ws"
	if base.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + base.Host + "/socket.io/?EIO=3&transport=websocket"
}
