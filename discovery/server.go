package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

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

	mu        sync.Mutex
	locations []string
	ran       bool
}

// NewServer creates a server and binds UDP 0.0.0.0:1900.
func NewServer(logger zerolog.Logger) (*Server, error) {
	if err := beforeSSDPSocket("server"); err != nil {
		return nil, err
	}
	s := &Server{
		log: logger.With().Str("component", "ssdp-server").Logger(),
	}
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

	// Advertise before starting: gossdp's reader reads its advertisement maps without its lock.
	for _, location := range locations {
		s.ssdp.AdvertiseServer(gossdp.AdvertisableServer{
			ServiceType: ServiceType,
			DeviceUuid:  DeviceUUID,
			Location:    location,
			MaxAge:      int(AdvertisementMaxAge / time.Second),
		})
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

	s.log.Info().Strs("locations", locations).Msg("advertising Flamenco Manager over SSDP")

	<-ctx.Done()

	s.gossdpL.stopping.Store(true)
	s.sendByebyes(locations)
	if stopReader(s.ssdp) {
		select {
		case <-readerDone:
		case <-time.After(maxDrainTime):
			s.log.Debug().Msg("gossdp reader still busy answering a search; stopping it anyway")
		}
	}
	s.ssdp.Stop()
	<-readerDone
	stopAdvertisementTimers(s.ssdp)
	s.log.Info().Msg("stopped advertising; sent ssdp:byebye")
}

// maxDrainTime bounds how long stopping waits for gossdp's reader to finish the answer it is
// sending (it sleeps up to MX seconds before each; Workers use MX 3).
const maxDrainTime = 4 * time.Second

// stopReader makes gossdp's reader return by itself: its next read fails on a read deadline, so it
// leaves its loop without touching its socket again. gossdp's own Stop instead clears the socket while
// the reader may be using it (a data race and a nil dereference) and has no way to stop the reader
// first; the socket is reachable only through gossdp's unexported field. gossdp is pinned to one
// version that never changes, and if the field is not found this reports false and Stop copes alone.
func stopReader(ssdp *gossdp.Ssdp) bool {
	field := reflect.ValueOf(ssdp).Elem().FieldByName("socket")
	if !field.IsValid() {
		return false
	}
	field = field.FieldByName("rawSocket")
	if !field.IsValid() || field.Type() != reflect.TypeFor[net.PacketConn]() {
		return false
	}
	conn, _ := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem().Interface().(net.PacketConn)
	if conn == nil {
		return false
	}
	return conn.SetReadDeadline(time.Now()) == nil
}

// stopAdvertisementTimers stops the re-announcement timers of every advertisement. gossdp's Stop
// stops them only for the last advertisement of each device UUID, and all of Flamenco's share one:
// the others' timers re-arm themselves for max-age (an hour), keeping the whole server in memory.
// Like stopReader, this reaches into gossdp's unexported fields of its one pinned version.
func stopAdvertisementTimers(ssdp *gossdp.Ssdp) {
	servers := reflect.ValueOf(ssdp).Elem().FieldByName("advertisableServers")
	if !servers.IsValid() || servers.Kind() != reflect.Map {
		return
	}
	timerType := reflect.TypeFor[*time.Timer]()
	for iter := servers.MapRange(); iter.Next(); {
		list := iter.Value()
		if list.Kind() != reflect.Slice {
			return
		}
		for i := range list.Len() {
			ad := list.Index(i)
			if ad.Kind() != reflect.Pointer || ad.IsNil() {
				continue
			}
			for _, name := range []string{"lastTimer", "last3sTimer"} {
				field := ad.Elem().FieldByName(name)
				if !field.IsValid() || field.Type() != timerType {
					continue
				}
				timer := reflect.NewAt(timerType, unsafe.Pointer(field.UnsafeAddr())).Elem().Interface().(*time.Timer)
				if timer != nil {
					timer.Stop()
				}
			}
		}
	}
}

// sendByebyes multicasts ssdp:byebye for each LOCATION on every multicast interface.
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
}
