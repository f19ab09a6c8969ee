//go:build linux

package discovery_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

// observed is an SSDP message as a peer on the LAN received it.
type observed struct {
	discovery.Answer
	at time.Time
}

// observer is a peer on the LAN with one socket on UDP 1900, joined to the SSDP group: it sends
// M-SEARCHes and receives both the unicast answers and the multicast NOTIFYs, so their order of
// arrival is exact. It keeps only Flamenco messages sent from one address.
type observer struct {
	conn     *net.UDPConn
	from     netip.Addr
	received chan observed
}

func newObserver(t *testing.T, h *netns.Host, from netip.Addr) *observer {
	t.Helper()
	o := &observer{conn: joinListener(t, h), from: from, received: make(chan observed, 1024)}
	go o.read() // ends when JoinGroup's cleanup closes the socket
	return o
}

// observedLAN attaches this process and an observer of what it sends to a new LAN, and returns this
// process's address there.
func observedLAN(t *testing.T) (netip.Addr, *observer) {
	t.Helper()
	netns.RequireIsolated(t)
	lan := netns.NewLAN(t)
	selfAddr := lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	observerHost := netns.NewHost(t)
	lan.Attach(t, observerHost, netns.WithMulticastRoute())
	return selfAddr, newObserver(t, observerHost, selfAddr)
}

func (o *observer) read() {
	buf := make([]byte, 4096)
	for {
		n, src, err := o.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			close(o.received)
			return
		}
		at := time.Now()
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if src.Addr() != o.from {
			continue
		}
		if a, err := discovery.ParseAnswer(buf[:n], src); err == nil {
			select {
			case o.received <- observed{a, at}:
			default: // the test reads far fewer; never block the reader
			}
		}
	}
}

// search multicasts an M-SEARCH for Flamenco Managers with the given MX.
func (o *observer) search(t *testing.T, mx int) {
	t.Helper()
	msg := fmt.Sprintf("M-SEARCH * HTTP/1.1\r\nHOST: %s\r\nMAN: \"ssdp:discover\"\r\nMX: %d\r\nST: %s\r\n\r\n",
		discovery.MulticastAddress, mx, discovery.ServiceType)
	if _, err := o.conn.WriteToUDPAddrPort([]byte(msg), ssdpGroup); err != nil {
		t.Fatalf("send M-SEARCH: %v", err)
	}
}

// wait returns the next message of kind, skipping others.
func (o *observer) wait(t *testing.T, kind discovery.AnswerKind, within time.Duration) observed {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-o.received:
			if m.Kind == kind {
				return m
			}
		case <-deadline:
			t.Fatalf("no %v from %s within %v", kind, o.from, within)
		}
	}
}

// untilSentinel returns every message received before the one with the sentinel's LOCATION.
func (o *observer) untilSentinel(t *testing.T, sentinel string, within time.Duration) []observed {
	t.Helper()
	var got []observed
	deadline := time.After(within)
	for {
		select {
		case m := <-o.received:
			if m.Location == sentinel {
				return got
			}
			got = append(got, m)
		case <-deadline:
			t.Fatalf("the sentinel did not arrive within %v; received %v", within, kinds(got))
		}
	}
}

// drain forgets what was received so far.
func (o *observer) drain() {
	for {
		select {
		case <-o.received:
		default:
			return
		}
	}
}

// afterByebye returns what arrived after the first byebye in msgs, and whether there was one.
func afterByebye(msgs []observed) (bye observed, after []observed, ok bool) {
	for i, m := range msgs {
		if m.Kind == discovery.ByebyeNotify {
			return m, msgs[i+1:], true
		}
	}
	return observed{}, nil, false
}

// TestServerByebyeIsTheLastWord stops a Server while M-SEARCHes with MX 3 are in flight: an answer
// or a re-announcement after the byebye would make every peer list the Manager again for an hour.
func TestServerByebyeIsTheLastWord(t *testing.T) {
	serverAddr, peer := observedLAN(t)

	const rounds = 8
	for round := range rounds {
		server, err := discovery.NewServer(testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		server.AddAdvertisementURLs([]url.URL{{Scheme: "http", Host: serverAddr.String() + ":8080"}})
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan error, 1)
		go func() { runDone <- server.Run(ctx) }()

		// The responder answers in this round (so the test cannot pass for want of answers).
		peer.drain()
		peer.search(t, 1)
		peer.wait(t, discovery.SearchResponse, 3*time.Second)

		// A burst arrives just before the stop; the responder sleeps 0–3 s before answering each.
		for range 4 {
			peer.search(t, 3)
		}
		time.Sleep(time.Duration(round) * 40 * time.Millisecond)
		cancel()
		stopped := time.Now()
		select {
		case err := <-runDone:
			if err != nil {
				t.Errorf("round %d: Run: %v", round, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Run did not return within 10s", round)
		}
		stopTook := time.Since(stopped)

		// gossdp's reader, asleep before an answer it no longer sends, is done within MX (3 s) of the
		// stop; then nothing of the Server can send, and a sentinel sent after it arrives last.
		waitGossdpGone(t, stopped.Add(4500*time.Millisecond), fmt.Sprintf("round %d, 4.5s after the stop", round))
		msgs := peer.untilSentinel(t, sendSentinel(t, serverAddr, round), 5*time.Second)
		bye, after, ok := afterByebye(msgs)
		if !ok {
			t.Fatalf("round %d: no byebye; received %v", round, kinds(msgs))
		}
		t.Logf("round %d: Run returned %v after cancel, byebye %v after cancel, %d message(s) after it",
			round, stopTook.Round(time.Millisecond), bye.at.Sub(stopped).Round(time.Millisecond), len(after))
		for _, m := range after {
			t.Errorf("round %d: %v for %s arrived %v after the byebye", round, m.Kind, m.Location,
				m.at.Sub(bye.at).Round(time.Millisecond))
		}
	}
}

// sendSentinel multicasts, from this process at from, a NOTIFY that the observer keeps, and returns
// its LOCATION. Sent once the Server's goroutines have all returned, it arrives after anything they
// sent: the event that shows nothing followed the byebye, where a fixed wait could only hope so.
func sendSentinel(t *testing.T, from netip.Addr, n int) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: from.AsSlice()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	location := fmt.Sprintf("http://%s:1/sentinel-%d", from, n)
	msg := fmt.Sprintf("NOTIFY * HTTP/1.1\r\nHOST: %s\r\nNT: %s\r\nNTS: ssdp:alive\r\nUSN: uuid:%s::%s\r\nLOCATION: %s\r\n"+
		"CACHE-CONTROL: max-age=1\r\n\r\n", discovery.MulticastAddress, discovery.ServiceType, discovery.DeviceUUID,
		discovery.ServiceType, location)
	if _, err := conn.WriteToUDPAddrPort([]byte(msg), ssdpGroup); err != nil {
		t.Fatalf("send the sentinel: %v", err)
	}
	return location
}

func kinds(msgs []observed) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Kind)
	}
	return out
}
