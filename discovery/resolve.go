package discovery

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"time"
)

// Resolver looks up a host name's addresses; *net.Resolver is one (net.DefaultResolver is the
// Browser's unless told otherwise).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// maxConcurrentLookups bounds the host-name lookups in flight (names come only from the user and
// IT: a handful).
const maxConcurrentLookups = 4

type lookupResult struct {
	host  string
	addrs []netip.Addr
	err   error
}

// startLookups starts the host-name lookups that are due, each bounded by the probe timeout.
func (s *browsing) startLookups(now time.Time) {
	for _, host := range s.registry.DueResolutions(now, maxConcurrentLookups-s.looking) {
		s.looking++
		s.wg.Go(func() {
			ctx, cancel := context.WithTimeout(s.ctx, DefaultProbeTimeout)
			defer cancel()
			addrs, err := s.b.cfg.Resolver.LookupNetIP(ctx, "ip", host)
			s.lookups <- lookupResult{host, addrs, err}
		})
	}
}

// resolved hands a lookup's result to the registry and logs what it changes: a new answer at Info,
// a failure once (then at Debug), with how long the last answer still joins the name to its
// addresses.
func (s *browsing) resolved(now time.Time, l lookupResult) {
	news, keptUntil := s.registry.Resolved(now, l.host, l.addrs, l.err)
	log := s.b.log.Debug()
	switch {
	case news && l.err == nil:
		log = s.b.log.Info()
	case news:
		log = s.b.log.Warn()
	}
	log = log.Str("host", l.host)
	switch {
	case l.err == nil:
		log.Interface("addresses", l.addrs).Msg("looked up a Manager's host name")
	case keptUntil.IsZero():
		log.Err(l.err).Msg("cannot look up a Manager's host name")
	default:
		log.Err(l.err).Time("kept_until", keptUntil).
			Msg("cannot look up a Manager's host name; its last addresses count until kept_until, then it is no longer taken for the Manager found at them")
	}
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// dialThrough returns a dial function that reaches a host name at the addresses resolver gives for
// it, in turn, IPv4 first (SSDP, and so a LAN Manager, is IPv4), each with an equal share of the
// time left (as net.Dialer does), and an IP address directly. A Browser's checks go where its own
// lookups say a name is: the addresses it compares with the ones found by searching are the ones
// that answered.
func dialThrough(resolver Resolver, dial dialFunc) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return dial(ctx, network, address)
		}
		addrs, err := resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		if len(addrs) == 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
		}
		slices.SortStableFunc(addrs, func(a, b netip.Addr) int { return cmp.Compare(boolRank(!a.Unmap().Is4()), boolRank(!b.Unmap().Is4())) })
		var errs []error
		for i, addr := range addrs {
			attempt, cancel := ctx, context.CancelFunc(func() {})
			if deadline, ok := ctx.Deadline(); ok {
				attempt, cancel = context.WithTimeout(ctx, time.Until(deadline)/time.Duration(len(addrs)-i))
			}
			conn, err := dial(attempt, network, net.JoinHostPort(addr.Unmap().String(), port))
			cancel()
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, errors.Join(errs...)
	}
}
