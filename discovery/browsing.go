package discovery

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/clock"
)

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

	socket, err := b.openSocket()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	defer b.prober.CloseIdleConnections()

	answers := make(chan Answer, 256)
	wg.Go(func() { b.readAnswers(ctx, socket, answers) })
	s := b.startBrowsing(ctx, &wg, socket, answers)
	for {
		now := s.clock.Now()
		s.step(now)
		if !s.wait(now) {
			return nil
		}
	}
}

// openSocket opens the socket that sends M-SEARCHes and hears the answers; when it cannot, the State
// says so.
func (b *Browser) openSocket() (*ssdpSocket, error) {
	socket, err := newMulticastSender(b.log)
	if err != nil {
		b.mu.Lock()
		b.state.Searching = false
		// A sentence for a menu row; the error itself goes to the caller, which logs it.
		b.state.Problem = "cannot open a network socket to search (details in the log)"
		b.mu.Unlock()
		b.events.Publish(Event{Kind: SearchWindowClosed})
		return nil, err
	}
	return socket, nil
}

// readAnswers hands the socket's answers to answers, through an inbox that never blocks the
// reader, until ctx ends.
func (b *Browser) readAnswers(ctx context.Context, socket *ssdpSocket, answers chan<- Answer) {
	inbox := newAnswerInbox(answers, b.log)
	err := socket.readAnswers(ctx, inbox.offer)
	inbox.report()
	if err != nil {
		b.log.Warn().Err(err).Msg("stopped reading SSDP answers")
	}
}

// browsing is one Run's work: the registry, the search schedule and the checks in flight. Only Run's
// goroutine uses it.
type browsing struct {
	b        *Browser
	ctx      context.Context
	wg       *sync.WaitGroup // the checks in flight
	clock    clock.Clock
	socket   *ssdpSocket
	answers  <-chan Answer
	results  chan checkResult // room for every check in flight: a check never waits to report
	inFlight int
	lookups  chan lookupResult // room for every lookup in flight
	looking  int
	registry *Registry
	schedule *searchSchedule

	interfaces         string // interfaceSignature as last seen
	nextInterfaceCheck time.Time
}

type checkResult struct {
	base *url.URL
	info VersionInfo
	err  error
}

// startBrowsing prepares Run's work: this machine's networks, and the Managers remembered or added
// by hand, checked at once.
func (b *Browser) startBrowsing(ctx context.Context, wg *sync.WaitGroup, socket *ssdpSocket, answers <-chan Answer) *browsing {
	s := &browsing{b: b, ctx: ctx, wg: wg, clock: b.cfg.Clock, socket: socket, answers: answers,
		results: make(chan checkResult, maxConcurrentChecks), lookups: make(chan lookupResult, maxConcurrentLookups),
		registry: NewRegistry(),
		schedule: &searchSchedule{policy: b.cfg.Search}}
	b.updateLocalAddresses(s.registry)

	now := s.clock.Now()
	s.interfaces = interfaceSignature()
	s.nextInterfaceCheck = now.Add(b.cfg.Search.InterfaceCheck)
	for _, known := range b.cfg.KnownURLs {
		if err := s.registry.AddKnown(now, known); err != nil {
			b.log.Warn().Err(err).Str("url", known).Msg("ignoring remembered Manager URL")
		}
	}
	for _, manual := range b.cfg.ManualURLs {
		if err := s.registry.AddManual(now, manual); err != nil {
			b.log.Warn().Err(err).Str("url", manual).Msg("ignoring Manager URL added by hand")
		}
	}
	if len(s.registry.locations) > 0 {
		s.schedule.startAt = now.Add(b.cfg.Search.KnownGrace)
	}
	return s
}

// step does what is due at now: notice changed interfaces, search, start checks, and tell
// subscribers what changed.
func (s *browsing) step(now time.Time) {
	s.checkInterfaces(now)
	s.searchIfDue(now)
	if s.schedule.tick(now) {
		s.b.closeSearchWindow()
	}
	s.startChecks(now)
	s.startLookups(now)
	s.publishChanges(now)

	s.b.mu.Lock()
	s.b.state.PendingChecks = s.registry.Pending()
	s.b.mu.Unlock()
}

// checkInterfaces, when it is time, looks whether the network interfaces changed; if they did, every
// known address is checked and a search follows soon.
func (s *browsing) checkInterfaces(now time.Time) {
	if now.Before(s.nextInterfaceCheck) {
		return
	}
	s.nextInterfaceCheck = now.Add(s.b.cfg.Search.InterfaceCheck)
	if sig := interfaceSignature(); sig != s.interfaces {
		s.interfaces = sig
		s.b.log.Info().Msg("network interfaces changed; checking known Managers and searching again soon")
		s.b.updateLocalAddresses(s.registry)
		s.registry.CheckAllNow(now)
		s.schedule.refreshAfter(now.Add(jitter(s.b.cfg.Search.ChangeJitter)))
	}
}

// searchIfDue sends an M-SEARCH when the schedule says so, except at start when remembered Managers
// answered already and the user did not ask.
func (s *browsing) searchIfDue(now time.Time) {
	if !s.schedule.due(now) {
		return
	}
	if !s.schedule.started && s.registry.Listed() > 0 && !s.schedule.userAsked {
		s.schedule.skipStart(now)
		s.b.log.Info().Time("next_search", s.schedule.next()).Msg("remembered Managers answered; not searching at start")
		return
	}
	s.search(now)
}

// startChecks starts the HTTP checks that are due, as many as the limit allows.
func (s *browsing) startChecks(now time.Time) {
	for _, base := range s.registry.DueChecks(now, maxConcurrentChecks-s.inFlight) {
		s.inFlight++
		s.wg.Go(func() {
			info, err := s.b.prober.Probe(s.ctx, base)
			s.results <- checkResult{base, info, err}
		})
	}
}

// publishChanges tells subscribers what changed in the list of Managers, and lets the changes steer
// the search schedule.
func (s *browsing) publishChanges(now time.Time) {
	events := s.registry.Update(now)
	for _, e := range events {
		switch e.Kind {
		case ManagerAppeared:
			// Only a verified Manager counts as an answer: forged answers must not cancel the retry.
			s.schedule.answered = true
		case ManagerGone:
			s.schedule.refreshAfter(now.Add(jitter(s.b.cfg.Search.GoneJitter)))
		}
	}
	s.b.publish(events, s.registry)
	s.schedule.listed = s.registry.Listed() > 0
}

// wait waits for the next thing to do: an answer, a check's result, a request from the Browser's
// methods, or the time of the next step. It reports false when ctx ended.
func (s *browsing) wait(now time.Time) bool {
	canCheck := s.inFlight < maxConcurrentChecks
	wake := earliest(now, s.registry.NextWake(now, canCheck), s.schedule.next(), s.schedule.windowEnd(), s.nextInterfaceCheck)
	timer := s.clock.NewTimer(wake.Sub(now))
	defer timer.Stop()
	select {
	case <-s.ctx.Done():
		return false
	case a := <-s.answers:
		if err := s.registry.HandleAnswer(s.clock.Now(), a); err != nil {
			s.b.log.Debug().Err(err).Stringer("from", a.Source).Msg("not following SSDP answer")
		}
	case r := <-s.results:
		s.inFlight--
		if s.ctx.Err() == nil {
			s.registry.HandleCheck(s.clock.Now(), r.base, r.info, r.err)
			if r.err != nil {
				s.b.log.Debug().Err(r.err).Stringer("address", r.base).Msg("check failed")
			} else {
				s.b.log.Debug().Stringer("address", r.base).Str("name", r.info.Name).Msg("check succeeded")
			}
		}
	case l := <-s.lookups:
		s.looking--
		if s.ctx.Err() == nil {
			s.resolved(s.clock.Now(), l)
		}
	case <-s.b.vouchCh:
		s.b.takeVouches(s.registry, s.clock.Now())
	case <-s.b.refreshCh:
		s.refresh(s.clock.Now())
	case change := <-s.b.manualCh:
		if change.remove {
			change.done <- s.registry.RemoveManual(change.url)
		} else {
			change.done <- s.registry.AddManual(s.clock.Now(), change.url)
		}
	case <-timer.C():
	}
	return true
}

// refresh is "Search again": every address is checked now, and an M-SEARCH goes out now or, when
// one went out less than RetryAfter ago, once its answers are in. The log says which.
func (s *browsing) refresh(now time.Time) {
	s.schedule.refresh()
	s.registry.CheckAllNow(now)
	s.b.log.Info().Time("search_at", maxTime(now, s.schedule.next())).Msg("searching again, as asked")
}

// search multicasts an M-SEARCH on every multicast interface; the State says when there is none.
func (s *browsing) search(now time.Time) {
	s.schedule.searched(now)
	s.b.updateLocalAddresses(s.registry)
	sent := s.socket.SendAll(buildMSearch(searchMX))
	problem := ""
	if sent == 0 {
		problem = errNoMulticastInterface.Error()
		s.b.log.Warn().Str("problem", problem).Msg("cannot search for Managers")
	} else {
		s.b.log.Debug().Int("interfaces", sent).Msg("sent M-SEARCH")
	}
	s.b.mu.Lock()
	s.b.state.Problem = problem
	s.b.mu.Unlock()
}

func (b *Browser) updateLocalAddresses(registry *Registry) {
	networks, err := localNetworks()
	if err != nil {
		b.log.Warn().Err(err).Msg("cannot tell this machine's addresses")
		return
	}
	registry.SetLocalNetworks(networks)
}

func (b *Browser) closeSearchWindow() {
	b.mu.Lock()
	b.state.Searching = false
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
