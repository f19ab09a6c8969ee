package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// VersionInfo is what a Flamenco Manager answers on /api/v3/version, cleaned for showing (see
// managerapi.ParseVersion).
type VersionInfo = managerapi.Version

const (
	// DefaultProbeTimeout bounds one verification request; a Manager on the LAN answers in milliseconds.
	DefaultProbeTimeout = 2 * time.Second
	// maxVersionBody bounds what is read of a version answer (a real one is 90 bytes).
	maxVersionBody = 16 << 10
)

// Prober verifies that an address is a Flamenco Manager by asking /api/v3/version, through the one
// client of the Manager's API (internal/managerapi) and one HTTP client shared by every address.
type Prober struct {
	client  *http.Client
	timeout time.Duration
}

// NewProber returns a Prober whose requests give up after timeout.
func NewProber(timeout time.Duration) *Prober { return newProber(timeout, nil) }

// newProber returns a Prober that, given a resolver, reaches host names at the addresses it gives.
func newProber(timeout time.Duration, resolver Resolver) *Prober {
	client := managerapi.NewHTTPClient(timeout)
	transport := client.Transport.(*http.Transport)
	if resolver != nil {
		transport.DialContext = dialThrough(resolver, transport.DialContext)
	}
	transport.MaxIdleConnsPerHost = 1
	transport.IdleConnTimeout = 30 * time.Second
	transport.MaxResponseHeaderBytes = 16 << 10
	client.Timeout = timeout
	return &Prober{client: client, timeout: timeout}
}

// Probe asks base (scheme://host:port) for its version. An answer that is not a Manager's (another
// status, another shape, too large, a redirect) says so; a network error that could not leave this
// machine matches errNoRouteFromHere.
func (p *Prober) Probe(ctx context.Context, base *url.URL) (VersionInfo, error) {
	api := managerapi.NewClient(base.String(), managerapi.WithHTTPClient(p.client), managerapi.WithTimeout(p.timeout),
		managerapi.WithMaxBody(maxVersionBody))
	info, err := api.Version(ctx)
	var apiErr *managerapi.APIError
	switch {
	case err == nil:
		return info, nil
	case errors.As(err, &apiErr), errors.Is(err, managerapi.ErrMalformed), errors.Is(err, managerapi.ErrTooLarge):
		return VersionInfo{}, fmt.Errorf("not a Flamenco Manager: %w", err)
	}
	return VersionInfo{}, markNoRoute(err)
}

// CloseIdleConnections closes kept-alive connections.
func (p *Prober) CloseIdleConnections() { p.client.CloseIdleConnections() }
