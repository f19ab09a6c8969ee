//go:build linux

package discovery_test

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

// What the tests observe of discovery from outside: its log, the processes' goroutines, and the
// packets a host of the LAN receives.

// browserLog is a Browser's log as anyone could read it: each line goes on to out and is counted by
// its message. A Browser logs "sent M-SEARCH" once a search round went out on every multicast
// interface before its loop waits again, and "check succeeded" or "check failed" once it has a
// check's result.
type browserLog struct {
	out    io.Writer
	mu     sync.Mutex
	counts map[string]int
}

func newBrowserLog(out io.Writer) *browserLog {
	return &browserLog{out: out, counts: make(map[string]int)}
}

// testBrowserLog logs to t, as testLogger does.
func testBrowserLog(t testing.TB) *browserLog { return newBrowserLog(zerolog.NewTestWriter(t)) }

func (l *browserLog) logger() zerolog.Logger {
	return zerolog.New(l).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

func (l *browserLog) Write(line []byte) (int, error) {
	var fields struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(line, &fields) == nil {
		l.mu.Lock()
		l.counts[fields.Message]++
		l.mu.Unlock()
	}
	return l.out.Write(line)
}

// count returns how many lines had one of messages.
func (l *browserLog) count(messages ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range messages {
		n += l.counts[m]
	}
	return n
}

// searches returns how many search rounds went out: the M-SEARCHes any one interface sent, the
// LAN's among them.
func (l *browserLog) searches() int { return l.count("sent M-SEARCH") }

func (l *browserLog) checks() int { return l.count("check succeeded", "check failed") }

// waitGossdpGone waits until no goroutine of this process runs in gossdp: every goroutine of the
// Servers this test stopped has returned.
func waitGossdpGone(t *testing.T, deadline time.Time, what string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if !strings.Contains(string(buf[:n]), "github.com/fromkeith/gossdp.") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: gossdp's goroutines still run", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// synCounter counts the TCP connections h is asked for (SYNs), by port: a check of an address on h
// that nothing listens on is one such attempt, answered with a reset.
type synCounter struct {
	mu    sync.Mutex
	ports map[uint16]int
	total int
}

// countSYNs captures the IPv4 packets h receives until the test ends.
func countSYNs(t *testing.T, h *netns.Host) *synCounter {
	t.Helper()
	var fd int
	err := h.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_IP)))
		return err
	})
	if err != nil {
		t.Fatalf("packet socket: %v", err)
	}
	// A read gives up after a while, so that the reader sees the end of the test.
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100_000}); err != nil {
		t.Fatal(err)
	}
	c := &synCounter{ports: make(map[uint16]int)}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		buf := make([]byte, 256)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, from, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				continue
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			c.note(buf[:n])
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-stopped
		unix.Close(fd)
	})
	return c
}

func (c *synCounter) note(ip []byte) {
	if len(ip) < 20 || ip[9] != unix.IPPROTO_TCP {
		return
	}
	tcp := ip[int(ip[0]&0x0f)*4:]
	const syn, ack = 0x02, 0x10
	if len(tcp) < 14 || tcp[13]&(syn|ack) != syn {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ports[binary.BigEndian.Uint16(tcp[2:4])]++
	c.total++
}

// counts returns how many connections were asked for, and on how many ports.
func (c *synCounter) counts() (total, ports int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total, len(c.ports)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
