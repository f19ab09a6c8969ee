package singleinstance

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/windows"
)

// windowsClaim is a named mutex (who runs) and a named auto-reset event (show yourself) in the
// session's namespace. The kernel deletes a named object with its last handle, so a crashed owner
// leaves nothing behind.
type windowsClaim struct {
	mutexName, eventName string
	event                windows.Handle // opened by own: the owner waits on it, a second launch sets it
}

func (c *windowsClaim) means() string { return "named mutex " + c.mutexName }

func (c *windowsClaim) close() {
	if c.event != 0 {
		windows.CloseHandle(c.event)
		c.event = 0
	}
}

func (c *windowsClaim) own(show chan<- struct{}) (func() error, error) {
	// The event first: whoever finds the mutex taken can then set the owner's event at once.
	if c.event == 0 {
		event, err := windows.CreateEvent(nil, 0, 0, windows.StringToUTF16Ptr(c.eventName))
		if err := namedObjectErr(err, false); err != nil {
			// errTaken: an elevated copy's, which activate says it cannot ask.
			return nil, fmt.Errorf("create event %s: %w", c.eventName, err)
		}
		c.event = event
	}
	mutex, err := windows.CreateMutex(nil, false, windows.StringToUTF16Ptr(c.mutexName))
	if err := namedObjectErr(err, true); err != nil {
		if mutex != 0 {
			windows.CloseHandle(mutex) // ours would keep the name alive after the owner exits
		}
		return nil, fmt.Errorf("create mutex %s: %w", c.mutexName, err)
	}
	stop, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		windows.CloseHandle(mutex)
		return nil, err
	}
	event := c.event
	c.event = 0
	var wg sync.WaitGroup
	wg.Go(func() { waitShowRequests(event, stop, show) })
	return func() error {
		windows.SetEvent(stop)
		wg.Wait()
		return errors.Join(windows.CloseHandle(stop), windows.CloseHandle(event), windows.CloseHandle(mutex))
	}, nil
}

// waitShowRequests passes each setting of event on to show, until stop is set.
func waitShowRequests(event, stop windows.Handle, show chan<- struct{}) {
	for {
		which, err := windows.WaitForMultipleObjects([]windows.Handle{event, stop}, false, windows.INFINITE)
		if err != nil || which != windows.WAIT_OBJECT_0 {
			return
		}
		requestShow(show)
	}
}

// activate sets the owner's event. It cannot tell whether the owner took it: the event is set until
// the owner's wait resets it, so a request is never lost while the owner runs.
func (c *windowsClaim) activate(context.Context) error {
	if c.event == 0 {
		return fmt.Errorf("the running copy's event %s cannot be opened: it runs as another user or elevated", c.eventName)
	}
	if err := windows.SetEvent(c.event); err != nil {
		return fmt.Errorf("set event %s: %w", c.eventName, err)
	}
	return nil
}

func platformClaims(id string) []claim {
	mutex, event := windowsNames(id)
	return []claim{&windowsClaim{mutexName: mutex, eventName: event}}
}
