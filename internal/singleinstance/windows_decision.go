package singleinstance

import (
	"errors"
	"syscall"
)

// Windows error numbers the claim reads (winerror.h); golang.org/x/sys/windows's are these values.
const (
	winErrorAccessDenied  = syscall.Errno(5)
	winErrorAlreadyExists = syscall.Errno(183)
)

// namedObject is what creating a named kernel object (CreateMutex, CreateEvent) found.
type namedObject int

const (
	objectCreated namedObject = iota // it did not exist: ours
	objectExisted                    // it existed, and we got a handle to it
	objectDenied                     // it exists, made by another user or an elevated copy
	objectFailed                     // something else went wrong
)

// namedObjectOutcome reads the error of CreateMutex or CreateEvent, which return a handle with
// ERROR_ALREADY_EXISTS when the object was there already.
func namedObjectOutcome(err error) namedObject {
	switch {
	case err == nil:
		return objectCreated
	case errors.Is(err, winErrorAlreadyExists):
		return objectExisted
	case errors.Is(err, winErrorAccessDenied):
		return objectDenied
	default:
		return objectFailed
	}
}

// windowsDecision decides the Windows claim from the activate event and the mutex: a mutex that
// existed, or one that this launch may not open (an elevated copy's), means another copy runs. An
// event this launch may not open means the same, before the mutex is even tried. errFailed stands
// for an error that is not a decision.
func windowsDecision(event, mutex namedObject) error {
	switch {
	case event == objectDenied:
		return errTaken
	case event == objectFailed, mutex == objectFailed:
		return errFailed
	case mutex == objectExisted, mutex == objectDenied:
		return errTaken
	default:
		return nil
	}
}

// errFailed: a named object could not be created or opened for another reason than the ones above.
var errFailed = errors.New("cannot create the named object")
