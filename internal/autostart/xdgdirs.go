package autostart

import (
	"path"
	"slices"
	"strings"
)

// systemAutostartPaths are the places of the entry for everyone on an XDG desktop, most important
// first: autostart/org.flamenco.tray.desktop under each folder of XDG_CONFIG_DIRS (colon-separated,
// in order of preference; /etc/xdg when unset or empty). The Base Directory spec says to ignore a
// relative folder; when none is left, /etc/xdg is the default too. Pure (paths are Unix paths
// whatever this OS is), so tested everywhere.
func systemAutostartPaths(configDirs string) []string {
	var paths []string
	for _, dir := range strings.Split(configDirs, ":") {
		p := path.Join(dir, "autostart", ID+".desktop")
		if strings.HasPrefix(dir, "/") && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		paths = []string{path.Join("/etc/xdg", "autostart", ID+".desktop")}
	}
	return paths
}
