//go:build linux

package trayhost

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// helperEnv, when set to 1, makes the test binary run trayHelper instead of
// the tests.
const helperEnv = "TRAYHOST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		trayHelper()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// trayHelper is a minimal fyne.io/systray application: a title, an icon, a
// "Hello" entry that prints "clicked" and a "Check me" checkbox that toggles
// and turns the icon green when checked.
func trayHelper() {
	systray.Run(func() {
		systray.SetTitle("trayhost helper")
		systray.SetIcon(solidPNG(color.RGBA{R: 255, A: 255}))
		hello := systray.AddMenuItem("_Hello", "say hello")
		systray.AddSeparator()
		check := systray.AddMenuItemCheckbox("Check me", "toggle", false)
		// systray delivers a click only if a goroutine is blocked receiving
		// on ClickedCh at that moment (it drops it otherwise), so one
		// goroutine per item does nothing but forward clicks to a buffered
		// channel; the effects the test waits for happen elsewhere.
		clicks := make(chan string, 16)
		var started sync.WaitGroup
		forward := func(item *systray.MenuItem, name string) {
			started.Done()
			for range item.ClickedCh {
				clicks <- name
			}
		}
		started.Add(2)
		go forward(hello, "hello")
		go forward(check, "check")
		started.Wait()
		fmt.Println("ready")
		go func() {
			for name := range clicks {
				switch name {
				case "hello":
					fmt.Println("clicked")
				case "check":
					// systray drops a SetIcon/SetTitle that races with its
					// start-up, so the test checks the ones made here.
					if check.Checked() {
						check.Uncheck()
						systray.SetIcon(solidPNG(color.RGBA{R: 255, A: 255}))
						systray.SetTitle("unchecked")
					} else {
						check.Check()
						systray.SetIcon(solidPNG(color.RGBA{G: 255, A: 255}))
						systray.SetTitle("checked")
					}
					fmt.Println("toggled")
				}
			}
		}()
	}, nil)
}

// solidPNG returns a 16×16 PNG of colour c.
func solidPNG(c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// startHelper runs this test binary as the tray helper inside s and returns
// a channel of the lines it prints. The helper is killed at cleanup.
func startHelper(t *testing.T, s *Session) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), s.Env()...), helperEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testio.SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("helper stderr:\n%s", stderr)
		}
	})
	return cmd, lines
}

// waitLine waits for the helper to print want.
func waitLine(ctx context.Context, t *testing.T, lines <-chan string, want string) {
	t.Helper()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("helper exited before printing %q", want)
			}
			if line == want {
				return
			}
			t.Logf("helper: %s", line)
		case <-ctx.Done():
			t.Fatalf("helper did not print %q: %v", want, ctx.Err())
		}
	}
}

func TestSystrayEndToEnd(t *testing.T) {
	s := StartSession(t)
	if !strings.HasPrefix(s.Display, ":") || s.BusAddress == "" {
		t.Fatalf("bad session %+v", s)
	}
	p := NewPanel(t, s)
	helper, lines := startHelper(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	it, err := p.WaitItem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(it.Service, ":") || it.Path != "/StatusNotifierItem" {
		t.Errorf("item = %s %s, want a unique name and /StatusNotifierItem", it.Service, it.Path)
	}

	menu, err := it.WaitMenu(ctx, func(m MenuNode) bool {
		_, hello := m.Find("Hello")
		_, check := m.Find("Check me")
		return hello && check
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(menu.Labels(), "|"), "Hello|Check me"; got != want {
		t.Errorf("Labels() = %q, want %q", got, want)
	}
	if len(menu.Children) != 3 || menu.Children[1].Type != "separator" {
		t.Errorf("menu children = %+v, want Hello, separator, Check me", menu.Children)
	}
	waitLine(ctx, t, lines, "ready") // the helper is listening for clicks
	hello, _ := menu.Find("Hello")
	if hello.Label != "Hello" || !hello.Enabled || !hello.Visible || hello.ToggleType != "" {
		t.Errorf("Hello entry = %+v", hello)
	}
	check, ok := menu.Find("Check me")
	if !ok || check.ToggleType != "checkmark" || check.ToggleState != 0 {
		t.Fatalf("Check me entry = %+v, %v; want an unchecked checkmark", check, ok)
	}

	// The initial icon may be empty (0×0): fyne.io/systray loses a SetIcon
	// made in onReady before its D-Bus properties are exported.
	_, _, sumBefore, err := it.Icon(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if err := it.Click(ctx, hello.ID); err != nil {
		t.Fatal(err)
	}
	waitLine(ctx, t, lines, "clicked")

	rev, settled, err := it.WaitSettled(ctx, 300*time.Millisecond, func(MenuNode) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(settled.Entries(), "|"), fmt.Sprintf("%d Hello|%d ---|%d Check me", hello.ID, hello.ID+1, check.ID); got != want {
		t.Errorf("Entries() = %q, want %q", got, want)
	}
	if err := it.Click(ctx, check.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := it.WaitMenu(ctx, func(m MenuNode) bool {
		c, ok := m.Find("Check me")
		return ok && c.ToggleState == 1
	}); err != nil {
		t.Fatal(err)
	}
	waitLine(ctx, t, lines, "toggled")
	if after, _, err := it.Layout(ctx); err != nil || after <= rev {
		t.Errorf("revision %d before a change, %d after (%v): want it raised", rev, after, err)
	}
	_, _, sumChecked, err := it.WaitIcon(ctx, func(w, h int32, sum string) bool {
		return w == 16 && h == 16 && sum != sumBefore
	})
	if err != nil {
		t.Fatal(err)
	}
	title, err := it.Title(ctx)
	if err != nil || title != "checked" {
		t.Errorf("Title() = %q, %v; want \"checked\"", title, err)
	}

	// Uncheck again: state, icon and title follow.
	if err := it.Click(ctx, check.ID); err != nil {
		t.Fatal(err)
	}
	waitLine(ctx, t, lines, "toggled")
	if _, err := it.WaitMenu(ctx, func(m MenuNode) bool {
		c, ok := m.Find("Check me")
		return ok && c.ToggleState == 0
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := it.WaitIcon(ctx, func(w, h int32, sum string) bool {
		return w == 16 && sum != sumChecked
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := it.WaitProperty(ctx, "Title", func(v dbus.Variant) bool {
		return v.Value() == "unchecked"
	}); err != nil {
		t.Fatal(err)
	}

	// The watcher's properties reflect the registration.
	var items []string
	obj := p.conn.Object(WatcherName, WatcherPath)
	if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		WatcherInterface, "RegisteredStatusNotifierItems").Store(&items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0] != it.Service+"/StatusNotifierItem" {
		t.Errorf("RegisteredStatusNotifierItems = %q", items)
	}
	var hostRegistered dbus.Variant
	if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		WatcherInterface, "IsStatusNotifierHostRegistered").Store(&hostRegistered); err != nil {
		t.Fatal(err)
	}
	if hostRegistered.Value() != true {
		t.Errorf("IsStatusNotifierHostRegistered = %v", hostRegistered)
	}
	var xml string
	if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(xml, "RegisterStatusNotifierItem") {
		t.Errorf("introspection lacks RegisterStatusNotifierItem:\n%s", xml)
	}

	// When the application exits, its item leaves the panel.
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitGone(ctx, it); err != nil {
		t.Fatal(err)
	}
	if got := p.Items(); len(got) != 0 {
		t.Errorf("Items() after exit = %v", got)
	}
}

// TestConnectItemWithoutPanel reads and clicks an item through ConnectItem when no Panel (here: no
// watcher at all) has seen it register, as with a real panel owning the watcher.
func TestConnectItemWithoutPanel(t *testing.T) {
	s := StartSession(t)
	helper, lines := startHelper(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	service := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", helper.Process.Pid) // fyne.io/systray's name
	if err := s.WaitName(ctx, service); err != nil {
		t.Fatal(err)
	}
	it := ConnectItem(t, s, service, "/StatusNotifierItem")
	menu, err := it.WaitMenu(ctx, func(m MenuNode) bool { _, ok := m.Find("Hello"); return ok })
	if err != nil {
		t.Fatal(err)
	}
	waitLine(ctx, t, lines, "ready")
	hello, _ := menu.Find("Hello")
	if err := it.Click(ctx, hello.ID); err != nil {
		t.Fatal(err)
	}
	waitLine(ctx, t, lines, "clicked")

	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if err := s.WaitName(short, "org.example.Nobody"); err == nil || !strings.Contains(err.Error(), "org.example.Nobody") {
		t.Errorf("WaitName for a name nobody owns = %v, want an error naming it", err)
	}
}

func TestNewPanelNameTaken(t *testing.T) {
	s := StartSession(t)
	NewPanel(t, s)
	ft := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		// Fatalf calls runtime.Goexit, so run in a goroutine.
		defer close(done)
		NewPanel(ft, s)
	}()
	<-done
	if !ft.failed {
		t.Fatal("second NewPanel on the same bus did not fail")
	}
	ft.runCleanups()
}

func TestStartSessionMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		ft := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			StartSession(ft)
		}()
		<-done
		ft.runCleanups()
		if ci == "" && (!ft.skipped || ft.failed) {
			t.Errorf("CI unset: skipped=%v failed=%v, want a skip", ft.skipped, ft.failed)
		}
		if ci != "" && (!ft.failed || ft.skipped) {
			t.Errorf("CI set: skipped=%v failed=%v, want a failure", ft.skipped, ft.failed)
		}
	}
}

func TestStripMnemonic(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"_File":       "File",
		"Save _As":    "Save As",
		"a__b":        "a_b",
		"a___b":       "a_b",
		"end_":        "end",
		"no mnemonic": "no mnemonic",
	} {
		if got := stripMnemonic(in); got != want {
			t.Errorf("stripMnemonic(%q) = %q, want %q", in, got, want)
		}
	}
}

// fatalTB records Fatalf and Skipf instead of ending the real test.
type fatalTB struct {
	testing.TB
	failed   bool
	skipped  bool
	cleanups []func()
}

func (f *fatalTB) Skipf(format string, args ...any) {
	f.skipped = true
	f.TB.Logf("expected skip: "+format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.failed = true
	f.TB.Logf("expected failure: "+format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *fatalTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// A session's display stays up for a client that connects while another leaves. Xvfb's default
// resets the server when its last client disconnects and drops whoever was connecting just then:
// a test polling with xwininfo right after starting a tray made the tray fail with
// "Failed to open display". Clients here open and close connections at once, many times over.
func TestSessionDisplaySurvivesClientsComingAndGoing(t *testing.T) {
	s := StartSession(t)
	quiet, loud := log.New(io.Discard, "", 0), xgb.Logger // its notes on a missing ~/.Xauthority, 600 times over
	xgb.Logger = quiet
	t.Cleanup(func() { xgb.Logger = loud })
	const clients, rounds = 4, 150
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				conn, err := xgb.NewConnDisplay(s.Display)
				if err != nil {
					errs <- err
					continue
				}
				// A round trip: the server answered this client's setup and a request.
				if _, err := xproto.GetInputFocus(conn).Reply(); err != nil {
					errs <- err
				}
				conn.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	var failed []string
	for err := range errs {
		failed = append(failed, err.Error())
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d connections to %s failed; first: %s", len(failed), clients*rounds, s.Display, failed[0])
	}
}
