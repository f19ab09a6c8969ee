package idle

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestChooseByTheSessionsEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		session session
		want    []kind
	}{
		{"X11", session{display: ":0"}, []kind{x11}},
		{"GNOME on Wayland, Xwayland too", session{display: ":0", wayland: "wayland-0", desktop: "ubuntu:GNOME"}, []kind{mutter}},
		{"KDE on Wayland", session{wayland: "wayland-0", desktop: "KDE"}, []kind{screenSaver}},
		{"another compositor", session{wayland: "wayland-1", desktop: "sway"}, []kind{mutter, screenSaver}},
	} {
		got, err := choose(tc.session)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := choose(session{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no display: %v, want ErrUnavailable", err)
	}
}

// Windows' tick count wraps after 49.7 days: the last input 1 s before the wrap, read 2 s after it.
func TestSinceTickAcrossTheWrap(t *testing.T) {
	if got := sinceTick(2000, ^uint32(0)-999); got != 3*time.Second {
		t.Errorf("%v, want 3s", got)
	}
	if got := sinceTick(5000, 4000); got != time.Second {
		t.Errorf("%v, want 1s", got)
	}
}

// ioreg's output in its own format (`ioreg -c IOHIDSystem -d 4 -r -k HIDIdleTime`): a property line
// among others, nanoseconds.
const ioregSample = `+-o IOHIDSystem  <class IOHIDSystem, id 0x100000482, registered, matched, active, busy 0 (0 ms), retain 23>
    {
      "HIDIdleTime" = 7398211541
      "HIDEventServiceProperties" = {"HIDMouseAcceleration"=45056}
    }
`

func TestParseHIDIdleTime(t *testing.T) {
	got, err := parseHIDIdleTime(ioregSample)
	if err != nil || got != 7398211541*time.Nanosecond {
		t.Errorf("%v, %v", got, err)
	}
	if _, err := parseHIDIdleTime("+-o IOHIDSystem\n"); err == nil {
		t.Error("output without HIDIdleTime was read")
	}
}
