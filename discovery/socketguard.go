package discovery

// beforeSSDPSocket runs before this package opens any SSDP socket. It does nothing in the program; the
// package's tests replace it with the network-namespace harness's check, so that no test can send SSDP
// traffic from a namespace whose packets could leave the machine.
var beforeSSDPSocket = func(purpose string) error { return nil }
