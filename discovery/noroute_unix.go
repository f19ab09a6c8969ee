//go:build !windows

package discovery

import (
	"errors"
	"syscall"
)

func isNetworkUnreachable(err error) bool { return errors.Is(err, syscall.ENETUNREACH) }
