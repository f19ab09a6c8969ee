package singleinstance

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClaim plays a claim from a script: what own returns on each call, what activate returns.
type fakeClaim struct {
	owns      []error
	activates []error
	owned     int
	activated int
	closed    bool
}

func (f *fakeClaim) means() string { return "fake" }
func (f *fakeClaim) close()        { f.closed = true }

func (f *fakeClaim) own(chan<- struct{}) (func() error, error) {
	err := f.owns[min(f.owned, len(f.owns)-1)]
	f.owned++
	if err != nil {
		return nil, err
	}
	return func() error { return nil }, nil
}

func (f *fakeClaim) activate(context.Context) error {
	err := f.activates[min(f.activated, len(f.activates)-1)]
	f.activated++
	return err
}

func TestAcquireDecides(t *testing.T) {
	t.Parallel()
	hung := errors.New("call timed out")
	tests := []struct {
		name          string
		claims        []*fakeClaim
		wantOwner     bool
		wantErr       error
		wantOwnCalls  []int
		wantActivates []int
	}{
		{"free: own it", []*fakeClaim{{owns: []error{nil}}}, true, nil, []int{1}, []int{0}},
		{"taken, owner answers: hand over", []*fakeClaim{{owns: []error{errTaken}, activates: []error{nil}}}, false, ErrAlreadyRunning, []int{1}, []int{1}},
		{"taken, owner just exited: own it next time", []*fakeClaim{{owns: []error{errTaken, nil}, activates: []error{errNoOwner}}}, true, nil, []int{2}, []int{1}},
		{"taken, owner still starting: ask again", []*fakeClaim{{owns: []error{errTaken}, activates: []error{errNoOwner, errNoOwner, nil}}}, false, ErrAlreadyRunning, []int{3}, []int{3}},
		{"taken, owner hangs: not answering, never a second copy", []*fakeClaim{{owns: []error{errTaken}, activates: []error{hung}}}, false, ErrNotAnswering, []int{1}, []int{1}},
		{"no session bus: the next means decides", []*fakeClaim{{owns: []error{errUnavailable}}, {owns: []error{errTaken}, activates: []error{nil}}}, false, ErrAlreadyRunning, []int{1, 1}, []int{0, 1}},
		{"no means at all", []*fakeClaim{{owns: []error{errUnavailable}}}, false, errUnavailable, []int{1}, []int{0}},
		{"a means that fails: the next decides", []*fakeClaim{{owns: []error{errors.New("bus refused")}}, {owns: []error{errTaken}, activates: []error{nil}}}, false, ErrAlreadyRunning, []int{1, 1}, []int{0, 1}},
		{"the owner also holds the later means", []*fakeClaim{{owns: []error{nil}}, {owns: []error{nil}}}, true, nil, []int{1, 1}, []int{0, 0}},
		{"a later means taken is left alone", []*fakeClaim{{owns: []error{nil}}, {owns: []error{errTaken}}}, true, nil, []int{1, 1}, []int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var claims []claim
			for _, c := range tt.claims {
				claims = append(claims, c)
			}
			inst, err := acquire(context.Background(), claims)
			if (inst != nil) != tt.wantOwner || (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("acquire = %v, %v; want owner %v, error %v", inst, err, tt.wantOwner, tt.wantErr)
			}
			for i, c := range tt.claims {
				if c.owned != tt.wantOwnCalls[i] || c.activated != tt.wantActivates[i] {
					t.Errorf("claim %d: own called %d times, activate %d; want %d, %d", i, c.owned, c.activated, tt.wantOwnCalls[i], tt.wantActivates[i])
				}
				if !tt.wantOwner && c.owned > 0 && !c.closed {
					t.Errorf("claim %d left open after it was not ours", i)
				}
			}
		})
	}
}

func TestAcquireGivesUpWhenTheOwnerNeverListens(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c := &fakeClaim{owns: []error{errTaken}, activates: []error{errNoOwner}}
	start := time.Now()
	_, err := acquire(ctx, []claim{c})
	if !errors.Is(err, ErrNotAnswering) || !errors.Is(err, errNoOwner) {
		t.Errorf("acquire = %v, want ErrNotAnswering", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("gave up after %v, want about the context's 200 ms", took)
	}
	if c.activated < 2 {
		t.Errorf("asked %d times, want a retry every %v", c.activated, retryDelay)
	}
}

func TestShowRequestsMerge(t *testing.T) {
	t.Parallel()
	inst, err := acquire(context.Background(), []claim{&fakeClaim{owns: []error{nil}}})
	if err != nil {
		t.Fatal(err)
	}
	show := inst.show
	for range 3 {
		requestShow(show) // never blocks
	}
	<-inst.ShowRequests()
	select {
	case <-inst.ShowRequests():
		t.Error("three requests while one was pending were delivered twice")
	default:
	}
	if err := errors.Join(inst.Close(), inst.Close()); err != nil {
		t.Error(err)
	}
}

func TestLockPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		xdg, session string
		want         lockPaths
	}{
		{"/run/user/1000", "0", lockPaths{"/run/user/1000/org.flamenco.tray", "/run/user/1000/org.flamenco.tray/instance-0.lock", "/run/user/1000/org.flamenco.tray/instance-0.sock"}},
		{"", "", lockPaths{"/tmp/org.flamenco.tray-1000", "/tmp/org.flamenco.tray-1000/instance.lock", "/tmp/org.flamenco.tray-1000/instance.sock"}},
		{"relative/dir", "", lockPaths{"/tmp/org.flamenco.tray-1000", "/tmp/org.flamenco.tray-1000/instance.lock", "/tmp/org.flamenco.tray-1000/instance.sock"}},
		{"/home/Zoë Müller-Ørsted/run", "", lockPaths{"/home/Zoë Müller-Ørsted/run/org.flamenco.tray", "/home/Zoë Müller-Ørsted/run/org.flamenco.tray/instance.lock", "/home/Zoë Müller-Ørsted/run/org.flamenco.tray/instance.sock"}},
	}
	for _, tt := range tests {
		if got := lockPathsFor("org.flamenco.tray", tt.xdg, "/tmp", 1000, tt.session); got != tt.want {
			t.Errorf("XDG_RUNTIME_DIR=%q session %q: %+v, want %+v", tt.xdg, tt.session, got, tt.want)
		}
	}
	// macOS: $TMPDIR is long; the socket path must stay under the 104-byte limit.
	macTmp := "/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T"
	if p := lockPathsFor("org.flamenco.tray", "", macTmp, 501, sessionKey("darwin", nil)); len(p.socket) >= 104 {
		t.Errorf("socket path %q is %d bytes, over macOS's limit", p.socket, len(p.socket))
	}
}

func TestSessionKey(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"DISPLAY": ":0"}, "0"},
		{"linux", map[string]string{"DISPLAY": "localhost:10.0"}, "localhost_10.0"},
		{"linux", map[string]string{"DISPLAY": ":1", "WAYLAND_DISPLAY": "wayland-0"}, "wayland-0"},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "/run/user/1000/../x"}, "_run_user_1000_.._x"},
		{"freebsd", map[string]string{}, ""},
		{"darwin", map[string]string{"DISPLAY": "/private/tmp/com.apple.launchd.x/org.xquartz:0"}, ""},
		{"linux", map[string]string{"DISPLAY": ":" + string(make([]byte, 50))}, "________________________________"},
	}
	for _, tt := range tests {
		if got := sessionKey(tt.goos, env(tt.env)); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.goos, tt.env, got, tt.want)
		}
	}
}

func TestSessionBusAddress(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	odd := "/home/Zoë Müller-Ørsted/run,50%"
	exists := func(p string) bool { return p == "/run/user/1000/bus" || p == odd+"/bus" }
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/b", "XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/tmp/b"},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "unix:path=/run/user/1000/bus"},
		{map[string]string{"XDG_RUNTIME_DIR": odd}, "unix:path=/home/Zo%c3%ab%20M%c3%bcller-%c3%98rsted/run%2c50%25/bus"},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1001"}, ""}, // no bus socket: no bus, and no dbus-launch
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := sessionBusAddress(env(tt.env), exists); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestWindowsNames(t *testing.T) {
	t.Parallel()
	mutex, event := windowsNames("org.flamenco.tray")
	if mutex != `Local\org.flamenco.tray` || event != `Local\org.flamenco.tray.activate` {
		t.Errorf("names %q, %q", mutex, event)
	}
}
