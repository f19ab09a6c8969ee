package discovery

import (
	"errors"
	"syscall"
)

// wsaeNetUnreach is WSAENETUNREACH, which Go's syscall package does not name.
const wsaeNetUnreach = syscall.Errno(10051)

func isNetworkUnreachable(err error) bool { return errors.Is(err, wsaeNetUnreach) }
