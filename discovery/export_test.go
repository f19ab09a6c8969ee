package discovery

// SetSocketGuard replaces the check run before any SSDP socket is opened (tests only).
func SetSocketGuard(guard func(purpose string) error) { beforeSSDPSocket = guard }
