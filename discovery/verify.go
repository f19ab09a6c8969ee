package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// VersionInfo is what a Flamenco Manager answers on /api/v3/version.
type VersionInfo struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	ShortVersion string `json:"shortversion,omitempty"`
	Git          string `json:"git,omitempty"`
}

// DisplayVersion is the version to show a person: the short one when the Manager has it.
func (v VersionInfo) DisplayVersion() string {
	if v.ShortVersion != "" {
		return v.ShortVersion
	}
	return v.Version
}

const (
	// DefaultProbeTimeout bounds one verification request; a Manager on the LAN answers in milliseconds.
	DefaultProbeTimeout = 2 * time.Second
	// maxVersionBody bounds what is read of a version answer (a real one is 90 bytes).
	maxVersionBody = 16 << 10
	maxFieldLength = 200
)

// ErrNotAManager means the address answered, but not as a Flamenco Manager.
var ErrNotAManager = errors.New("not a Flamenco Manager")

// ParseVersion checks and decodes an /api/v3/version body.
func ParseVersion(body []byte) (VersionInfo, error) {
	var info VersionInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return VersionInfo{}, fmt.Errorf("%w: version answer is not the expected JSON: %v", ErrNotAManager, err)
	}
	for _, field := range []string{info.Name, info.Version, info.ShortVersion, info.Git} {
		if len(field) > maxFieldLength {
			return VersionInfo{}, fmt.Errorf("%w: version answer has an implausible field", ErrNotAManager)
		}
	}
	// What the network says is shown in menus, notifications and terminals: no control or
	// formatting characters (a bidi override could make "Studio Farm" of "mraF oidutS"), and short.
	info.Name = CleanText(info.Name, maxNameRunes)
	info.Version = CleanText(info.Version, maxVersionRunes)
	info.ShortVersion = CleanText(info.ShortVersion, maxVersionRunes)
	info.Git = CleanText(info.Git, maxVersionRunes)
	if info.Name == "" || info.Version == "" {
		return VersionInfo{}, fmt.Errorf("%w: version answer lacks name or version", ErrNotAManager)
	}
	return info, nil
}

// Display limits of a Manager's name and version, in characters.
const (
	maxNameRunes    = 60
	maxVersionRunes = 24
)

// CleanText makes text from the network fit to show: control characters and Unicode format
// characters (bidi overrides and isolates, zero-width spaces and joiners, BOM) are removed, line and
// paragraph separators and runs of spaces become one space, and the result is cut to maxRunes
// characters, ending in "…" when cut.
func CleanText(s string, maxRunes int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Cf, r), unicode.IsControl(r) && !unicode.IsSpace(r):
			continue
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	cleaned := b.String()
	if utf8.RuneCountInString(cleaned) <= maxRunes {
		return cleaned
	}
	runes := []rune(cleaned)
	return strings.TrimRight(string(runes[:maxRunes-1]), " ") + "…"
}

// BaseURL reduces a LOCATION or a Manager URL to scheme://host:port, the root every Manager endpoint
// hangs off. Only http and https without user info are accepted: the result is fetched and may be
// opened in a browser.
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

// Prober verifies that an address is a Flamenco Manager by asking /api/v3/version.
type Prober struct {
	client *http.Client
}

// NewProber returns a Prober whose requests give up after timeout.
func NewProber(timeout time.Duration) *Prober {
	transport := &http.Transport{
		// A LAN Manager is never reached through the user's HTTP proxy.
		Proxy:                  nil,
		DialContext:            (&net.Dialer{Timeout: timeout}).DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxIdleConnsPerHost:    1,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
	}
	return &Prober{client: &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// A Manager answers the version directly; a redirect means something else is there.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Probe asks base (scheme://host:port) for its version.
func (p *Prober) Probe(ctx context.Context, base *url.URL) (VersionInfo, error) {
	endpoint := base.JoinPath(VersionPath).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return VersionInfo{}, fmt.Errorf("build request for %s: %w", endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return VersionInfo{}, fmt.Errorf("GET %s: %w", endpoint, markNoRoute(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return VersionInfo{}, fmt.Errorf("%w: GET %s answered %s", ErrNotAManager, endpoint, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVersionBody+1))
	if err != nil {
		return VersionInfo{}, fmt.Errorf("GET %s: read answer: %w", endpoint, err)
	}
	if len(body) > maxVersionBody {
		return VersionInfo{}, fmt.Errorf("%w: GET %s answered more than %d bytes", ErrNotAManager, endpoint, maxVersionBody)
	}
	info, err := ParseVersion(body)
	if err != nil {
		return VersionInfo{}, fmt.Errorf("GET %s: %w", endpoint, err)
	}
	return info, nil
}

// CloseIdleConnections closes kept-alive connections.
func (p *Prober) CloseIdleConnections() { p.client.CloseIdleConnections() }
