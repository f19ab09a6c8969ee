package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fromkeith/gossdp"
	"github.com/rs/zerolog"
)

// ErrSSDPPortInUse is wrapped by NewServer's error when another program holds UDP port 1900.
var ErrSSDPPortInUse = errors.New("UDP port 1900 (SSDP) is already in use on this machine")

// ErrByebyeNotSent is wrapped by Run's error when ssdp:byebye could not be sent for every LOCATION:
// peers then keep listing them until their max-age runs out.
var ErrByebyeNotSent = errors.New("ssdp:byebye not sent")

// Server advertises Flamenco Manager LOCATIONs over SSDP with gossdp's server, the component
// Flamenco's Manager uses, so Workers and trays see it exactly as they see a Manager. On top of gossdp
// it stops answering before it says ssdp:byebye (gossdp never sends one), so the byebye is its last
// word, and it explains a taken UDP 1900.
type Server struct {
	ssdp      *gossdp.Ssdp
	internals *gossdpInternals // nil when gossdp's fields are out of reach: see fallbackStop
	log       zerolog.Logger
	gossdpL   *gossdpLogger

	mu        sync.Mutex
	locations []string
	ran       bool
}

// NewServer creates a server and binds UDP 0.0.0.0:1900.
func NewServer(logger zerolog.Logger) (*Server, error) {
	if err := beforeSSDPSocket("server"); err != nil {
		return nil, err
	}
	s := &Server{log: logger.With().Str("component", "ssdp-server").Logger()}
	s.gossdpL = newGossdpLogger(s.log)
	ssdp, err := gossdp.NewSsdpWithLogger(nil, s.gossdpL)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("create UPnP/SSDP server: %w: most likely a Flamenco Manager with its own discovery on "+
				"(autodiscoverable: true in flamenco-manager.yaml) already advertises itself, so there is nothing to add; "+
				"otherwise another SSDP service (minissdpd, a media server) holds it: %v", ErrSSDPPortInUse, err)
		}
		return nil, fmt.Errorf("create UPnP/SSDP server: %w", err)
	}
	s.ssdp = ssdp
	s.internals, err = reachGossdp(ssdp)
	if err != nil {
		s.log.Warn().Err(err).Msg("stopping will use gossdp's own Stop: an answer to an M-SEARCH may follow the byebye")
	}
	return s, nil
}

// AddAdvertisementURLs adds one LOCATION to advertise per URL, with the description path appended
// as Flamenco's Manager does. Call it before Run.
func (s *Server) AddAdvertisementURLs(urls []url.URL) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range urls {
		u.Path = strings.TrimSuffix(u.Path, "/") + DescriptionPath
		s.locations = append(s.locations, u.String())
	}
}

// Locations returns a copy of the advertised LOCATIONs.
func (s *Server) Locations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.locations...)
}

// Run advertises until ctx ends, then stops answering and announcing, sends ssdp:byebye for every
// LOCATION and closes the socket. It returns an error wrapping ErrByebyeNotSent when the byebye did not
// go out. A Server runs once.
//
// Run does not wait for gossdp's reader when it is sleeping before an answer (up to the M-SEARCH's MX,
// at most 60 s): that answer is never sent, and the reader then returns by itself.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	ran := s.ran
	s.ran = true
	locations := append([]string(nil), s.locations...)
	s.mu.Unlock()
	if ran {
		return errors.New("ssdp server: Run called twice")
	}

	// Advertise before starting: gossdp's reader reads its advertisement maps without its lock.
	for _, location := range locations {
		s.ssdp.AdvertiseServer(gossdp.AdvertisableServer{
			ServiceType: ServiceType,
			DeviceUuid:  DeviceUUID,
			Location:    location,
			MaxAge:      int(AdvertisementMaxAge / time.Second),
		})
	}
	var gossdpGoroutines sync.WaitGroup
	started := make(chan struct{})
	gossdpGoroutines.Go(func() {
		// Only gossdp's own Stop (the fallback) makes its reader panic: it clears the socket under it.
		defer func() {
			if r := recover(); r != nil {
				s.log.Debug().Interface("panic", r).Msg("gossdp server reader stopped with a panic")
			}
		}()
		close(started)
		s.ssdp.Start() // starts gossdp's writer, then reads until the socket is closed
	})
	s.log.Info().Strs("locations", locations).Msg("advertising Flamenco Manager over SSDP")

	<-ctx.Done()
	s.gossdpL.stopping.Store(true)
	<-started // gossdp's writer starts first thing in Start: stopping needs it running
	if s.internals != nil {
		s.stopGossdp()
	} else {
		s.fallbackStop(&gossdpGoroutines)
	}
	err := s.sendByebyes(locations)
	if s.internals != nil {
		if closeErr := s.internals.closeSocket(); closeErr != nil {
			s.log.Debug().Err(closeErr).Msg("closing gossdp's socket")
		}
		s.internals.stopTimers()
	}
	finished := make(chan struct{})
	go func() {
		gossdpGoroutines.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(readerGrace):
		s.log.Debug().Msg("gossdp's reader is asleep before an answer it will not send; it ends by itself")
	}
	if err != nil {
		s.log.Warn().Err(err).Msg("stopped advertising; peers keep this Manager until it expires")
		return err
	}
	s.log.Info().Msg("stopped advertising; sent ssdp:byebye")
	return nil
}

// readerGrace is how long Run waits for gossdp's reader to end before returning anyway: long enough
// for a reader blocked in a read, far shorter than one asleep before an answer.
const readerGrace = 50 * time.Millisecond

// writerStopTime bounds the wait for gossdp's writer, which only ever waits for one UDP send.
const writerStopTime = time.Second

// stopGossdp leaves gossdp unable to send anything: no answer, re-announcement or datagram in its
// writer can follow the byebye sent after it.
func (s *Server) stopGossdp() {
	s.internals.stopSending()
	if err := s.internals.stopWriter(writerStopTime); err != nil {
		s.log.Warn().Err(err).Msg("gossdp may still send after the byebye")
	}
}

// fallbackStop stops gossdp with its own Stop, when its internals are out of reach. Stop clears its
// running flag and stops its writer at once, then closes its socket under its reader (whose panic Run
// recovers) and waits for it, which may sleep up to an M-SEARCH's MX: the byebye waits for Stop up to
// writerStopTime, not longer, so here nothing proves that gossdp's writer finished before it.
func (s *Server) fallbackStop(goroutines *sync.WaitGroup) {
	stopped := make(chan struct{})
	goroutines.Go(func() {
		defer close(stopped)
		s.ssdp.Stop()
	})
	select {
	case <-stopped:
	case <-time.After(writerStopTime):
		s.log.Warn().Msg("gossdp is still stopping; sending the byebye anyway")
	}
}

// sendByebyes multicasts ssdp:byebye for each LOCATION on every multicast interface. It fails when a
// LOCATION's byebye went out on no interface at all.
func (s *Server) sendByebyes(locations []string) error {
	if len(locations) == 0 {
		return nil
	}
	sender, err := newMulticastSender(s.log)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrByebyeNotSent, err)
	}
	defer sender.conn.Close()
	var unsent []string
	for _, location := range locations {
		sent := sender.SendAll(buildByebye(location))
		s.log.Debug().Str("location", location).Int("interfaces", sent).Msg("sent ssdp:byebye")
		if sent == 0 {
			unsent = append(unsent, location)
		}
	}
	if len(unsent) > 0 {
		return fmt.Errorf("%w for %s: no multicast interface took it", ErrByebyeNotSent, strings.Join(unsent, ", "))
	}
	return nil
}
