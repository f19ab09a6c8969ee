package discovery

import (
	"errors"
	"fmt"
)

// errNoRouteFromHere wraps a check that failed because this machine has no route to the address at
// all: its own network is down (Wi-Fi still connecting after a resume, a cable out). That says
// nothing about the Manager, so such failures show it unreachable but never remove it.
var errNoRouteFromHere = errors.New("this machine has no route to that network right now")

// markNoRoute wraps err with errNoRouteFromHere when it is a "network unreachable" error of this
// machine's own stack.
func markNoRoute(err error) error {
	if err != nil && isNetworkUnreachable(err) {
		return fmt.Errorf("%w: %w", errNoRouteFromHere, err)
	}
	return err
}
