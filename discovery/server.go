package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// Server advertises Flamenco Manager LOCATIONs over SSDP with gossdp's server, the component
// Flamenco's Manager uses, so Workers and trays see it exactly as they see a Manager. On top of gossdp
// it sends ssdp:byebye when it stops (gossdp never does), survives gossdp's stop-time panic, and
// explains a taken UDP 1900.
type Server struct {
	ssdp    *gossdp.Ssdp
	log     zerolog.Logger
	gossdpL *gossdpLogger
	nonce   string

	mu        sync.Mutex
	locations []string
	ran       bool

	ready chan struct{} // closed when the gossdp reader handled our readiness ping
	echo  chan string   // LOCATIONs of our own byebyes heard back
	once  sync.Once
}

// NewServer creates a server and binds UDP 0.0.0.0:1900.
func NewServer(logger zerolog.Logger) (*Server, error) {
	if err := beforeSSDPSocket("server"); err != nil {
		return nil, err
	}
	s := &Server{
		log:   logger.With().Str("component", "ssdp-server").Logger(),
		nonce: fmt.Sprintf("%x", time.Now().UnixNano()),
		ready: make(chan struct{}),
		echo:  make(chan string, 64),
	}
	s.gossdpL = newGossdpLogger(s.log)
	ssdp, err := gossdp.NewSsdpWithLogger(s, s.gossdpL)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("create UPnP/SSDP server: %w: most likely a Flamenco Manager with its own discovery on "+
				"(autodiscoverable: true in flamenco-manager.yaml) already advertises itself, so there is nothing to add; "+
				"otherwise another SSDP service (minissdpd, a media server) holds it: %v", ErrSSDPPortInUse, err)
		}
		return nil, fmt.Errorf("create UPnP/SSDP server: %w", err)
	}
	s.ssdp = ssdp
	return s, nil
}

// AddAdvertisement adds a LOCATION to advertise. Call it before Run.
func (s *Server) AddAdvertisement(location string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Debug().Str("location", location).Msg("adding SSDP advertisement")
	s.locations = append(s.locations, location)
}

// AddAdvertisementURLs adds one LOCATION per URL, with the description path appended as Flamenco's
// Manager does.
func (s *Server) AddAdvertisementURLs(urls []url.URL) {
	for _, u := range urls {
		u.Path = strings.TrimSuffix(u.Path, "/") + DescriptionPath
		s.AddAdvertisement(u.String())
	}
}

// Locations returns a copy of the advertised LOCATIONs.
func (s *Server) Locations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.locations...)
}

// Run advertises until ctx ends, then sends ssdp:byebye for every LOCATION and closes the socket. A
// Server runs once.
func (s *Server) Run(ctx context.Context) {
	s.mu.Lock()
	ran := s.ran
	s.ran = true
	locations := append([]string(nil), s.locations...)
	s.mu.Unlock()
	if ran {
		s.log.Error().Msg("ssdp server: Run called twice")
		return
	}

	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		// gossdp's reader can dereference its nil socket after Stop (it clears the socket while the
		// reader is still answering an M-SEARCH); that is the end of the reader, not an error.
		defer func() {
			if r := recover(); r != nil {
				s.log.Debug().Interface("panic", r).Msg("gossdp server reader stopped with a panic")
			}
		}()
		s.ssdp.Start()
	}()
	s.awaitReader()

	for _, location := range locations {
		s.ssdp.AdvertiseServer(gossdp.AdvertisableServer{
			ServiceType: ServiceType,
			DeviceUuid:  DeviceUUID,
			Location:    location,
			MaxAge:      int(AdvertisementMaxAge / time.Second),
		})
	}
	s.log.Info().Strs("locations", locations).Msg("advertising Flamenco Manager over SSDP")

	<-ctx.Done()

	s.gossdpL.stopping.Store(true)
	s.sendByebyes(locations)
	s.ssdp.Stop()
	<-readerDone
	s.log.Info().Msg("stopped advertising; sent ssdp:byebye")
}

// awaitReader sends gossdp's server a NOTIFY over loopback and waits until its reader passes it on:
// stopping gossdp before its reader started races with its WaitGroup.
func (s *Server) awaitReader() {
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ssdpPort})
	if err == nil {
		defer conn.Close()
		ping := buildNotify(notifyAlive, readinessType(s.nonce), "", 1)
		for range 3 {
			_, _ = conn.Write(ping)
			select {
			case <-s.ready:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	s.log.Debug().Err(err).Msg("gossdp reader did not confirm it started; waiting instead")
	time.Sleep(gossdpSettleTime)
}

// sendByebyes multicasts ssdp:byebye for each LOCATION on every multicast interface, then waits
// briefly until gossdp's own reader has heard them back, so that it is idle when gossdp stops.
func (s *Server) sendByebyes(locations []string) {
	if len(locations) == 0 {
		return
	}
	sender, err := newMulticastSender(s.log)
	if err != nil {
		s.log.Warn().Err(err).Msg("could not send ssdp:byebye; peers keep this Manager until it expires")
		return
	}
	defer sender.Close()
	for _, location := range locations {
		sent := sender.SendAll(buildNotify(notifyByebye, ServiceType, location, 0))
		s.log.Debug().Str("location", location).Int("interfaces", sent).Msg("sent ssdp:byebye")
	}
	deadline := time.After(300 * time.Millisecond)
	for heard := 0; heard < len(locations); heard++ {
		select {
		case <-s.echo:
		case <-deadline:
			return
		}
	}
}

func readinessType(nonce string) string { return "urn:flamenco-tray:readiness:" + nonce }

// NotifyAlive implements gossdp.SsdpListener (gossdp's reader goroutine).
func (s *Server) NotifyAlive(message gossdp.AliveMessage) {
	if message.SearchType == readinessType(s.nonce) {
		s.once.Do(func() { close(s.ready) })
	}
}

// NotifyBye implements gossdp.SsdpListener (gossdp's reader goroutine).
func (s *Server) NotifyBye(message gossdp.ByeMessage) {
	if message.SearchType != ServiceType || message.RawRequest == nil {
		return
	}
	select {
	case s.echo <- message.RawRequest.Header.Get("LOCATION"):
	default:
	}
}

// Response implements gossdp.SsdpListener; the server does not search.
func (s *Server) Response(gossdp.ResponseMessage) {}
