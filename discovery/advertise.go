package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// ErrAlreadyAdvertising is returned by Advertiser.Start while it advertises.
var ErrAlreadyAdvertising = errors.New("already advertising")

// Advertised is what an Advertiser advertises.
type Advertised struct {
	Manager   VersionInfo
	Locations []string
}

// Advertiser advertises a Manager that runs on this machine (with its own discovery off, in a
// container, …) over SSDP, as the Manager itself would, until stopped. Safe for concurrent use.
type Advertiser struct {
	log           zerolog.Logger
	prober        *Prober
	checkInterval time.Duration

	mu         sync.Mutex
	cancel     context.CancelFunc
	done       chan struct{}
	current    Advertised
	stopReason error
}

// DefaultAdvertiserCheckInterval is how often an advertised Manager is checked; after two failed
// checks in a row advertising stops by itself, sending byebye.
const DefaultAdvertiserCheckInterval = 10 * time.Second

// AdvertiserOption changes an Advertiser.
type AdvertiserOption func(*Advertiser)

// WithCheckInterval sets how often the advertised Manager is checked.
func WithCheckInterval(d time.Duration) AdvertiserOption {
	return func(a *Advertiser) { a.checkInterval = d }
}

// NewAdvertiser returns an idle Advertiser.
func NewAdvertiser(logger zerolog.Logger, opts ...AdvertiserOption) *Advertiser {
	a := &Advertiser{
		log:           logger.With().Str("component", "advertiser").Logger(),
		prober:        NewProber(DefaultProbeTimeout),
		checkInterval: DefaultAdvertiserCheckInterval,
	}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// Check verifies that managerURL is a Flamenco Manager and returns its version answer.
func (a *Advertiser) Check(ctx context.Context, managerURL string) (VersionInfo, error) {
	base, err := BaseURL(managerURL)
	if err != nil {
		return VersionInfo{}, err
	}
	info, err := a.prober.Probe(ctx, base)
	if err != nil {
		return VersionInfo{}, fmt.Errorf("no Flamenco Manager answers at %s (is it running?): %w", base, err)
	}
	return info, nil
}

// Start verifies the Manager at managerURL, works out its LOCATIONs (one per LAN address of this
// machine that reaches it; loopback only when there is no other) and advertises them until Stop is
// called or ctx ends. Errors say what to do: the Manager does not answer, UDP 1900 is taken (usually
// by the Manager's own discovery), or the Manager cannot be reached from the LAN.
func (a *Advertiser) Start(ctx context.Context, managerURL string) (Advertised, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel != nil {
		return Advertised{}, ErrAlreadyAdvertising
	}
	info, err := a.Check(ctx, managerURL)
	if err != nil {
		return Advertised{}, err
	}
	base, _ := BaseURL(managerURL)
	addrs, err := localAddresses()
	if err != nil {
		return Advertised{}, err
	}
	candidates := LocalLocations(base, addrs)
	reachable := a.reachableAs(ctx, candidates, info)
	if len(reachable) == 0 {
		return Advertised{}, fmt.Errorf("the Manager %q answers at %s but not on this machine's network addresses "+
			"(%s), so nobody else could reach it: make it listen on all interfaces (listen: \":%s\" in flamenco-manager.yaml, "+
			"or publish the port of its container)", info.Name, base, addressList(candidates), base.Port())
	}

	server, err := NewServer(a.log)
	if err != nil {
		return Advertised{}, err
	}
	server.AddAdvertisementURLs(reachable)

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	done := make(chan struct{})
	serverDone := make(chan struct{})
	go func() {
		defer close(serverDone)
		server.Run(runCtx)
	}()
	go func() {
		defer close(done)
		defer a.ended(done)
		defer stop()
		a.watch(runCtx, cancel, base, serverDone)
	}()
	a.cancel, a.done, a.stopReason = cancel, done, nil
	a.current = Advertised{Manager: info, Locations: server.Locations()}
	return a.current, nil
}

// watch checks the advertised Manager until the server stops, and stops the server when the
// Manager stopped answering: advertising a dead Manager would send every Worker to it.
func (a *Advertiser) watch(ctx context.Context, stop context.CancelFunc, base *url.URL, serverDone <-chan struct{}) {
	ticker := time.NewTicker(a.checkInterval)
	defer ticker.Stop()
	failures := 0
	for {
		select {
		case <-serverDone:
			return
		case <-ticker.C:
		}
		_, err := a.prober.Probe(ctx, base)
		if err == nil || ctx.Err() != nil {
			failures = 0
			continue
		}
		failures++
		a.log.Warn().Err(err).Int("failures", failures).Msg("the advertised Manager does not answer")
		if failures >= 2 {
			a.mu.Lock()
			a.stopReason = fmt.Errorf("the Manager at %s stopped answering: %w", base, err)
			a.mu.Unlock()
			stop()
		}
	}
}

// StopReason returns why the last advertisement stopped by itself, or nil.
func (a *Advertiser) StopReason() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopReason
}

// Stop stops advertising, sends ssdp:byebye and waits until the socket is closed. Safe to call when
// not advertising, and more than once.
func (a *Advertiser) Stop() {
	a.mu.Lock()
	cancel, done := a.cancel, a.done
	a.cancel, a.done = nil, nil
	a.current = Advertised{}
	a.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	a.prober.CloseIdleConnections()
}

// ended clears the state after an advertisement stopped by itself.
func (a *Advertiser) ended(done chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == done {
		a.cancel, a.done, a.current = nil, nil, Advertised{}
	}
}

// Current returns what is being advertised, and whether anything is.
func (a *Advertiser) Current() (Advertised, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel == nil {
		return Advertised{}, false
	}
	current := a.current
	current.Locations = slices.Clone(current.Locations)
	return current, true
}

// Done returns a channel closed when the current advertisement ends (nil when idle).
func (a *Advertiser) Done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.done
}

// reachableAs keeps the candidates that answer as the same Manager.
func (a *Advertiser) reachableAs(ctx context.Context, candidates []url.URL, want VersionInfo) []url.URL {
	ok := make([]bool, len(candidates))
	var wg sync.WaitGroup
	for i := range candidates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := a.prober.Probe(ctx, &candidates[i])
			ok[i] = err == nil && info.Name == want.Name
			if err != nil {
				a.log.Debug().Err(err).Stringer("address", &candidates[i]).Msg("Manager not reachable at this address")
			}
		}()
	}
	wg.Wait()
	var reachable []url.URL
	for i, u := range candidates {
		if ok[i] {
			reachable = append(reachable, u)
		}
	}
	return reachable
}

// LocalLocations returns the base URLs under which a Manager listening at base can be advertised: one
// per LAN address (IPv4, and global IPv6) with base's scheme and port, as Flamenco's Manager does;
// loopback only when there is no other address.
func LocalLocations(base *url.URL, addrs []netip.Addr) []url.URL {
	var lan, loopback []url.URL
	seen := make(map[netip.Addr]bool)
	for _, addr := range addrs {
		addr = addr.Unmap()
		if seen[addr] || addr.Zone() != "" {
			continue
		}
		seen[addr] = true
		u := url.URL{Scheme: base.Scheme, Host: net.JoinHostPort(addr.String(), base.Port())}
		switch {
		case addr.IsLoopback():
			loopback = append(loopback, u)
		case addr.Is4() && !addr.IsLinkLocalUnicast() && !addr.IsUnspecified(),
			addr.Is6() && addr.IsGlobalUnicast():
			lan = append(lan, u)
		}
	}
	if len(lan) > 0 {
		return lan
	}
	return loopback
}

func addressList(urls []url.URL) string {
	if len(urls) == 0 {
		return "none"
	}
	hosts := make([]string, len(urls))
	for i, u := range urls {
		hosts[i] = u.Host
	}
	return fmt.Sprint(hosts)
}
