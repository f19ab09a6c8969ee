package discovery

import (
	"context"
	"net"
	"sync"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/clock"
	"github.com/flamenco-tray/flamenco-tray/internal/hub"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// BrowserConfig configures a Browser. Zero values take the defaults.
type BrowserConfig struct {
	Logger zerolog.Logger
	Clock  clock.Clock // nil: the system's
	// KnownURLs are Manager URLs remembered from an earlier run; they are checked over HTTP at once,
	// without waiting for SSDP.
	KnownURLs []string
	// ManualURLs are Manager URLs the user added by hand (see Registry.AddManual).
	ManualURLs []string
	// Search says when to search; the zero value means DefaultSearchPolicy.
	Search SearchPolicy
	// Resolver looks up the host names of Manager URLs given by name (by the user, by IT); the
	// checks of a name reach it at the addresses it gives. Nil means net.DefaultResolver.
	Resolver Resolver
}

// State is what the Browser knows, for display.
type State struct {
	// Managers are the verified Managers, sorted by name.
	Managers []Manager
	// Searching is true until the first search window has closed.
	Searching bool
	// Problem says why nothing can be found, when that is known (e.g. no multicast interface).
	Problem string
	// PendingChecks counts addresses being checked or not checked yet, and host names being looked up.
	PendingChecks int
}

// Browser finds Flamenco Managers continuously: it searches gently, verifies every LOCATION over
// HTTP, re-checks listed Managers, and tells subscribers what appeared, changed or went.
type Browser struct {
	cfg    BrowserConfig
	log    zerolog.Logger
	prober *Prober

	refreshCh chan struct{}
	manualCh  chan manualChange
	vouchCh   chan struct{} // 1 slot: vouches changed

	vouchMu sync.Mutex
	vouches map[string]bool // by Manager ID, not yet handed to the registry

	events *hub.Hub[Event] // closed when Run returns

	mu    sync.Mutex
	state State
	ran   bool
}

// manualChange adds or removes a Manager URL given by hand, in Run's goroutine.
type manualChange struct {
	url    string
	remove bool
	done   chan error
}

const (
	// subscriberBuffer is how far a subscriber may fall behind before events are dropped for it.
	subscriberBuffer = 256
	// maxConcurrentChecks bounds the HTTP checks in flight.
	maxConcurrentChecks = 8
)

// NewBrowser returns a Browser; call Run to start it.
func NewBrowser(cfg BrowserConfig) *Browser {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Search == (SearchPolicy{}) {
		cfg.Search = DefaultSearchPolicy
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	log := cfg.Logger.With().Str("component", "browser").Logger()
	return &Browser{
		cfg:       cfg,
		log:       log,
		prober:    newProber(DefaultProbeTimeout, cfg.Resolver),
		refreshCh: make(chan struct{}, 1),
		vouchCh:   make(chan struct{}, 1),
		vouches:   make(map[string]bool),
		manualCh:  make(chan manualChange),
		events:    hub.New[Event](subscriberBuffer, log),
		state:     State{Searching: true},
	}
}

// Subscribe returns a channel of events and a function that ends the subscription (package hub has
// the rules). Events are never waited for: when a subscriber falls 256 events behind, further
// events are dropped for it (State always has the truth). The channel is closed when Run returns or
// the subscription ends.
func (b *Browser) Subscribe() (<-chan Event, func()) {
	return b.events.Subscribe()
}

// State returns a copy of what the Browser knows now.
func (b *Browser) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	state := b.state
	state.Managers = append([]Manager(nil), b.state.Managers...)
	return state
}

// Refresh asks for a search now (or as soon as the search policy allows) and re-checks every known
// address. It never blocks.
func (b *Browser) Refresh() {
	select {
	case b.refreshCh <- struct{}{}:
	default:
	}
}

// AddManual adds a Manager URL given by hand: it is checked at once and, when it answers as a
// Manager, listed as added by hand. It returns once the Browser took it, or ctx ended.
func (b *Browser) AddManual(ctx context.Context, rawURL string) error {
	return b.changeManual(ctx, manualChange{url: rawURL})
}

// RemoveManual removes a Manager URL added by hand.
func (b *Browser) RemoveManual(ctx context.Context, rawURL string) error {
	return b.changeManual(ctx, manualChange{url: rawURL, remove: true})
}

func (b *Browser) changeManual(ctx context.Context, change manualChange) error {
	if _, err := managerapi.BaseURL(change.url); err != nil {
		return err
	}
	change.done = make(chan error, 1)
	select {
	case b.manualCh <- change:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-change.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
