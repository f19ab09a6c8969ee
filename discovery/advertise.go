package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Errors of Advertiser.Start and Advertisement.StopReason, wrapped with details: callers tell them
// apart with errors.Is (besides ErrSSDPPortInUse and ErrAlreadyAdvertised).
var (
	// ErrAlreadyAdvertising means this Advertiser is already advertising, or starting to.
	ErrAlreadyAdvertising = errors.New("already advertising")
	// ErrManagerNotAnswering means no Flamenco Manager answers at the URL.
	ErrManagerNotAnswering = errors.New("no Flamenco Manager answers")
	// ErrManagerNotOnLAN means the Manager answers on this machine but on none of its network
	// addresses (it listens on localhost only), so nobody else could reach it.
	ErrManagerNotOnLAN = errors.New("the Manager does not answer on this machine's network addresses")
	// ErrManagerStoppedAnswering is why advertising stopped by itself.
	ErrManagerStoppedAnswering = errors.New("the Manager stopped answering")
	// ErrStopped means Stop (or the end of Start's context) came before advertising began.
	ErrStopped = errors.New("advertising was stopped before it began")
)

// Advertisement is one advertising of a Manager, from a successful Advertiser.Start until it ends.
type Advertisement struct {
	// Manager is the advertised Manager's version answer.
	Manager VersionInfo
	// Locations are the advertised LOCATIONs.
	Locations []string

	done chan struct{}
	// Written before done is closed.
	stopReason error
	byebyeErr  error
}

// Done is closed when the advertisement has ended and its ssdp:byebye was sent (or failed).
func (ad *Advertisement) Done() <-chan struct{} { return ad.done }

// StopReason returns, once Done is closed, why advertising stopped by itself (wrapping
// ErrManagerStoppedAnswering); nil when it was stopped, and before it ended.
func (ad *Advertisement) StopReason() error {
	if !ad.ended() {
		return nil
	}
	return ad.stopReason
}

// ByebyeErr returns, once Done is closed, nil when ssdp:byebye went out for every LOCATION, or why it
// did not (wrapping ErrByebyeNotSent); before it ended, errAdvertising: nothing was sent yet.
func (ad *Advertisement) ByebyeErr() error {
	if !ad.ended() {
		return errAdvertising
	}
	return ad.byebyeErr
}

// errAdvertising is ByebyeErr's answer while the advertisement goes on.
var errAdvertising = errors.New("still advertising: no ssdp:byebye sent yet")

func (ad *Advertisement) ended() bool {
	select {
	case <-ad.done:
		return true
	default:
		return false
	}
}

// Advertiser advertises a Manager that runs on this machine (with its own discovery off, in a
// container, …) over SSDP, as the Manager itself would, until stopped. Safe for concurrent use.
type Advertiser struct {
	log    zerolog.Logger
	prober *Prober

	mu     sync.Mutex // never held across a network wait
	active *attempt   // nil when idle
}

// attempt is one Start and, when it succeeded, the advertisement it began.
type attempt struct {
	cancel   context.CancelFunc // stops the start, or the advertisement
	returned chan struct{}      // closed when Start returns
	ad       *Advertisement     // set under Advertiser.mu before Start returns it
}

// advertiserCheckInterval is how often an advertised Manager is checked; after two failed checks in
// a row advertising stops by itself, sending byebye.
const advertiserCheckInterval = 10 * time.Second

// NewAdvertiser returns an idle Advertiser.
func NewAdvertiser(logger zerolog.Logger) *Advertiser {
	return &Advertiser{log: logger.With().Str("component", "advertiser").Logger(), prober: NewProber(DefaultProbeTimeout)}
}

// Check verifies that managerURL is a Flamenco Manager and returns its version answer.
func (a *Advertiser) Check(ctx context.Context, managerURL string) (VersionInfo, error) {
	base, err := managerapi.BaseURL(managerURL)
	if err != nil {
		return VersionInfo{}, err
	}
	info, err := a.prober.Probe(ctx, base)
	if err != nil {
		return VersionInfo{}, fmt.Errorf("%w at %s (is it running?): %w", ErrManagerNotAnswering, base, err)
	}
	return info, nil
}

// Start verifies the Manager at managerURL, works out its LOCATIONs (one per LAN address of this
// machine that reaches it; loopback only when there is no other) and advertises them until Stop is
// called or ctx ends. It refuses when the Manager does not answer (ErrManagerNotAnswering), answers on
// localhost only (ErrManagerNotOnLAN), already advertises itself (ErrAlreadyAdvertised) or UDP 1900 is
// taken (ErrSSDPPortInUse); a Stop while it checks makes it return ErrStopped promptly.
func (a *Advertiser) Start(ctx context.Context, managerURL string) (*Advertisement, error) {
	attemptCtx, cancel := context.WithCancel(ctx)
	at := &attempt{cancel: cancel, returned: make(chan struct{})}
	a.mu.Lock()
	if a.active != nil {
		a.mu.Unlock()
		cancel()
		return nil, ErrAlreadyAdvertising
	}
	a.active = at
	a.mu.Unlock()
	defer close(at.returned)

	ad, err := a.start(attemptCtx, at, managerURL)
	if err != nil {
		cancel()
		a.mu.Lock()
		if a.active == at {
			a.active = nil
		}
		a.mu.Unlock()
		return nil, err
	}
	return ad, nil
}

// advertisePlan is what Start found out before binding UDP 1900.
type advertisePlan struct {
	manager   VersionInfo
	base      *url.URL
	reachable []url.URL
}

func (a *Advertiser) start(ctx context.Context, at *attempt, managerURL string) (*Advertisement, error) {
	plan, err := a.plan(ctx, managerURL)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: %w", ErrStopped, ctx.Err())
	}
	if err != nil {
		return nil, err
	}
	// Binding is quick and local, so it happens under the lock: a Stop either comes first and
	// prevents it, or finds the advertisement to stop.
	a.mu.Lock()
	defer a.mu.Unlock()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: %w", ErrStopped, ctx.Err())
	}
	server, err := NewServer(a.log)
	if err != nil {
		return nil, err
	}
	server.AddAdvertisementURLs(plan.reachable)
	at.ad = &Advertisement{Manager: plan.manager, Locations: server.Locations(), done: make(chan struct{})}
	go a.run(ctx, at, server, plan.base)
	return at.ad, nil
}

// plan checks the Manager over HTTP and SSDP, without holding the lock.
func (a *Advertiser) plan(ctx context.Context, managerURL string) (advertisePlan, error) {
	info, err := a.Check(ctx, managerURL)
	if err != nil {
		return advertisePlan{}, err
	}
	base, _ := managerapi.BaseURL(managerURL)
	// On Windows gossdp shares UDP 1900 (SO_REUSEADDR), so only asking tells that the Manager
	// advertises itself already.
	switch advertised, err := a.AdvertisesItself(ctx, managerURL); {
	case err != nil:
		a.log.Warn().Err(err).Msg("cannot tell whether the Manager advertises itself; trying to advertise it")
	case advertised:
		return advertisePlan{}, fmt.Errorf("%w: %q answers M-SEARCHes on this machine (its own discovery is on), "+
			"so there is nothing to add", ErrAlreadyAdvertised, info.Name)
	}
	addrs, err := localAddresses()
	if err != nil {
		return advertisePlan{}, err
	}
	candidates := localLocations(base, addrs)
	reachable := a.reachableAs(ctx, candidates, info)
	if len(reachable) == 0 {
		return advertisePlan{}, fmt.Errorf("%w: %q answers at %s but not at %s, so nobody else could reach it: "+
			"make it listen on all interfaces (listen: \":%s\" in flamenco-manager.yaml, or publish the port of its "+
			"container)", ErrManagerNotOnLAN, info.Name, base, addressList(candidates), base.Port())
	}
	return advertisePlan{manager: info, base: base, reachable: reachable}, nil
}

// run advertises until ctx ends or the Manager stops answering, then ends the advertisement.
func (a *Advertiser) run(ctx context.Context, at *attempt, server *Server, base *url.URL) {
	serverCtx, stopServer := context.WithCancel(ctx)
	serverDone := make(chan error, 1)
	go func() { serverDone <- server.Run(serverCtx) }()
	reason := a.watch(ctx, base)
	stopServer()
	byebyeErr := <-serverDone

	ad := at.ad
	ad.stopReason, ad.byebyeErr = reason, byebyeErr
	a.mu.Lock()
	if a.active == at {
		a.active = nil
	}
	a.mu.Unlock()
	at.cancel()
	// After active is cleared, so that a Start after Done succeeds; a Stop that came in between
	// returns at once, so callers read the outcome after Done.
	close(ad.done)
}

// watch checks the advertised Manager until ctx ends (nil) or it stopped answering (why): advertising
// a dead Manager would send every Worker to it.
func (a *Advertiser) watch(ctx context.Context, base *url.URL) error {
	ticker := time.NewTicker(advertiserCheckInterval)
	defer ticker.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		_, err := a.prober.Probe(ctx, base)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			failures = 0
			continue
		}
		failures++
		a.log.Warn().Err(err).Int("failures", failures).Msg("the advertised Manager does not answer")
		if failures >= 2 {
			return fmt.Errorf("%w at %s: %w", ErrManagerStoppedAnswering, base, err)
		}
	}
}

// Stop stops advertising (sending ssdp:byebye) or the start in progress, and waits until the SSDP
// socket is closed. Safe to call when not advertising, and more than once. gossdp's reader may still
// be asleep before an answer it will not send; it ends by itself within that M-SEARCH's MX.
func (a *Advertiser) Stop() {
	a.mu.Lock()
	at := a.active
	a.mu.Unlock()
	if at == nil {
		return
	}
	at.cancel()
	<-at.returned
	if at.ad != nil {
		<-at.ad.done
	}
	a.prober.CloseIdleConnections()
}

// Current returns the advertisement under way, or nil (also while starting).
func (a *Advertiser) Current() *Advertisement {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.active == nil {
		return nil
	}
	return a.active.ad
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

// localLocations returns the base URLs under which a Manager listening at base can be advertised: one
// per LAN address (IPv4, and global IPv6) with base's scheme and port, as Flamenco's Manager does;
// loopback only when there is no other address.
func localLocations(base *url.URL, addrs []netip.Addr) []url.URL {
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
