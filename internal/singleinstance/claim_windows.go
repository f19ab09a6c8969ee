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
	eventState := objectExisted // opened by an earlier try
	if c.event == 0 {
		event, err := windows.CreateEvent(nil, 0, 0, windows.StringToUTF16Ptr(c.eventName))
		eventState = namedObjectOutcome(err)
		switch windowsDecision(eventState, objectCreated) {
		case nil:
			c.event = event
		case errTaken:
			return nil, errTaken // an elevated copy's: activate says it cannot be asked
		default:
			return nil, fmt.Errorf("create event %s: %w", c.eventName, err)
		}
	}
	mutex, err := windows.CreateMutex(nil, false, windows.StringToUTF16Ptr(c.mutexName))
	switch decision := windowsDecision(eventState, namedObjectOutcome(err)); {
	case errors.Is(decision, errTaken):
		if mutex != 0 {
			windows.CloseHandle(mutex) // ours would keep the name alive after the owner exits
		}
		return nil, errTaken
	case decision != nil:
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
