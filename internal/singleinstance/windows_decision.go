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

// namedObjectErr reads the error of CreateEvent or (mutex) CreateMutex, which return a handle with
// ERROR_ALREADY_EXISTS when the object was there already: a mutex that existed, or an object this
// launch may not open (another user's, an elevated copy's), means another copy runs. An event that
// existed is the owner's, or one a launch that has just ended left: it goes on to the mutex.
func namedObjectErr(err error, mutex bool) error {
	switch {
	case errors.Is(err, winErrorAlreadyExists) && !mutex:
		return nil
	case errors.Is(err, winErrorAlreadyExists), errors.Is(err, winErrorAccessDenied):
		return errTaken
	}
	return err
}
