package autostart

import (
	"slices"
	"testing"
)

func TestSystemAutostartPathsFollowXDGConfigDirs(t *testing.T) {
	t.Parallel()
	const entry = "/autostart/org.flamenco.tray.desktop"
	tests := []struct {
		configDirs string
		want       []string
	}{
		{"", []string{"/etc/xdg" + entry}},
		{"/etc/xdg", []string{"/etc/xdg" + entry}},
		{"/etc/xdg/xdg-ubuntu:/etc/xdg", []string{"/etc/xdg/xdg-ubuntu" + entry, "/etc/xdg" + entry}},
		{"/usr/local/etc/xdg/:/etc/xdg::/etc/xdg", []string{"/usr/local/etc/xdg" + entry, "/etc/xdg" + entry}},
		{"relative/xdg:/opt/site xdg", []string{"/opt/site xdg" + entry}},
		{"relative:./also", []string{"/etc/xdg" + entry}},
	}
	for _, tt := range tests {
		if got := systemAutostartPaths(tt.configDirs); !slices.Equal(got, tt.want) {
			t.Errorf("systemAutostartPaths(%q) = %q, want %q", tt.configDirs, got, tt.want)
		}
	}
}
