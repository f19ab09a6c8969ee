//go:build linux

// Package trayhost plays the part of a Linux desktop panel for end-to-end
// tests of system-tray applications.
//
// A test starts a private X display and D-Bus session bus with
// [StartSession], claims org.kde.StatusNotifierWatcher on that bus with
// [NewPanel], starts the application under test with [Session.Env] appended
// to its environment, and then inspects and drives the application's
// StatusNotifierItem and com.canonical.dbusmenu menu through [Item].
//
// Nothing here opens network sockets: the bus listens on a unix socket in a
// temporary directory and Xvfb runs with -nolisten tcp.
package trayhost

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// startTimeout bounds how long StartSession waits for Xvfb and dbus-daemon
// to report that they are ready.
const startTimeout = 20 * time.Second

// Session is a private X display and D-Bus session bus for one test.
type Session struct {
	Display    string // e.g. ":93"
	BusAddress string // DBUS_SESSION_BUS_ADDRESS value
}

// Env returns the environment variables (DISPLAY=…,
// DBUS_SESSION_BUS_ADDRESS=…) to append to a child process's environment so
// that it uses this session's display and bus.
func (s *Session) Env() []string {
	return []string{
		"DISPLAY=" + s.Display,
		"DBUS_SESSION_BUS_ADDRESS=" + s.BusAddress,
	}
}

// StartSession starts Xvfb on a free display number and a private
// dbus-daemon listening on a unix socket in a temporary directory, waits
// until both are ready and stops both when the test ends.
//
// If Xvfb or dbus-daemon is not installed the test is skipped, unless the
// environment variable CI is non-empty, in which case it fails.
func StartSession(tb testing.TB) *Session {
	tb.Helper()
	var missing []string
	for _, bin := range []string{"Xvfb", "dbus-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("trayhost: %s not found in PATH; install them (Debian/Ubuntu: apt-get install xvfb dbus)",
			strings.Join(missing, " and "))
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s", msg)
		}
		tb.Skipf("%s", msg)
	}

	// A short directory outside tb.TempDir keeps the socket path well under
	// the 108-byte limit for unix socket addresses, whatever the test name.
	dir, err := os.MkdirTemp("", "trayhost-")
	if err != nil {
		tb.Fatalf("trayhost: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })

	display, err := startXvfb(tb)
	if err != nil {
		tb.Fatalf("trayhost: %v", err)
	}
	addr, err := startDBus(tb, filepath.Join(dir, "bus"))
	if err != nil {
		tb.Fatalf("trayhost: %v", err)
	}
	return &Session{Display: display, BusAddress: addr}
}

// startXvfb starts Xvfb on the first display number that appears free,
// retrying with the next number if another server wins the race for it.
func startXvfb(tb testing.TB) (string, error) {
	tb.Helper()
	// Start in a range unlikely to be used by real desktops, offset by pid so
	// that concurrently running test binaries rarely contend.
	first := 90 + os.Getpid()%200
	var errs []error
	for n, tries := first, 0; tries < 20; n, tries = n+1, tries+1 {
		if displayInUse(n) {
			continue
		}
		display := ":" + strconv.Itoa(n)
		// -noreset: by default Xvfb resets when its last client leaves and drops a client that was
		// connecting just then (a test's xwininfo leaving as the tray under test connects). A
		// desktop session's server never sees that: its panel and window manager stay connected.
		err := startReadyProcess(tb, "Xvfb", []string{display,
			"-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset", "-displayfd", "3"},
			func(line string) error {
				if strings.TrimSpace(line) != strconv.Itoa(n) {
					return fmt.Errorf("Xvfb reported display %q, want %d", line, n)
				}
				return nil
			})
		if err == nil {
			return display, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("could not start Xvfb: %w", errors.Join(errs...))
}

// displayInUse reports whether X display n has a lock file or socket.
func displayInUse(n int) bool {
	for _, p := range []string{
		fmt.Sprintf("/tmp/.X%d-lock", n),
		fmt.Sprintf("/tmp/.X11-unix/X%d", n),
	} {
		if _, err := os.Lstat(p); err == nil {
			return true
		}
	}
	return false
}

// startDBus starts a session dbus-daemon listening on the unix socket at
// socketPath and returns its address.
func startDBus(tb testing.TB, socketPath string) (string, error) {
	tb.Helper()
	var addr string
	err := startReadyProcess(tb, "dbus-daemon", []string{"--session", "--nofork",
		"--print-address=3", "--address=unix:path=" + socketPath},
		func(line string) error {
			addr = strings.TrimSpace(line)
			if addr == "" {
				return errors.New("dbus-daemon printed an empty address")
			}
			return nil
		})
	if err != nil {
		return "", fmt.Errorf("could not start dbus-daemon: %w", err)
	}
	return addr, nil
}

// startReadyProcess starts name with args, giving it the write end of a
// pipe as file descriptor 3, and waits for the first line written to it
// (the readiness report of Xvfb -displayfd and dbus-daemon --print-address),
// which check validates. On success the process is stopped at tb.Cleanup;
// on failure it is stopped at once and the error includes its stderr.
func startReadyProcess(tb testing.TB, name string, args []string, check func(line string) error) error {
	tb.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()

	stderr := &testio.SyncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	// Its own process group, so that ^C on the test does not reach it before
	// cleanup and so that stopping it cannot affect the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return err
	}
	pw.Close()

	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	lines := make(chan string, 1)
	go func() {
		// Returns at EOF, i.e. once the process has closed or exited.
		line, _ := bufio.NewReader(pr).ReadString('\n')
		lines <- line
	}()

	var line string
	select {
	case line = <-lines:
	case <-time.After(startTimeout):
		stop()
		return fmt.Errorf("%s did not report ready within %v; output:\n%s", name, startTimeout, stderr)
	}
	if line == "" {
		stop()
		<-exited
		return fmt.Errorf("%s exited before it was ready (%v); output:\n%s", name, waitErr, stderr)
	}
	if err := check(line); err != nil {
		stop()
		return fmt.Errorf("%s: %w; output:\n%s", name, err, stderr)
	}
	tb.Cleanup(stop)
	return nil
}
