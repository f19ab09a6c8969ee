//go:build linux

// Package ssdpworker searches for Flamenco Managers the way Flamenco's Worker does, for tests: one
// gossdp M-SEARCH (MX 3, through the default route's interface) every second until a Manager
// answers. It opens its socket only in a network namespace the harness isolated (netns). It does
// not import discovery, so that discovery's own tests can use it.
package ssdpworker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fromkeith/gossdp"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

const (
	serviceType = "urn:flamenco:manager:0"
	deviceUUID  = "aa80bc5f-d0af-46b8-8630-23bd7e80ec4d"
	// searchInterval is how often the search repeats, as Flamenco's Worker does.
	searchInterval = time.Second
	// settleTime is how long gossdp's client is given to start its goroutines before it is
	// stopped: stopping it before they did can block forever (FLAMENCO-SSDP.md).
	settleTime = 100 * time.Millisecond
)

// Searcher is one Worker-style search. It returns LOCATIONs, unverified.
type Searcher struct {
	ssdp *gossdp.ClientSsdp
	log  zerolog.Logger

	mu        sync.Mutex
	locations []string      // in the order they arrived
	found     chan struct{} // closed at the first Flamenco LOCATION
	ran       bool
}

// New binds a searcher's socket, after checking that this namespace is isolated.
func New(logger zerolog.Logger) (*Searcher, error) {
	if err := netns.CheckIsolated(); err != nil {
		return nil, fmt.Errorf("refusing to open an SSDP search socket: %w", err)
	}
	s := &Searcher{log: logger.With().Str("component", "ssdp-worker").Logger(), found: make(chan struct{})}
	ssdp, err := gossdp.NewSsdpClientWithLogger(s, gossdpLogger{s.log})
	if err != nil {
		return nil, fmt.Errorf("create UPnP/SSDP client: %w", err)
	}
	s.ssdp = ssdp
	return s, nil
}

// Run searches until at least one Flamenco LOCATION answered or ctx ends, then stops the client and
// returns the LOCATIONs in the order they arrived, without duplicates. It returns ctx's error when
// nothing answered. A Searcher runs once.
func (s *Searcher) Run(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	ran := s.ran
	s.ran = true
	s.mu.Unlock()
	if ran {
		return nil, errors.New("ssdpworker: Run called twice")
	}

	started := time.Now()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		// gossdp's Stop clears the socket under its reader, which then panics.
		defer func() { _ = recover() }()
		s.ssdp.Start()
	}()

	var err error
	ticker := time.NewTicker(searchInterval)
search:
	for {
		if err = s.ssdp.ListenFor(serviceType); err != nil {
			err = fmt.Errorf("send M-SEARCH: %w", err)
			break
		}
		select {
		case <-s.found:
			break search
		case <-ctx.Done():
			err = ctx.Err()
			break search
		case <-ticker.C:
		}
	}
	ticker.Stop()
	time.Sleep(settleTime - time.Since(started))
	s.ssdp.Stop()
	<-readerDone

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.locations) > 0 {
		return s.locations, nil
	}
	return nil, err
}

// Response implements gossdp.ClientListener; gossdp calls it on its reader goroutine.
func (s *Searcher) Response(message gossdp.ResponseMessage) {
	if message.DeviceId != deviceUUID || message.Location == "" {
		s.log.Debug().Str("usn", message.Usn).Msg("ignoring an answer that is not a Flamenco Manager's")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.locations, message.Location) {
		return
	}
	s.locations = append(s.locations, message.Location)
	if len(s.locations) == 1 {
		close(s.found)
	}
}

// gossdpLogger puts gossdp's logging at debug level: for a test, it is noise.
type gossdpLogger struct{ log zerolog.Logger }

func (l gossdpLogger) Tracef(format string, args ...any) { l.log.Trace().Msgf(format, args...) }
func (l gossdpLogger) Infof(format string, args ...any)  { l.log.Debug().Msgf(format, args...) }
func (l gossdpLogger) Warnf(format string, args ...any)  { l.log.Debug().Msgf(format, args...) }
func (l gossdpLogger) Errorf(format string, args ...any) { l.log.Debug().Msgf(format, args...) }
