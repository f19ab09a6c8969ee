package cli

import (
	"errors"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

func TestDescribeAutostart(t *testing.T) {
	t.Parallel()
	const where = "/home/ana/.config/autostart/org.flamenco.tray.desktop"
	const exe = "/opt/flamenco-tray/flamenco-tray"
	tests := []struct {
		name   string
		status autostart.Status
		exeErr error
		want   string
	}{
		{"off", autostart.Status{Where: where}, nil, "off: no " + where},
		{"on", autostart.Status{On: true, Where: where, Exe: exe}, nil, "on: " + where + " starts " + exe},
		{"another file", autostart.Status{On: true, Where: where, Exe: "/old/flamenco-tray"}, nil,
			"on: " + where + " starts /old/flamenco-tray, not this program (" + exe + `); "flamenco-tray autostart on" points it here`},
		{"turned off", autostart.Status{Where: where, Exe: exe, Disabled: "Hidden=true"}, nil,
			"off: " + where + " starts " + exe + " but is turned off (Hidden=true)"},
		{"own file unknown", autostart.Status{On: true, Where: where, Exe: exe}, errors.New("gone"),
			"on: " + where + " starts " + exe + " (this program's own file is unknown: gone)"},
	}
	for _, tt := range tests {
		exeArg := exe
		if tt.exeErr != nil {
			exeArg = ""
		}
		if got := describeAutostart(tt.status, exeArg, tt.exeErr); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
