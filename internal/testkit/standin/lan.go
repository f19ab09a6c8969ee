//go:build linux

package standin

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

// WaitByebye reads listener until an ssdp:byebye for location arrives, failing the test after within.
func WaitByebye(tb testing.TB, listener *net.UDPConn, location string, within time.Duration) discovery.Answer {
	tb.Helper()
	buf := make([]byte, 4096)
	listener.SetReadDeadline(time.Now().Add(within))
	for {
		n, src, err := listener.ReadFromUDPAddrPort(buf)
		if err != nil {
			tb.Fatalf("no byebye for %s: %v", location, err)
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if a, err := discovery.ParseAnswer(buf[:n], src); err == nil && a.Kind == discovery.ByebyeNotify && a.Location == location {
			return a
		}
	}
}

// OnLAN puts this test process and a stand-in Manager named name on a new namespace LAN, and returns
// the Manager and its address there.
func OnLAN(t *testing.T, name string) (*Process, netip.Addr) {
	t.Helper()
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	managerHost := netns.NewHost(t)
	addr := lan.Attach(t, managerHost, netns.WithMulticastRoute())
	return Start(t, managerHost, name), addr
}
