//go:build linux

package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

func TestMain(m *testing.M) { Main(m) }

var ssdpGroup = netip.MustParseAddr("239.255.255.250")

// addForeignLink adds an interface the harness would never create. The
// kernel here may lack the dummy module, so fall back to ifb, which is
// just as foreign.
func addForeignLink(t *testing.T, h *Host, name string) {
	t.Helper()
	if _, err := runIP(h.Name, "link", "add", name, "type", "dummy"); err == nil {
		return
	}
	h.IP(t, "link", "add", name, "type", "ifb")
}

func TestCheckIsolatedAcceptsHarnessLAN(t *testing.T) {
	t.Parallel()
	lan := NewLAN(t)
	self := Self()
	lan.Attach(t, self, WithDefaultRoute())
	if err := CheckIsolated(); err != nil {
		t.Fatalf("CheckIsolated with a default route via harness veth %s: %v", self.Iface, err)
	}
	// The switch namespace holds only lo, the bridge and veth peers.
	if err := checkIsolatedIn(lan.Switch.Name); err != nil {
		t.Fatalf("switch namespace: %v", err)
	}
}

func TestCheckIsolatedRefusesForeignInterface(t *testing.T) {
	t.Parallel()

	t.Run("foreign interface", func(t *testing.T) {
		t.Parallel()
		h := NewHost(t)
		if err := checkIsolatedIn(h.Name); err != nil {
			t.Fatalf("fresh host namespace: %v", err)
		}
		addForeignLink(t, h, "dummy0")
		err := checkIsolatedIn(h.Name)
		if err == nil || !strings.Contains(err.Error(), "dummy0") || !strings.Contains(err.Error(), "make test") {
			t.Fatalf("want refusal naming dummy0 and `make test`, got %v", err)
		}
		// Do must refuse too rather than open sockets there.
		ran := false
		err = h.Do(func() error { ran = true; return nil })
		if err == nil || ran {
			t.Fatalf("Host.Do in a namespace with dummy0: ran=%v err=%v", ran, err)
		}
	})

	t.Run("harness name, wrong kind", func(t *testing.T) {
		t.Parallel()
		h := NewHost(t)
		addForeignLink(t, h, IfacePrefix+"fake")
		if err := checkIsolatedIn(h.Name); err == nil || !strings.Contains(err.Error(), IfacePrefix+"fake") {
			t.Fatalf("want refusal naming %sfake, got %v", IfacePrefix, err)
		}
	})

	t.Run("foreign default route", func(t *testing.T) {
		t.Parallel()
		h := NewHost(t)
		addForeignLink(t, h, "dummy1")
		h.IP(t, "link", "set", "dummy1", "up")
		h.IP(t, "route", "add", "default", "dev", "dummy1")
		err := checkIsolatedIn(h.Name)
		if err == nil || !strings.Contains(err.Error(), "default route (IPv4, table main) goes through dummy1") {
			t.Fatalf("want refusal naming the default route via dummy1, got %v", err)
		}
	})

	t.Run("foreign IPv6 default route in another table", func(t *testing.T) {
		t.Parallel()
		h := NewHost(t)
		addForeignLink(t, h, "dummy2")
		h.IP(t, "link", "set", "dummy2", "up")
		h.IP(t, "-6", "route", "add", "default", "dev", "dummy2", "table", "100")
		err := checkIsolatedIn(h.Name)
		if err == nil || !strings.Contains(err.Error(), "default route (IPv6, table 100) goes through dummy2") {
			t.Fatalf("want refusal naming the IPv6 default route via dummy2, got %v", err)
		}
	})
}

// fakeTB records Fatalf instead of stopping the test.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }

// Not parallel: it swaps Main's recorded reason, which parallel tests read.
func TestRequireIsolatedReportsMainReason(t *testing.T) {
	old := mainReason()
	t.Cleanup(func() { setReason(old) })
	setReason("not running as root (test)")
	f := &fakeTB{TB: t}
	RequireIsolated(f)
	if !strings.Contains(f.fatal, "not running as root (test)") {
		t.Fatalf("RequireIsolated reported %q", f.fatal)
	}
	if err := Self().Do(func() error { return nil }); err == nil {
		t.Fatal("Self().Do ran despite the recorded reason")
	}
}

func TestHostDoCreatesSocketsInNamespace(t *testing.T) {
	t.Parallel()
	lan := NewLAN(t)
	h1, h2 := NewHost(t), NewHost(t)
	lan.Attach(t, h1)
	lan.Attach(t, h2)

	var rx, tx net.PacketConn
	if err := h1.Do(func() (err error) {
		rx, err = net.ListenPacket("udp4", netip.AddrPortFrom(h1.Addr, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := h2.Do(func() (err error) {
		tx, err = net.ListenPacket("udp4", netip.AddrPortFrom(h2.Addr, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()

	// Used from this goroutine, outside Do: the sockets stay in their namespaces.
	msg := []byte("hello from " + h2.Name)
	if _, err := tx.WriteTo(msg, rx.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	_ = rx.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err := rx.ReadFrom(buf)
	if err != nil {
		t.Fatalf("h1 receiving: %v", err)
	}
	if string(buf[:n]) != string(msg) {
		t.Fatalf("got %q, want %q", buf[:n], msg)
	}
	if got := from.(*net.UDPAddr).AddrPort().Addr().Unmap(); got != h2.Addr {
		t.Fatalf("datagram from %v, want %v", got, h2.Addr)
	}

}

func TestMulticastCrossesLAN(t *testing.T) {
	t.Parallel()
	lan := NewLAN(t)
	h1, h2 := NewHost(t), NewHost(t)
	lan.Attach(t, h1, WithMulticastRoute())
	lan.Attach(t, h2, WithMulticastRoute())
	group := &net.UDPAddr{IP: ssdpGroup.AsSlice(), Port: 1900}

	var rx net.PacketConn
	if err := h1.Do(func() error {
		ifi, err := net.InterfaceByName(h1.Iface)
		if err != nil {
			return err
		}
		rx, err = net.ListenPacket("udp4", "0.0.0.0:1900")
		if err != nil {
			return err
		}
		if err := ipv4.NewPacketConn(rx).JoinGroup(ifi, &net.UDPAddr{IP: group.IP}); err != nil {
			rx.Close()
			return fmt.Errorf("joining %v on %s: %w", group.IP, ifi.Name, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()

	var tx *ipv4.PacketConn
	if err := h2.Do(func() error {
		ifi, err := net.InterfaceByName(h2.Iface)
		if err != nil {
			return err
		}
		c, err := net.ListenPacket("udp4", netip.AddrPortFrom(h2.Addr, 0).String())
		if err != nil {
			return err
		}
		tx = ipv4.NewPacketConn(c)
		if err := tx.SetMulticastInterface(ifi); err != nil {
			c.Close()
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()

	msg := []byte("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n")
	buf := make([]byte, 1500)
	// Resend a few times in case the first datagram races the join settling.
	for range 3 {
		if _, err := tx.WriteTo(msg, nil, group); err != nil {
			t.Fatalf("h2 sending to %v: %v", group, err)
		}
		_ = rx.SetReadDeadline(time.Now().Add(time.Second))
		n, from, err := rx.ReadFrom(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil {
			t.Fatalf("h1 receiving: %v", err)
		}
		if got := from.(*net.UDPAddr).AddrPort().Addr().Unmap(); got != h2.Addr {
			t.Fatalf("multicast from %v, want %v", got, h2.Addr)
		}
		if string(buf[:n]) != string(msg) {
			t.Fatalf("got %q, want %q", buf[:n], msg)
		}
		return
	}
	t.Fatalf("h1 (%s on %s) got no multicast from h2 (%s) within 3s", h1.Addr, h1.Iface, h2.Addr)
}

func TestHostDoSurvivesPanicAndGoexit(t *testing.T) {
	t.Parallel()
	h := NewHost(t)
	func() {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "boom") {
				t.Errorf("recovered %v, want the panic from fn", p)
			}
		}()
		_ = h.Do(func() error { panic("boom") })
	}()
	if err := h.Do(func() error { runtime.Goexit(); return nil }); err == nil {
		t.Error("Do returned nil after fn called runtime.Goexit")
	}
	// Interfaces seen outside Do are our own, inside Do h's: lo only.
	var inside []net.Interface
	if err := h.Do(func() (err error) { inside, err = net.Interfaces(); return err }); err != nil {
		t.Fatal(err)
	}
	if len(inside) != 1 || inside[0].Name != "lo" {
		t.Errorf("interfaces inside %s: %v, want just lo", h.Name, inside)
	}
}
