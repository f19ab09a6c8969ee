package discovery

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// Resolver looks up a host name's addresses; *net.Resolver is one (net.DefaultResolver is the
// Browser's unless told otherwise).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// dialThrough returns a dial function that reaches a host name at the addresses resolver gives for
// it, in turn, each with an equal share of the time left (as net.Dialer does), and an IP address
// directly. A Browser's checks go where its own lookups say a name is: the addresses it compares
// with the ones found by searching are the ones that answered.
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
