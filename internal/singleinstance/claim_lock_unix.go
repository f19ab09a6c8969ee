//go:build unix

package singleinstance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The request to show and its answer on the socket, one line each.
const (
	showRequest = "show\n"
	showAnswer  = "ok\n"
)

// socketTimeout bounds one request on the socket, for both sides.
const socketTimeout = time.Second

// lockClaim is flock on a lock file plus a Unix socket beside it. The lock decides who runs and is
// released by the kernel when its owner dies; the socket carries the request to show. Files left by
// a dead owner are harmless: the lock file is locked again, the socket replaced.
type lockClaim struct {
	paths lockPaths
}

func (c *lockClaim) means() string { return "lock " + c.paths.lock }

func (c *lockClaim) close() {}

func (c *lockClaim) own(show chan<- struct{}) (func() error, error) {
	if err := privateDir(c.paths.dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(c.paths.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errTaken
		}
		return nil, fmt.Errorf("lock %s: %w", c.paths.lock, err)
	}
	// We hold the lock, so a socket file here was left by an owner that died.
	if err := os.Remove(c.paths.socket); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.Close()
		return nil, err
	}
	listener, err := net.ListenUnix("unix", &net.UnixAddr{Name: c.paths.socket, Net: "unix"})
	if err != nil {
		f.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() { serveShowRequests(listener, show) })
	return func() error {
		err := listener.Close() // removes the socket file
		wg.Wait()
		// The lock file stays: removing it could let two processes lock two different files.
		return errors.Join(err, f.Close())
	}, nil
}

// serveShowRequests answers requests to show, one at a time, until listener is closed.
func serveShowRequests(listener *net.UnixListener, show chan<- struct{}) {
	for {
		conn, err := listener.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// E.g. too many open files: a later Accept may do; not in a tight loop.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		conn.SetDeadline(time.Now().Add(socketTimeout))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err == nil && line == showRequest {
			requestShow(show)
			conn.Write([]byte(showAnswer))
		}
		conn.Close()
	}
}

func (c *lockClaim) activate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, socketTimeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "unix", c.paths.socket)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w: %w", errNoOwner, err)
		}
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte(showRequest)); err != nil {
		return fmt.Errorf("%w: %w", errNoOwner, err)
	}
	answer, err := bufio.NewReader(conn).ReadString('\n')
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return err // it is there, but does not answer
	case err != nil:
		return fmt.Errorf("%w: %w", errNoOwner, err) // it closed: exiting
	case answer != showAnswer:
		return fmt.Errorf("unexpected answer %q on %s", answer, c.paths.socket)
	}
	return nil
}

// privateDir creates dir (mode 0700) if needed and checks that it is a directory of this user's
// that nobody else can write to: in a shared temporary directory another user could have made it.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to another user", dir)
	case info.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s is open to other users (mode %v); remove it", dir, info.Mode().Perm())
	}
	return nil
}

// newLockClaim is the lock-and-socket claim of id for this user and session.
func newLockClaim(id string) *lockClaim {
	return &lockClaim{paths: lockPathsFor(id, os.Getenv("XDG_RUNTIME_DIR"), os.TempDir(), os.Getuid(), sessionKey(runtime.GOOS, os.Getenv))}
}
