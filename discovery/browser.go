package discovery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/hub"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/rs/zerolog"
)

// BrowserConfig configures a Browser. Zero values take the defaults.
type BrowserConfig struct {
	Logger zerolog.Logger
	Clock  Clock
	// KnownURLs are Manager URLs remembered from an earlier run; they are checked over HTTP at once,
	// without waiting for SSDP.
	KnownURLs []string
	// ManualURLs are Manager URLs the user added by hand (see Registry.AddManual).
	ManualURLs []string
	Registry   RegistryConfig
	Search     SearchPolicy
	// ProbeTimeout bounds each HTTP check.
	ProbeTimeout time.Duration
	// MaxConcurrentChecks bounds HTTP checks in flight.
	MaxConcurrentChecks int
}

// State is what the Browser knows, for display.
type State struct {
	// Managers are the verified Managers, sorted by name.
	Managers []Manager
	// Searching is true until the first search window has closed.
	Searching bool
	// Problem says why nothing can be found, when that is known (e.g. no multicast interface).
	Problem string
	// Searches counts the M-SEARCH rounds sent.
	Searches int
	// PendingChecks counts addresses being checked or not checked yet.
	PendingChecks int
	// TrackedAddresses counts the addresses (verified or not) being followed; bounded.
	TrackedAddresses int
	// ChecksStarted counts the HTTP checks started since Run began.
	ChecksStarted int
	// ChecksInFlight counts the HTTP checks running now.
	ChecksInFlight int
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

	mu     sync.Mutex
	state  State
	socket *ssdpSocket
	ran    bool
}

// manualChange adds or removes a Manager URL given by hand, in Run's goroutine.
type manualChange struct {
	url    string
	remove bool
	done   chan error
}

// subscriberBuffer is how far a subscriber may fall behind before events are dropped for it.
const subscriberBuffer = 256

// NewBrowser returns a Browser; call Run to start it.
func NewBrowser(cfg BrowserConfig) *Browser {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	cfg.Search = cfg.Search.withDefaults()
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.MaxConcurrentChecks <= 0 {
		cfg.MaxConcurrentChecks = 8
	}
	log := cfg.Logger.With().Str("component", "browser").Logger()
	return &Browser{
		cfg:       cfg,
		log:       log,
		prober:    NewProber(cfg.ProbeTimeout),
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

// MSearchesSent returns how many M-SEARCHes went out on each interface so far.
func (b *Browser) MSearchesSent() map[string]int {
	b.mu.Lock()
	socket := b.socket
	b.mu.Unlock()
	if socket == nil {
		return map[string]int{}
	}
	return socket.SentPerInterface()
}

type checkResult struct {
	base *url.URL
	info VersionInfo
	err  error
}

// Run browses until ctx ends. It returns only after every goroutine it started has finished; the
// error is non-nil only when browsing could not start at all.
func (b *Browser) Run(ctx context.Context) error {
	b.mu.Lock()
	if b.ran {
		b.mu.Unlock()
		return errors.New("browser: Run called twice")
	}
	b.ran = true
	b.mu.Unlock()
	defer b.events.Close()

	socket, err := newMulticastSender(b.log)
	if err != nil {
		b.mu.Lock()
		b.state.Searching = false
		// A sentence for a menu row; the error itself goes to the caller, which logs it.
		b.state.Problem = "cannot open a network socket to search (details in the log)"
		b.mu.Unlock()
		b.events.Publish(Event{Kind: SearchWindowClosed})
		return err
	}
	b.mu.Lock()
	b.socket = socket
	b.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	defer b.prober.CloseIdleConnections()

	answers := make(chan Answer, 256)
	wg.Add(1)
	go func() {
		defer wg.Done()
		inbox := newAnswerInbox(answers, b.log)
		err := socket.readAnswers(ctx, inbox.offer)
		inbox.report()
		if err != nil {
			b.log.Warn().Err(err).Msg("stopped reading SSDP answers")
		}
	}()

	results := make(chan checkResult, b.cfg.MaxConcurrentChecks)
	inFlight := 0
	clock := b.cfg.Clock
	registry := NewRegistry(b.cfg.Registry)
	schedule := &searchSchedule{policy: b.cfg.Search}
	b.updateLocalAddresses(registry)

	now := clock.Now()
	interfaces := interfaceSignature()
	nextInterfaceCheck := now.Add(b.cfg.Search.InterfaceCheck)
	for _, known := range b.cfg.KnownURLs {
		if err := registry.AddKnown(now, known); err != nil {
			b.log.Warn().Err(err).Str("url", known).Msg("ignoring remembered Manager URL")
		}
	}
	for _, manual := range b.cfg.ManualURLs {
		if err := registry.AddManual(now, manual); err != nil {
			b.log.Warn().Err(err).Str("url", manual).Msg("ignoring Manager URL added by hand")
		}
	}
	if registry.Len() > 0 {
		schedule.startAt = now.Add(b.cfg.Search.KnownGrace)
	}

	for {
		now = clock.Now()
		if !now.Before(nextInterfaceCheck) {
			nextInterfaceCheck = now.Add(b.cfg.Search.InterfaceCheck)
			if sig := interfaceSignature(); sig != interfaces {
				interfaces = sig
				b.log.Info().Msg("network interfaces changed; checking known Managers and searching again soon")
				b.updateLocalAddresses(registry)
				registry.CheckAllNow(now)
				schedule.refreshAfter(now.Add(jitter(b.cfg.Search.ChangeJitter)))
			}
		}
		if schedule.due(now) {
			if !schedule.started && registry.Listed() > 0 {
				schedule.skipStart(now)
				b.log.Info().Time("next_search", schedule.next()).Msg("remembered Managers answered; not searching at start")
			} else {
				b.search(registry, schedule, socket, now)
			}
		}
		if schedule.tick(now) {
			b.setSearching(false)
		}
		due := registry.DueChecks(now, b.cfg.MaxConcurrentChecks-inFlight)
		for _, base := range due {
			inFlight++
			wg.Add(1)
			go func(base *url.URL) {
				defer wg.Done()
				info, err := b.prober.Probe(ctx, base)
				results <- checkResult{base, info, err}
			}(base)
		}
		events := registry.Update(now)
		for _, e := range events {
			switch e.Kind {
			case ManagerAppeared:
				// Only a verified Manager counts as an answer: forged answers must not cancel the retry.
				schedule.sawAnswer()
			case ManagerGone:
				schedule.refreshAfter(now.Add(jitter(b.cfg.Search.GoneJitter)))
			}
		}
		b.publish(events, registry)
		schedule.setListed(registry.Listed() > 0)
		b.mu.Lock()
		b.state.PendingChecks = registry.Pending()
		b.state.TrackedAddresses = registry.Len()
		b.state.ChecksStarted += len(due)
		b.state.ChecksInFlight = inFlight
		b.mu.Unlock()

		wake := earliest(now, registry.NextWake(now, inFlight < b.cfg.MaxConcurrentChecks), schedule.next(), schedule.windowEnd(), nextInterfaceCheck)
		timer := clock.NewTimer(wake.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case a := <-answers:
			now = clock.Now()
			if err := registry.HandleAnswer(now, a); err != nil {
				b.log.Debug().Err(err).Stringer("from", a.Source).Msg("not following SSDP answer")
			}
		case r := <-results:
			inFlight--
			if ctx.Err() == nil {
				registry.HandleCheck(clock.Now(), r.base, r.info, r.err)
				b.logCheck(r)
			}
		case <-b.vouchCh:
			b.takeVouches(registry, clock.Now())
		case <-b.refreshCh:
			schedule.refresh()
			registry.CheckAllNow(clock.Now())
		case change := <-b.manualCh:
			if change.remove {
				change.done <- registry.RemoveManual(change.url)
			} else {
				change.done <- registry.AddManual(clock.Now(), change.url)
			}
		case <-timer.C():
		}
		timer.Stop()
	}
}

func (b *Browser) logCheck(r checkResult) {
	if r.err != nil {
		b.log.Debug().Err(r.err).Stringer("address", r.base).Msg("check failed")
		return
	}
	b.log.Debug().Stringer("address", r.base).Str("name", r.info.Name).Msg("check succeeded")
}

func (b *Browser) search(registry *Registry, schedule *searchSchedule, socket *ssdpSocket, now time.Time) {
	schedule.searched(now)
	b.updateLocalAddresses(registry)
	sent := socket.SendAll(buildMSearch(searchMX))
	problem := ""
	if sent == 0 {
		problem = ErrNoMulticastInterface.Error()
		b.log.Warn().Str("problem", problem).Msg("cannot search for Managers")
	} else {
		b.log.Debug().Int("interfaces", sent).Msg("sent M-SEARCH")
	}
	b.mu.Lock()
	b.state.Searches++
	b.state.Problem = problem
	b.mu.Unlock()
}

func (b *Browser) updateLocalAddresses(registry *Registry) {
	networks, err := localNetworks()
	if err != nil {
		b.log.Warn().Err(err).Msg("cannot tell this machine's addresses")
		return
	}
	registry.SetLocalNetworks(networks)
}

func (b *Browser) setSearching(searching bool) {
	b.mu.Lock()
	b.state.Searching = searching
	b.mu.Unlock()
	b.events.Publish(Event{Kind: SearchWindowClosed})
}

func (b *Browser) publish(events []Event, registry *Registry) {
	if len(events) == 0 {
		return
	}
	b.mu.Lock()
	b.state.Managers = registry.Managers()
	b.mu.Unlock()
	for _, e := range events {
		b.log.Info().Str("event", string(e.Kind)).Str("name", e.Manager.Name).Str("version", e.Manager.Version).
			Str("url", e.Manager.URL).Bool("reachable", e.Manager.Reachable).Msg("Manager " + string(e.Kind))
		b.events.Publish(e)
	}
}

// jitter returns a random duration in [0, max).
func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max)))
}

// interfaceSignature summarises the interfaces a search would use and their addresses.
func interfaceSignature() string {
	interfaces, err := multicastInterfaces()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, ifi := range interfaces {
		b.WriteString(ifi.Name)
		if addrs, err := ifi.Addrs(); err == nil {
			for _, a := range addrs {
				b.WriteString(" " + a.String())
			}
		}
		b.WriteString(";")
	}
	return b.String()
}

// earliest returns the earliest non-zero time, or an hour after now when all are zero.
func earliest(now time.Time, times ...time.Time) time.Time {
	var first time.Time
	for _, t := range times {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if first.IsZero() {
		return now.Add(time.Hour)
	}
	return first
}

func (e Event) String() string {
	return fmt.Sprintf("%s %s %s %s", e.Kind, e.Manager.Name, e.Manager.Version, e.Manager.URL)
}

// answerInbox hands answers from the socket reader to the browser without ever blocking the reader.
// Each machine may send answersPerSourcePerSecond answers a second (a Manager sends one per address
// it has); beyond that, and when the inbox is full, answers are dropped and counted, and the drops
// are logged once a second, not per packet.
type answerInbox struct {
	out     chan<- Answer
	log     zerolog.Logger
	window  time.Time
	counts  map[netip.Addr]int
	dropped int
	flooded map[netip.Addr]bool
}

const (
	answersPerSourcePerSecond = 32
	maxSourcesPerWindow       = 1024
)

func newAnswerInbox(out chan<- Answer, log zerolog.Logger) *answerInbox {
	return &answerInbox{out: out, log: log, counts: make(map[netip.Addr]int), flooded: make(map[netip.Addr]bool)}
}

func (in *answerInbox) offer(a Answer) {
	now := time.Now()
	if now.Sub(in.window) >= time.Second {
		in.report()
		in.window = now
		clear(in.counts)
	}
	source := a.Source.Addr()
	if _, seen := in.counts[source]; !seen && len(in.counts) >= maxSourcesPerWindow {
		in.dropped++
		return
	}
	in.counts[source]++
	if in.counts[source] > answersPerSourcePerSecond {
		in.dropped++
		if !in.flooded[source] && len(in.flooded) < maxSourcesPerWindow {
			in.flooded[source] = true
			in.log.Warn().Stringer("from", source).Msg("a machine floods us with SSDP answers; dropping its excess")
		}
		return
	}
	select {
	case in.out <- a:
	default:
		in.dropped++
	}
}

// report logs the drops since the last report.
func (in *answerInbox) report() {
	if in.dropped > 0 {
		in.log.Debug().Int("dropped", in.dropped).Msg("dropped SSDP answers (flood or full inbox)")
		in.dropped = 0
	}
}
