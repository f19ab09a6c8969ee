package discovery

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

type staticResolver map[string][]netip.Addr

func (s staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := s[host]; ok {
		return slices.Clone(addrs), nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestChecksDialANameAtItsAddressesIPv4FirstSharingTheTimeLeft(t *testing.T) {
	t.Parallel()
	resolver := staticResolver{"farmhost": {netip.MustParseAddr("fd00::1"), netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("10.99.0.2")}}
	var dialed []string
	var budgets []time.Duration
	refused := errors.New("connection refused")
	dial := dialThrough(resolver, func(ctx context.Context, _, address string) (net.Conn, error) {
		dialed = append(dialed, address)
		deadline, _ := ctx.Deadline()
		budgets = append(budgets, time.Until(deadline))
		return nil, refused
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := dial(ctx, "tcp", "farmhost:8080"); !errors.Is(err, refused) {
		t.Errorf("err = %v, want every address's refusal", err)
	}
	if want := []string{"10.99.0.1:8080", "10.99.0.2:8080", "[fd00::1]:8080"}; !slices.Equal(dialed, want) {
		t.Errorf("dialed %v, want %v", dialed, want)
	}
	if len(budgets) == 3 && (budgets[0] > 1100*time.Millisecond || budgets[2] < 2*time.Second) {
		t.Errorf("time per address %v, want a third of 3 s first, all that is left last", budgets)
	}

	dialed = nil
	if _, err := dial(ctx, "tcp", "10.99.0.9:8080"); !errors.Is(err, refused) || !slices.Equal(dialed, []string{"10.99.0.9:8080"}) {
		t.Errorf("an address: dialed %v (%v), want it as it is", dialed, err)
	}
	var dnsErr *net.DNSError
	if _, err := dial(ctx, "tcp", "nohost:8080"); !errors.As(err, &dnsErr) {
		t.Errorf("an unknown name: err = %v, want the lookup's", err)
	}
}
