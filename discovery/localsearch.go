package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// ErrAlreadyAdvertised is wrapped by Advertiser.Start's error when the Manager is already advertised
// over SSDP from this machine, almost always by itself (its own discovery is on): nothing to add.
var ErrAlreadyAdvertised = errors.New("the Manager already advertises itself over SSDP")

// localSearchWait is how long AdvertisesItself waits for answers: the responder answers within the
// MX (1 s), one LOCATION after another.
const localSearchWait = 1500 * time.Millisecond

var loopbackSSDP = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), ssdpPort)

// AdvertisesItself reports whether the Manager at managerURL, on this machine, is already advertised
// over SSDP from this machine: it sends one M-SEARCH (MX 1) to UDP 1900 on 127.0.0.1, which never
// leaves the machine, and looks for an answer whose LOCATION is on this machine at the Manager's port.
// It answers "no" at once when nothing listens on UDP 1900 (on Linux), and after localSearchWait when
// what listens there does not answer so. Each call keeps the Manager's responder, which its Workers
// share, busy for about half a second: ask when something changed, not on a timer.
func (*Advertiser) AdvertisesItself(ctx context.Context, managerURL string) (bool, error) {
	base, err := managerapi.BaseURL(managerURL)
	if err != nil {
		return false, err
	}
	local, err := localAddresses()
	if err != nil {
		return false, err
	}
	if err := beforeSSDPSocket("local search"); err != nil {
		return false, err
	}
	// Connected, so that the ICMP "port unreachable" of an unused port 1900 fails the read at once.
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(loopbackSSDP))
	if err != nil {
		return false, fmt.Errorf("open local SSDP search socket: %w", err)
	}
	defer conn.Close()
	if err := conn.SetReadDeadline(time.Now().Add(localSearchWait)); err != nil {
		return false, fmt.Errorf("local SSDP search: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()

	if _, err := conn.Write(buildMSearch(searchMX)); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return false, nil
		}
		return false, fmt.Errorf("send local M-SEARCH: %w", err)
	}
	buf := make([]byte, maxSSDPMessage+1)
	for {
		n, err := conn.Read(buf)
		var timeout net.Error
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return false, ctx.Err()
		case errors.Is(err, syscall.ECONNREFUSED):
			return false, nil
		case errors.As(err, &timeout) && timeout.Timeout():
			return false, nil
		default:
			return false, fmt.Errorf("read local M-SEARCH answers: %w", err)
		}
		answer, err := ParseAnswer(buf[:n], loopbackSSDP)
		if err == nil && answer.Kind == SearchResponse && locationOnThisMachine(answer.Location, base.Port(), local) {
			return true, nil
		}
	}
}

// locationOnThisMachine reports whether an SSDP LOCATION points at this machine (loopback, or one of
// the local addresses) on port.
func locationOnThisMachine(location, port string, local []netip.Addr) bool {
	u, err := managerapi.BaseURL(location)
	if err != nil || u.Port() != port {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return false
	}
	return addr.IsLoopback() || slices.Contains(local, addr)
}
