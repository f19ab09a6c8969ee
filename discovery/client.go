package discovery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fromkeith/gossdp"
	"github.com/rs/zerolog"
)

// Client searches for Flamenco Managers the way Flamenco's Worker does: one gossdp M-SEARCH (MX 3,
// through the default route's interface) every second until a Manager answers. It returns LOCATIONs,
// unverified. The tray uses Browser instead; tests search with Client as a Flamenco Worker would,
// and the benchmarks compare the Browser against it.
type Client struct {
	ssdp    *gossdp.ClientSsdp
	log     zerolog.Logger
	gossdpL *gossdpLogger

	mu        sync.Mutex
	locations []string // in the order they arrived
	seen      map[string]bool
	found     chan struct{} // closed at the first Flamenco LOCATION
	ran       bool
}

// clientSearchInterval is how often Client repeats its M-SEARCH, as Flamenco's Worker does.
const clientSearchInterval = time.Second

// gossdpSettleTime is how long a gossdp client or server is given to start its goroutines before it
// is stopped: its Stop waits on WaitGroups that those goroutines add to when they start, and stopping
// before they did races (and can block forever, see FLAMENCO-SSDP.md).
const gossdpSettleTime = 100 * time.Millisecond

// NewClient creates a client and binds its socket.
func NewClient(logger zerolog.Logger) (*Client, error) {
	if err := beforeSSDPSocket("client"); err != nil {
		return nil, err
	}
	c := &Client{
		log:   logger.With().Str("component", "ssdp-client").Logger(),
		seen:  make(map[string]bool),
		found: make(chan struct{}),
	}
	c.gossdpL = newGossdpLogger(c.log)
	ssdp, err := gossdp.NewSsdpClientWithLogger(c, c.gossdpL)
	if err != nil {
		return nil, fmt.Errorf("create UPnP/SSDP client: %w", err)
	}
	c.ssdp = ssdp
	return c, nil
}

// Run searches until at least one Flamenco LOCATION answered or ctx ends, then stops the client and
// returns the LOCATIONs in the order they arrived, without duplicates. It returns ctx's error when
// nothing answered. A Client runs once.
func (c *Client) Run(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	if c.ran {
		c.mu.Unlock()
		return nil, fmt.Errorf("ssdp client: Run called twice")
	}
	c.ran = true
	c.mu.Unlock()

	started := time.Now()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer func() {
			if r := recover(); r != nil {
				c.log.Debug().Interface("panic", r).Msg("gossdp client reader stopped with a panic")
			}
		}()
		c.ssdp.Start()
	}()

	var err error
	ticker := time.NewTicker(clientSearchInterval)
search:
	for {
		if err = c.ssdp.ListenFor(ServiceType); err != nil {
			err = fmt.Errorf("send M-SEARCH: %w", err)
			break
		}
		select {
		case <-c.found:
			break search
		case <-ctx.Done():
			err = ctx.Err()
			break search
		case <-ticker.C:
		}
	}
	ticker.Stop()

	if wait := gossdpSettleTime - time.Since(started); wait > 0 {
		time.Sleep(wait)
	}
	c.gossdpL.stopping.Store(true)
	c.ssdp.Stop()
	<-readerDone

	locations := c.Locations()
	if len(locations) > 0 {
		return locations, nil
	}
	return nil, err
}

// Locations returns a copy of the Flamenco LOCATIONs received so far.
func (c *Client) Locations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.locations...)
}

// Response implements gossdp.ClientListener; gossdp calls it on its reader goroutine.
func (c *Client) Response(message gossdp.ResponseMessage) {
	logger := c.log.With().Str("location", message.Location).Str("usn", message.Usn).Logger()
	if message.DeviceId != DeviceUUID {
		logger.Debug().Msg("ignoring SSDP answer from another device")
		return
	}
	if message.Location == "" {
		logger.Debug().Msg("ignoring SSDP answer without LOCATION")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[message.Location] {
		return
	}
	logger.Debug().Msg("Flamenco Manager answered")
	c.seen[message.Location] = true
	c.locations = append(c.locations, message.Location)
	if len(c.locations) == 1 {
		close(c.found)
	}
}
