package singleinstance

import (
	"path"
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
)

// lockPaths are where the lock-and-socket claim keeps its files. They, and the D-Bus socket, are
// Unix paths, built with path rather than path/filepath: the same on every OS, so they are tested
// on every OS too.
type lockPaths struct {
	dir    string // private to the user: created 0700, refused when anyone else could write to it
	lock   string // flock'ed by the owner for as long as it runs
	socket string // the owner listens here for requests to show itself
}

// lockPathsFor returns the lock and socket paths of id: in XDG_RUNTIME_DIR/id when XDG_RUNTIME_DIR
// is set and absolute (per user, emptied at logout), else in tmp/id-uid (per user by name). session
// names the desktop session (see sessionKey); "" for the user's only one.
func lockPathsFor(id, xdgRuntimeDir, tmp string, uid int, session string) lockPaths {
	dir := path.Join(tmp, id+"-"+strconv.Itoa(uid))
	if path.IsAbs(xdgRuntimeDir) {
		dir = path.Join(xdgRuntimeDir, id)
	}
	name := "instance"
	if session != "" {
		name += "-" + session
	}
	return lockPaths{dir: dir, lock: path.Join(dir, name+".lock"), socket: path.Join(dir, name+".sock")}
}

// sessionKey names the desktop session for the lock-and-socket claim, so that one user's two
// sessions on one machine each run their own instance: the Wayland or X11 display where there can
// be several (X11 and Wayland systems), "" on macOS (one GUI session per user) and Windows. It is
// cut to 32 safe characters: Unix socket paths are limited to 104 bytes on macOS, 108 on Linux.
func sessionKey(goos string, getenv func(string) string) string {
	if goos == "darwin" || goos == "windows" {
		return ""
	}
	display := getenv("WAYLAND_DISPLAY")
	if display == "" {
		display = getenv("DISPLAY")
	}
	key := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		default:
			return '_'
		}
	}, strings.TrimPrefix(display, ":"))
	if len(key) > 32 {
		key = key[:32]
	}
	return key
}

// sessionBusAddress is the D-Bus session bus to use: DBUS_SESSION_BUS_ADDRESS, else the standard
// socket XDG_RUNTIME_DIR/bus when it exists; "" for none. Unlike godbus's own lookup it never
// autolaunches a bus with dbus-launch: without a session bus the lock-and-socket claim decides.
// The socket's path is escaped as D-Bus addresses require: a ',' or '%' in it would cut or change
// the path godbus dials.
func sessionBusAddress(getenv func(string) string, exists func(path string) bool) string {
	if address := getenv("DBUS_SESSION_BUS_ADDRESS"); address != "" {
		return address
	}
	if dir := getenv("XDG_RUNTIME_DIR"); path.IsAbs(dir) && exists(path.Join(dir, "bus")) {
		return "unix:path=" + dbus.EscapeBusAddressValue(path.Join(dir, "bus"))
	}
	return ""
}

// windowsNames are the kernel object names of id on Windows: Local\ is the namespace of the current
// logon session, so each session runs its own instance.
func windowsNames(id string) (mutex, event string) {
	return `Local\` + id, `Local\` + id + ".activate"
}
