//go:build linux

package netns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// Process-wide counters; atomic so parallel tests never hand out the same
// namespace, interface or subnet twice.
var (
	nsCounter    atomic.Uint64
	ifaceCounter atomic.Uint64
	lanCounter   atomic.Uint64
)

// bridgeName is the bridge in every LAN's switch namespace; each LAN has its
// own namespace, so the name never clashes.
const bridgeName = IfacePrefix + "br"

// A Host is a network namespace created by the harness, or the test
// process's own namespace (Name ""). Attach changes Iface and Addr, so a
// Host must not be attached from several goroutines at once.
type Host struct {
	Name  string     // netns name as `ip netns` knows it; "" = the test process's own namespace
	Iface string     // its interface on the LAN it was attached to last (e.g. "ftv3")
	Addr  netip.Addr // its IPv4 address on that LAN
}

// NewHost creates a network namespace with lo up, multicast on and
// 224.0.0.0/4 routed to lo (as Main does for the process's own namespace),
// deleted by tb.Cleanup. It calls RequireIsolated first.
func NewHost(tb testing.TB) *Host {
	tb.Helper()
	RequireIsolated(tb)
	h := &Host{Name: newNamespace(tb)}
	if err := setupLoopback(h.Name); err != nil {
		tb.Fatalf("netns: %s: %v", h.Name, err)
	}
	return h
}

// Self returns a Host for the test process's own namespace. Each call
// returns a new value, so parallel tests don't share Iface and Addr; the
// namespace itself (and its routes) is shared, though.
func Self() *Host { return &Host{} }

// newNamespace creates a uniquely named namespace and registers its removal.
func newNamespace(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("%s%d-%d", NsPrefix, os.Getpid(), nsCounter.Add(1))
	if out, err := runIP("", "netns", "add", name); err != nil {
		tb.Fatalf("netns: ip netns add %s: %v: %s", name, err, out)
	}
	tb.Cleanup(func() {
		if out, err := runIP("", "netns", "del", name); err != nil {
			tb.Errorf("netns: ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

// A LAN is an Ethernet segment: a bridge with multicast snooping off (so
// multicast is flooded like on a dumb switch), in a "switch" namespace of
// its own, to which hosts are attached by veth pairs.
type LAN struct {
	Subnet netip.Prefix // e.g. 10.77.0.0/24
	Switch *Host        // the switch namespace; Switch.Iface is the bridge

	next atomic.Uint32 // last host number handed out in Subnet
}

// NewLAN creates the switch namespace and bridge. Each call in a process
// takes the next subnet: 10.77.0.0/24, 10.77.1.0/24, ...
func NewLAN(tb testing.TB) *LAN {
	tb.Helper()
	RequireIsolated(tb)
	n := lanCounter.Add(1) - 1
	if n >= (256-77)*256 {
		tb.Fatalf("netns: out of LAN subnets after %d LANs", n)
	}
	subnet := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(77 + n/256), byte(n % 256), 0}), 24)
	sw := &Host{Name: newNamespace(tb), Iface: bridgeName}
	sw.IP(tb, "link", "add", bridgeName, "type", "bridge", "mcast_snooping", "0")
	sw.IP(tb, "link", "set", bridgeName, "up")
	return &LAN{Subnet: subnet, Switch: sw}
}

// An AttachOption adds routes when attaching a host to a LAN.
type AttachOption func(*attachOptions)

type attachOptions struct {
	multicastRoute bool
	defaultRoute   bool
}

// WithMulticastRoute routes 224.0.0.0/4 to the new interface (replacing
// the route to lo), so multicast sent without an explicit interface goes
// onto the LAN.
func WithMulticastRoute() AttachOption {
	return func(o *attachOptions) { o.multicastRoute = true }
}

// WithDefaultRoute makes the new interface the default route. CheckIsolated
// accepts it because the device is a harness veth.
func WithDefaultRoute() AttachOption {
	return func(o *attachOptions) { o.defaultRoute = true }
}

// Attach connects h to the LAN with a veth pair: the end named
// IfacePrefix+<counter> goes into h's namespace, the peer (same name + "p")
// onto the bridge. It assigns the next address in the subnet (.1, .2, ...)
// as /24, brings both ends up, sets h.Iface and h.Addr, and returns the
// address.
func (l *LAN) Attach(tb testing.TB, h *Host, opts ...AttachOption) netip.Addr {
	tb.Helper()
	RequireIsolated(tb)
	var o attachOptions
	for _, opt := range opts {
		opt(&o)
	}
	k := l.next.Add(1)
	if k > 254 {
		tb.Fatalf("netns: LAN %s is full", l.Subnet)
	}
	a := l.Subnet.Addr().As4()
	a[3] = byte(k)
	addr := netip.AddrFrom4(a)

	iface := IfacePrefix + strconv.FormatUint(ifaceCounter.Add(1), 10)
	peer := iface + "p"
	if len(peer) > 15 { // IFNAMSIZ-1
		tb.Fatalf("netns: interface name %s too long", peer)
	}
	// Create the pair inside the switch and send the host end straight to
	// its namespace, so no half-configured end ever sits anywhere else.
	target := h.Name
	if target == "" {
		target = strconv.Itoa(os.Getpid())
	}
	l.Switch.IP(tb, "link", "add", peer, "type", "veth", "peer", "name", iface, "netns", target)
	if h.Name == "" {
		// Deleting the switch namespace would take this end along, but
		// only once the kernel gets round to it; don't leave it lingering.
		tb.Cleanup(func() {
			if out, err := runIP("", "link", "del", iface); err != nil && !strings.Contains(string(out), "Cannot find device") {
				tb.Errorf("netns: ip link del %s: %v: %s", iface, err, out)
			}
		})
	}
	l.Switch.IP(tb, "link", "set", peer, "master", bridgeName, "up")
	h.IP(tb, "addr", "add", netip.PrefixFrom(addr, 24).String(), "dev", iface)
	h.IP(tb, "link", "set", iface, "up")
	if o.multicastRoute {
		h.IP(tb, "route", "replace", "224.0.0.0/4", "dev", iface)
		if h.Name == "" {
			// The process's namespace outlives this LAN: give multicast back to lo, as Main set it,
			// or the next test that relies on loopback multicast finds no route. (Registered after
			// the link's deletion, so it runs before it.)
			tb.Cleanup(func() {
				if out, err := runIP("", "route", "replace", "224.0.0.0/4", "dev", "lo"); err != nil {
					tb.Errorf("netns: restore the multicast route to lo: %v: %s", err, out)
				}
			})
		}
	}
	if o.defaultRoute {
		h.IP(tb, "route", "replace", "default", "dev", iface)
	}
	h.Iface, h.Addr = iface, addr
	return addr
}

// Do runs fn on an OS thread switched into h's namespace, so sockets fn
// creates live there (and can be used from any goroutine afterwards). It
// first checks that h's namespace is isolated and returns the refusal
// instead of running fn if not. For Name "" fn runs in place. Do returns
// fn's error; a panic in fn is re-raised in the caller. Don't call t.Fatal
// and friends inside fn: it runs on another goroutine.
func (h *Host) Do(fn func() error) error {
	if err := isolationError(h.Name); err != nil {
		return err
	}
	if h.Name == "" {
		return fn()
	}

	type result struct {
		err      error
		returned bool
		panicked bool
		panicVal any
		stack    []byte
	}
	done := make(chan result, 1)
	go func() {
		var res result
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netns: opening own namespace: %w", err)}
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join("/run/netns", h.Name))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netns: opening namespace %s: %w", h.Name, err)}
			return
		}
		err = unix.Setns(int(target.Fd()), unix.CLONE_NEWNET)
		target.Close()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netns: entering namespace %s: %w", h.Name, err)}
			return
		}
		// Deferred so the thread is restored even if fn panics or calls
		// runtime.Goexit.
		defer func() {
			if !res.returned && !res.panicked {
				res.err = fmt.Errorf("netns: fn exited its goroutine inside Host.Do (t.Fatal/FailNow from fn?)")
			}
			if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
				// Stay locked: the runtime then kills this thread with the
				// goroutine instead of reusing it in the wrong namespace.
				if res.err == nil {
					res.err = fmt.Errorf("netns: leaving namespace %s: %w", h.Name, err)
				}
			} else {
				runtime.UnlockOSThread()
			}
			done <- res
		}()
		defer func() {
			if p := recover(); p != nil {
				res.panicked, res.panicVal, res.stack = true, p, debug.Stack()
			}
		}()
		res.err = fn()
		res.returned = true
	}()
	res := <-done
	if res.panicked {
		panic(fmt.Sprintf("%v\n\n[panic inside netns.Host.Do(%s)]\n%s", res.panicVal, h.Name, res.stack))
	}
	return res.err
}

// Command returns an exec.Cmd that runs prog inside h's namespace, via
// `ip netns exec`.
func (h *Host) Command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	if h.Name == "" {
		return exec.CommandContext(ctx, prog, args...)
	}
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, prog}, args...)...)
}

// IP runs `ip args...` inside h's namespace and fails the test with the
// combined output if it fails.
func (h *Host) IP(tb testing.TB, args ...string) {
	tb.Helper()
	if out, err := runIP(h.Name, args...); err != nil {
		where := "own namespace"
		if h.Name != "" {
			where = h.Name
		}
		tb.Fatalf("netns: ip %s (in %s): %v: %s", strings.Join(args, " "), where, err, strings.TrimSpace(string(out)))
	}
}

// JoinGroup opens a UDP socket on group's port in h's namespace, joined to group on h.Iface (a
// listener on the LAN, e.g. for SSDP's 239.255.255.250:1900), and closes it when the test ends.
func (h *Host) JoinGroup(tb testing.TB, group netip.AddrPort) *net.UDPConn {
	tb.Helper()
	var conn *net.UDPConn
	err := h.Do(func() error {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: int(group.Port())})
		if err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(h.Iface)
		if err == nil {
			err = ipv4.NewPacketConn(c).JoinGroup(ifi, &net.UDPAddr{IP: group.Addr().AsSlice()})
		}
		if err != nil {
			c.Close()
			return err
		}
		conn = c
		return nil
	})
	if err != nil {
		tb.Fatalf("netns: join %s on %s: %v", group, h.Iface, err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}
