package idle

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// The X11 source against a real X server: Xvfb's MIT-SCREEN-SAVER counts idle time, and input
// through XTEST (a hand on the mouse) resets it.
func TestX11IdleGrowsAndInputResetsIt(t *testing.T) {
	session := trayhost.StartSession(t)
	src := openX11Session(t, session)
	if !strings.HasPrefix(src.Name(), "X11") {
		t.Errorf("source %q, want X11's", src.Name())
	}
	move := pointerMover(t, session.Display)
	move()
	first := read(t, src)
	time.Sleep(1500 * time.Millisecond) // the X server's idle time to grow: what is measured
	later := read(t, src)
	if later.Idle < first.Idle+time.Second {
		t.Errorf("idle %v, then %v 1.5 s later: it did not grow", first.Idle, later.Idle)
	}
	move()
	if after := read(t, src); after.Idle >= later.Idle || after.Idle > 500*time.Millisecond {
		t.Errorf("idle %v after input (was %v): input did not reset it", after.Idle, later.Idle)
	}
}

// A frozen X server (SIGSTOP) does not hang Read: it returns at its context's end, a poll meanwhile
// joins the question already asked, and Close ends that question.
func TestX11ReadReturnsWithinItsContextWhenTheServerIsFrozen(t *testing.T) {
	session := trayhost.StartSession(t)
	src := openX11Session(t, session)
	read(t, src)
	xvfb := childXvfb(t, session.Display)
	if err := syscall.Kill(xvfb, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(xvfb, syscall.SIGCONT) })

	for range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		_, err := src.Read(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
			t.Fatalf("Read of a frozen X server: %v after %v, want the deadline within 1 s", err, time.Since(start))
		}
	}
	src.Close()
	if _, err := src.Read(t.Context()); !errors.Is(err, errXClosed) {
		t.Errorf("Read after Close: %v, want errXClosed", err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// An X server that accepts the connection and never answers does not hang Open.
func TestOpenGivesUpOnAnXServerThatNeverAnswers(t *testing.T) {
	dir, err := os.MkdirTemp("", "idle-x-") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "x:0")
	silent, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	var accepted []net.Conn
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			accepted = append(accepted, c)
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		<-acceptDone
		for _, c := range accepted { // ends the handshake Open gave up on
			c.Close()
		}
	})
	t.Setenv("DISPLAY", socket)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XAUTHORITY", filepath.Join(dir, "none"))
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	src, err := Open(ctx)
	if err == nil {
		src.Close()
	}
	if !errors.Is(err, ErrUnavailable) || time.Since(start) > 2*time.Second {
		t.Errorf("Open against a silent X server: %v after %v, want ErrUnavailable at the deadline", err, time.Since(start))
	}
}

func openX11Session(t *testing.T, session *trayhost.Session) Source {
	t.Helper()
	t.Setenv("DISPLAY", session.Display)
	t.Setenv("WAYLAND_DISPLAY", "")
	src, err := Open(t.Context())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func read(t *testing.T, src Source) Reading {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	r, err := src.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return r
}

// childXvfb finds the PID of the Xvfb this test process started for display.
func childXvfb(t *testing.T, display string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(args) > 1 && filepath.Base(args[0]) == "Xvfb" && args[1] == display &&
			len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) {
			return pid
		}
	}
	t.Fatalf("no Xvfb %s started by this test", display)
	return 0
}

// pointerMover moves the X server's pointer through XTEST.
func pointerMover(t *testing.T, display string) func() {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	if err := xtest.Init(conn); err != nil {
		t.Fatal(err)
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	x := int16(0)
	return func() {
		x = (x + 17) % 200
		if err := xtest.FakeInputChecked(conn, xproto.MotionNotify, 0, 0, root, x, 20, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}
}
