// Package singleinstance keeps one copy of an application running per user and desktop session. A
// second launch does not start: it asks the running copy to show itself, and its caller exits.
//
// Each platform's own means decide who runs (platformClaims lists them in the order tried; the first
// that can be used decides, and the instance then holds the later ones it can too):
//   - Linux with a session bus: a well-known D-Bus name, requested with DoNotQueue. The owner exports
//     <id>.Activate at /<id with dots as slashes>; a second launch calls it. The bus drops the name
//     when its owner's connection ends, so a crashed owner never blocks the next start.
//   - Windows: a named mutex Local\<id> (per session), plus a named auto-reset event
//     Local\<id>.activate that a second launch sets. The kernel deletes both with the last handle.
//   - Elsewhere (macOS, Linux without a session bus): flock on a lock file plus a Unix socket, in a
//     directory of the user's own under XDG_RUNTIME_DIR (else the temporary directory). The kernel
//     drops the lock when its owner dies, whatever files are left behind.
package singleinstance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrAlreadyRunning is returned by Acquire when another instance runs; it was asked to show itself
// and said it would.
var ErrAlreadyRunning = errors.New("already running")

// ErrNotAnswering is returned by Acquire when another instance holds the claim but did not take the
// request to show itself before the context ended (it hangs, or is still starting).
var ErrNotAnswering = errors.New("already running, but it did not answer")

// Errors a claim returns to the loop in acquire.
var (
	// errTaken: another process owns the claim.
	errTaken = errors.New("claimed by another process")
	// errNoOwner: nobody took the request to show itself (the owner has just exited, or has not yet
	// started listening); trying again decides.
	errNoOwner = errors.New("no owner answered")
	// errUnavailable: this means cannot be used here (no session bus); the next one is tried.
	errUnavailable = errors.New("not available")
)

// retryDelay is how long acquire waits before trying again when the claim is held but nobody
// answered: an owner that has not yet started listening takes microseconds, one that died frees the
// claim at once.
const retryDelay = 20 * time.Millisecond

// Instance is this process's claim to be the one running instance.
type Instance struct {
	// Means says how the claim is held, for the log, e.g. "D-Bus name org.flamenco.tray".
	Means string

	show      chan struct{}
	release   func() error
	closeOnce sync.Once
	closeErr  error
}

// ShowRequests receives a value when another launch asked this instance to show itself. Requests
// that arrive while one is pending merge into it.
func (i *Instance) ShowRequests() <-chan struct{} { return i.show }

// Close gives the claim up: the next launch becomes the instance. It is safe to call more than once.
func (i *Instance) Close() error {
	i.closeOnce.Do(func() { i.closeErr = i.release() })
	return i.closeErr
}

// holdLater owns each of claims that is free, besides the claim that made this the instance. One
// that is taken or unavailable is left alone: the instance is decided already.
func (i *Instance) holdLater(claims []claim) {
	for _, c := range claims {
		release, err := c.own(i.show)
		if err != nil {
			c.close()
			continue
		}
		first := i.release
		i.release = func() error { return errors.Join(release(), first()) }
		i.Means += ", " + c.means()
	}
}

// requestShow records a request to show; it never blocks (the caller is a bus or socket handler).
func requestShow(show chan<- struct{}) {
	select {
	case show <- struct{}{}:
	default: // one is pending already
	}
}

// claim is one means of deciding who runs.
type claim interface {
	// own tries to become the instance; it returns errTaken when another process is, errUnavailable
	// when this means cannot be used here. show is what an owner's handler feeds with requestShow.
	own(show chan<- struct{}) (release func() error, err error)
	// activate asks the owner to show itself, and returns errNoOwner when none took the request.
	activate(ctx context.Context) error
	// means describes the claim for the log.
	means() string
	// close frees what own and activate opened when this process did not become the instance.
	close()
}

// Acquire makes this process the one instance of id for this user and desktop session, or, when
// another runs, asks it to show itself and returns ErrAlreadyRunning (ErrNotAnswering when it did
// not take the request before ctx ended; give ctx a deadline of about a second). id is a reverse-DNS
// application id such as "org.flamenco.tray".
func Acquire(ctx context.Context, id string) (*Instance, error) {
	return acquire(ctx, platformClaims(id))
}

// acquire tries the claims in order until one can be used, and decides with it. The instance then
// holds every later claim it can too, so that a launch that cannot use the first means (a stale
// DBUS_SESSION_BUS_ADDRESS inside tmux, su) still finds it through the next one.
func acquire(ctx context.Context, claims []claim) (*Instance, error) {
	var errs []error
	for i, c := range claims {
		inst, err := acquireWith(ctx, c)
		if err != nil && !errors.Is(err, ErrAlreadyRunning) && !errors.Is(err, ErrNotAnswering) {
			// Unavailable here, or failing: the next means decides.
			errs = append(errs, err)
			continue
		}
		if err == nil {
			inst.holdLater(claims[i+1:])
		}
		return inst, err
	}
	return nil, fmt.Errorf("no way to tell whether another instance runs: %w", errors.Join(errs...))
}

// acquireWith owns c, or hands over to its owner: while c is taken and nobody answers, the owner has
// just exited or not yet started listening, so it tries both again until ctx ends.
func acquireWith(ctx context.Context, c claim) (*Instance, error) {
	show := make(chan struct{}, 1)
	for {
		release, err := c.own(show)
		if err == nil {
			return &Instance{Means: c.means(), show: show, release: release}, nil
		}
		if !errors.Is(err, errTaken) {
			c.close()
			return nil, fmt.Errorf("%s: %w", c.means(), err)
		}
		err = c.activate(ctx)
		if err == nil {
			c.close()
			return nil, ErrAlreadyRunning
		}
		if !errors.Is(err, errNoOwner) {
			c.close()
			return nil, fmt.Errorf("%w (%s): %w", ErrNotAnswering, c.means(), err)
		}
		select {
		case <-ctx.Done():
			c.close()
			return nil, fmt.Errorf("%w (%s): %w", ErrNotAnswering, c.means(), err)
		case <-time.After(retryDelay):
		}
	}
}
