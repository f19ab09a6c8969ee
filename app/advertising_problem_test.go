package app

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

func TestAdvertisingProblemIsOneShortSentence(t *testing.T) {
	t.Parallel()
	desk := LocalManager{Info: &discovery.VersionInfo{Name: "Desk Farm", Version: "3.3.1"}}
	// As the discovery package wraps them: long, with the cause at the end.
	wrapped := func(sentinel error) error {
		return fmt.Errorf("create UPnP/SSDP server: %w: a long explanation for the command line: %w", sentinel,
			errors.New("listen udp4 0.0.0.0:1900: bind: address already in use"))
	}
	tests := []struct {
		err   error
		local LocalManager
		want  string
	}{
		{wrapped(discovery.ErrAlreadyAdvertised), desk, "“Desk Farm” already advertises itself"},
		{wrapped(discovery.ErrAlreadyAdvertised), LocalManager{}, "The Manager already advertises itself"},
		{wrapped(discovery.ErrSSDPPortInUse), desk, "Cannot advertise: UDP 1900 is in use by another program"},
		{wrapped(discovery.ErrManagerNotOnLAN), desk, "Cannot advertise: the Manager listens on localhost only"},
		{wrapped(discovery.ErrManagerNotAnswering), desk, "Cannot advertise: the Manager does not answer"},
		{wrapped(discovery.ErrManagerStoppedAnswering), desk, "Advertising stopped: the Manager stopped answering"},
		{wrapped(discovery.ErrStopped), desk, ""},
		{syscall.EPERM, desk, "Cannot advertise (details in the log)"},
	}
	for _, tt := range tests {
		if got := advertisingProblem(tt.err, tt.local); got != tt.want {
			t.Errorf("advertisingProblem(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
