//go:build !unix && !windows

package singleinstance

import (
	"errors"
	"runtime"
)

func platformClaims(string) ([]claim, error) {
	return nil, errors.New("single instance: not supported on " + runtime.GOOS)
}
