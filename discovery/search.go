package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/net/ipv4"
)

// errNoMulticastInterface means no network interface can carry an SSDP search.
var errNoMulticastInterface = errors.New("no network interface that is up, has an IPv4 address and supports multicast")

var ssdpGroup = &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: ssdpPort}

// searchMX is the MX of our M-SEARCHes: the responder of every Manager sleeps a random 0..MX seconds
// before answering, one search at a time, so the smallest MX answers soonest and blocks others least.
const searchMX = 1

// multicastInterfaces lists the interfaces an M-SEARCH should go out on: up, multicast-capable and
// with an IPv4 address. gossdp's client only uses the one the routing table picks for the group.
func multicastInterfaces() ([]net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	var usable []net.Interface
	for _, ifi := range all {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, addr := range addrs {
			if prefix, ok := addr.(*net.IPNet); ok && prefix.IP.To4() != nil {
				usable = append(usable, ifi)
				break
			}
		}
	}
	return usable, nil
}

// localAddresses returns every address of this machine's interfaces, loopback included.
func localAddresses() ([]netip.Addr, error) {
	networks, err := localNetworks()
	if err != nil {
		return nil, err
	}
	local := make([]netip.Addr, len(networks))
	for i, n := range networks {
		local[i] = n.Addr()
	}
	return local, nil
}

// localNetworks returns every address of this machine's interfaces with its subnet.
func localNetworks() ([]netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("list interface addresses: %w", err)
	}
	var networks []netip.Prefix
	for _, addr := range addrs {
		ipnet, ok := addr.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipnet.IP)
		if !ok {
			continue
		}
		ones, total := ipnet.Mask.Size()
		if ip.Is4In6() {
			ip = ip.Unmap()
			if total == 128 {
				ones -= 96
			}
		}
		if ones < 0 || ones > ip.BitLen() {
			continue
		}
		networks = append(networks, netip.PrefixFrom(ip, ones))
	}
	return networks, nil
}

// ssdpSocket is a UDP socket on a random port that sends to the SSDP group through a chosen interface
// and receives the unicast answers, with their source address. It never binds port 1900: that would
// take the port from a Manager on this machine that starts later.
type ssdpSocket struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn
	log  zerolog.Logger

	mu sync.Mutex // serialises choosing the interface and writing
}

func newMulticastSender(logger zerolog.Logger) (*ssdpSocket, error) {
	if err := beforeSSDPSocket("search"); err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, fmt.Errorf("open SSDP search socket: %w", err)
	}
	pc := ipv4.NewPacketConn(conn)
	// UPnP 1.1 asks for TTL 2; the default (1) would do, but routers between VLANs that forward
	// SSDP expect 2.
	_ = pc.SetMulticastTTL(2)
	// Lets a Manager on this very machine hear us.
	_ = pc.SetMulticastLoopback(true)
	return &ssdpSocket{conn: conn, pc: pc, log: logger}, nil
}

// SendAll multicasts payload through every multicast interface and returns how many took it.
func (s *ssdpSocket) SendAll(payload []byte) int {
	interfaces, err := multicastInterfaces()
	if err != nil {
		s.log.Warn().Err(err).Msg("cannot send SSDP message")
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sent := 0
	for _, ifi := range interfaces {
		if err := s.pc.SetMulticastInterface(&ifi); err != nil {
			s.log.Debug().Err(err).Str("interface", ifi.Name).Msg("SSDP send failed: cannot choose the interface")
			continue
		}
		if _, err := s.pc.WriteTo(payload, nil, ssdpGroup); err != nil {
			s.log.Debug().Err(err).Str("interface", ifi.Name).Msg("SSDP send failed")
			continue
		}
		sent++
	}
	return sent
}

// readAnswers reads datagrams until the socket is closed or ctx ends, and hands each Flamenco answer
// to deliver. Malformed datagrams are counted and logged at debug level: anyone can send them.
func (s *ssdpSocket) readAnswers(ctx context.Context, deliver func(Answer)) error {
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	buf := make([]byte, maxSSDPMessage+1)
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read SSDP answers: %w", err)
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		answer, err := ParseAnswer(buf[:n], src)
		if err != nil {
			if !errors.Is(err, errNotFlamenco) {
				s.log.Debug().Err(err).Stringer("from", src).Msg("ignoring malformed SSDP datagram")
			}
			continue
		}
		deliver(answer)
	}
}
