package idle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Which source a session's environment leads to, or why none.
func TestChooseByTheSessionsEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		session session
		want    []kind
		why     string // in the error when no source fits
	}{
		{"X11", session{display: ":0"}, []kind{x11}, ""},
		{"X11 of a desktop that also has a D-Bus interface", session{display: ":1", desktop: "KDE"}, []kind{x11}, ""},
		{"GNOME on Wayland, Xwayland too: Xwayland sees only X programs' input",
			session{display: ":0", wayland: "wayland-0", desktop: "ubuntu:GNOME"}, []kind{mutter}, ""},
		{"KDE on Wayland", session{wayland: "wayland-0", desktop: "KDE"}, []kind{screenSaver}, ""},
		{"another compositor: both asked", session{wayland: "wayland-1", desktop: "sway"}, []kind{mutter, screenSaver}, ""},
		{"Wayland without XDG_CURRENT_DESKTOP", session{wayland: "wayland-0"}, []kind{mutter, screenSaver}, ""},
		{"no display: over ssh, or a service", session{}, nil, "neither DISPLAY nor WAYLAND_DISPLAY"},
		{"only a session id", session{sessionID: "3"}, nil, "neither DISPLAY nor WAYLAND_DISPLAY"},
	} {
		got, err := choose(tc.session)
		if tc.why != "" {
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("%s: %v, want ErrUnavailable saying %q", tc.name, err, tc.why)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// What the user reads when no source answered: what was asked, and what to do.
func TestUnavailableSaysWhatToDo(t *testing.T) {
	t.Parallel()
	refused := newBusError("org.freedesktop.ScreenSaver", errNotSupported, errors.New("not supported on this platform"))
	absent := errors.New("nothing on the session bus offers org.gnome.Mutter.IdleMonitor")
	for _, tc := range []struct {
		name     string
		session  session
		problems []error
		want     []string
	}{
		{"KDE Plasma on Wayland", session{wayland: "wayland-0", desktop: "KDE"}, []error{refused},
			[]string{"KDE Plasma on Wayland", "Plasma (X11)", "does not tell idle time"}},
		{"a compositor without either", session{wayland: "wayland-0", desktop: "Hyprland"}, []error{absent, absent},
			[]string{"Hyprland", "org.gnome.Mutter.IdleMonitor", "use GNOME, or an X11 session"}},
		{"Wayland without XDG_CURRENT_DESKTOP", session{wayland: "wayland-0"}, []error{absent},
			[]string{"XDG_CURRENT_DESKTOP is not set"}},
		{"no session bus", session{wayland: "wayland-0", desktop: "sway"},
			[]error{fmt.Errorf("%w: dial unix /run/user/1000/bus", errNoSessionBus), fmt.Errorf("%w: dial unix /run/user/1000/bus", errNoSessionBus)},
			[]string{"the session bus cannot be reached", "from your desktop session"}},
		{"an X server without the extension", session{display: ":0"}, []error{errors.New("no MIT-SCREEN-SAVER extension")},
			[]string{"MIT-SCREEN-SAVER"}},
	} {
		err := unavailableOn(tc.session, tc.problems)
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v does not wrap ErrUnavailable", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
	}
}

func TestBusErrorInWords(t *testing.T) {
	t.Parallel()
	const svc = "org.gnome.Mutter.IdleMonitor"
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"org.freedesktop.DBus.Error.ServiceUnknown", nil, "nothing on the session bus offers " + svc},
		{"org.freedesktop.DBus.Error.NameHasNoOwner", nil, "nothing on the session bus offers " + svc},
		{errNotSupported, nil, svc + " answers that it does not tell idle time"},
		{"org.freedesktop.DBus.Error.UnknownMethod", nil, svc + " is there but cannot tell idle time"},
		{"", fmt.Errorf("call: %w", context.DeadlineExceeded), svc + " did not answer in time"},
		{"", errors.New("connection reset"), svc + ": connection reset"},
	} {
		if got := newBusError(svc, tc.name, tc.err).Error(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s %v: %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
	wrapped := fmt.Errorf("open: %w", newBusError(svc, errNotSupported, nil))
	if !notSupported(wrapped) || notSupported(newBusError(svc, "", errors.New("x"))) {
		t.Error("NotSupported not told apart")
	}
}

// Both compositors answer milliseconds, in different widths; anything else is not taken for idle.
func TestIdleFromAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body []any
		want time.Duration
		ok   bool
	}{
		{[]any{uint64(90_000)}, 90 * time.Second, true},      // Mutter's GetIdletime
		{[]any{uint32(1500)}, 1500 * time.Millisecond, true}, // KDE's GetSessionIdleTime
		{[]any{int32(5)}, 0, false},
		{[]any{"5"}, 0, false},
		{nil, 0, false},
		{[]any{uint64(1), uint64(2)}, 0, false},
		{[]any{^uint64(0)}, 0, false}, // would overflow a Duration
	} {
		got, err := idleFromAnswer(tc.body)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%v: %v, %v; want %v (ok %v)", tc.body, got, err, tc.want, tc.ok)
		}
	}
}

func TestLockedHint(t *testing.T) {
	t.Parallel()
	for _, v := range []bool{true, false} {
		if locked, err := lockedHint(v); err != nil || locked != v {
			t.Errorf("LockedHint %v: %v %v", v, locked, err)
		}
	}
	if _, err := lockedHint("yes"); err == nil {
		t.Error("a string was taken for LockedHint")
	}
}

// An opening that outlives its context is closed by its own goroutine, not leaked open.
func TestWithinClosesWhatOpensLate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	release, closed := make(chan struct{}), make(chan string, 1)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := within(ctx, func() (string, error) { <-release; return "conn", nil },
		func(s string) { closed <- s })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("within: %v, want context.Canceled", err)
	}
	close(release)
	if got := <-closed; got != "conn" {
		t.Errorf("closed %q, want the late connection", got)
	}
	if v, err := within(t.Context(), func() (int, error) { return 7, nil }, func(int) { t.Error("closed an opening in time") }); v != 7 || err != nil {
		t.Errorf("within in time: %v, %v", v, err)
	}
}

// Windows' tick count wraps after 49.7 days: the last input 1 s before the wrap, read 2 s after it.
func TestSinceTickAcrossTheWrap(t *testing.T) {
	t.Parallel()
	if got := sinceTick(2000, ^uint32(0)-999); got != 3*time.Second {
		t.Errorf("%v, want 3s", got)
	}
	if got := sinceTick(5000, 4000); got != time.Second {
		t.Errorf("%v, want 1s", got)
	}
	if got := sinceTick(7, 7); got != 0 {
		t.Errorf("%v, want 0", got)
	}
}

// A WTSINFOEXW of level 1 as Windows lays it out: Level, padding to 8, SessionId, SessionState,
// SessionFlags (the lock state), then names and times this test leaves zero.
func TestLockStateOfSessionInfo(t *testing.T) {
	t.Parallel()
	info := func(level, flags uint32) []byte {
		b := make([]byte, 256)
		binary.LittleEndian.PutUint32(b[0:], level)
		binary.LittleEndian.PutUint32(b[8:], 2)  // SessionId
		binary.LittleEndian.PutUint32(b[12:], 0) // WTSActive
		binary.LittleEndian.PutUint32(b[16:], flags)
		return b
	}
	for _, tc := range []struct {
		name   string
		info   []byte
		locked bool
	}{
		{"locked", info(1, 0), true},
		{"unlocked", info(1, 1), false},
		{"unknown", info(1, 0xFFFFFFFF), false},
		{"another level", info(2, 0), false},
		{"short", info(1, 0)[:12], false},
	} {
		if locked := lockStateOf(tc.info); locked != tc.locked {
			t.Errorf("%s: locked %v, want %v", tc.name, locked, tc.locked)
		}
	}
}

// ioreg's output for `ioreg -c IOHIDSystem -d 4 -r -k HIDIdleTime`. No Mac was at hand, so this is
// not a capture of our own: it follows the shapes other projects' tests hold as ioreg's (searched
// with this repository's reference search): the class line, properties between braces, "|" before
// them when children follow (as with -d 4), HIDIdleTime in nanoseconds; the second sample is an
// Apple silicon (J314sAP) registry path as printed without -r, where IOHIDSystem is deeper.
const (
	ioregWithChildren = `+-o IOHIDSystem  <class IOHIDSystem, id 0x1000004d1, registered, matched, active, busy 0 (0 ms), retain 38>
  | {
  |   "HIDParameters" = {"HIDClickTime"=500000000,"HIDKeyRepeat"=83333333}
  |   "HIDIdleTime" = 14708018750
  |   "HIDScrollCountIgnoreMomentumScrolls" = Yes
  | }
  | 
  +-o IOHIDUserClient  <class IOHIDUserClient, id 0x100000a6c, !registered, !matched, active, busy 0, retain 6>
`
	ioregDeep = `+-o Root  <class IORegistryEntry, id 0x100000100, retain 29>
  +-o J314sAP  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0 (1051 ms), retain 44>
    +-o AppleARMPE  <class AppleARMPE, id 0x100000111, registered, matched, active, busy 0 (1043 ms), retain 23>
      +-o IOHIDSystem  <class IOHIDSystem, id 0x1000004d1, registered, matched, active, busy 0 (0 ms), retain 38>
          {
            "HIDIdleTime" = 187654321000
          }
`
)

func TestParseHIDIdleTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, out string
		want      time.Duration
		ok        bool
	}{
		{"with children", ioregWithChildren, 14708018750 * time.Nanosecond, true},
		{"deep in the registry", ioregDeep, 187654321 * time.Microsecond, true},
		{"two entries: the most recent input counts",
			`"HIDIdleTime" = 9000000000` + "\n" + `"HIDIdleTime" = 2000000`, 2 * time.Millisecond, true},
		{"just touched", `"HIDIdleTime" = 0`, 0, true},
		{"no HIDIdleTime", "+-o IOHIDSystem  <class IOHIDSystem>\n", 0, false},
		{"empty", "", 0, false},
		{"out of range", `"HIDIdleTime" = 18446744073709551615`, 0, false},
	} {
		got, err := parseHIDIdleTime(tc.out)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %v, %v; want %v (ok %v)", tc.name, got, err, tc.want, tc.ok)
		}
	}
}
