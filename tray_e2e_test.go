package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/trayhost"
)

// buildTray builds flamenco-tray (with -race, so the app's own races fail this test too).
func buildTray(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flamenco-tray")
	cmd := exec.Command("go", "build", "-race", "-o", bin, ".")
	// Inside the test's namespace there is no network: modules come from the cache only.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// trayEnv makes a private home with the given preferences and a browser shim that records the URLs
// pkg/browser opens (it runs xdg-open from PATH).
func trayEnv(t *testing.T, session *trayhost.Session, prefs map[string]any) (env []string, opened string) {
	t.Helper()
	home := t.TempDir()
	prefDir := filepath.Join(home, ".config", "fyne", app.ID)
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(prefs)
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	shims := filepath.Join(home, "bin")
	opened = filepath.Join(home, "opened.txt")
	os.MkdirAll(shims, 0o755)
	shim := fmt.Sprintf("#!/bin/sh\necho \"$1\" >> %q\n", opened)
	for _, name := range []string{"xdg-open", "x-www-browser", "www-browser"} {
		if err := os.WriteFile(filepath.Join(shims, name), []byte(shim), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = append(os.Environ(), session.Env()...)
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "LANG=C.UTF-8", "PATH="+shims+":"+os.Getenv("PATH"))
	return env, opened
}

func labelled(substr string) func(trayhost.MenuNode) bool {
	return func(m trayhost.MenuNode) bool { _, ok := m.Find(substr); return ok }
}

func TestTrayEndToEnd(t *testing.T) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t)
	panel := trayhost.NewPanel(t, session)
	notifications := trayhost.NewNotifications(t, session)

	lan := netns.NewLAN(t)
	selfAddr := lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	managerHost, workerHost := netns.NewHost(t), netns.NewHost(t)
	managerAddr := lan.Attach(t, managerHost, netns.WithMulticastRoute())
	lan.Attach(t, workerHost, netns.WithMulticastRoute())
	manager := standin.Start(t, managerHost, "Studio Farm")
	localURL := standin.ServeHTTP(t, "Desk Farm")

	env, opened := trayEnv(t, session, map[string]any{"localManagerURL": localURL, "notifications": true})
	cmd := exec.Command(buildTray(t), "--debug")
	raceLog := filepath.Join(t.TempDir(), "race")
	cmd.Env = append(env, "GORACE=exitcode=0 log_path="+raceLog)
	t.Cleanup(func() { checkRaceReports(t, raceLog) })
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	waited := make(chan struct{})
	go func() { exited <- cmd.Wait(); close(waited) }()
	t.Cleanup(func() {
		select {
		case <-waited:
		default:
			cmd.Process.Kill()
			<-waited
		}
		if t.Failed() {
			t.Logf("flamenco-tray stderr:\n%s", stderr.String())
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	step := func(within time.Duration) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, within)
	}

	itemCtx, done := step(60 * time.Second)
	item, err := panel.WaitItem(itemCtx)
	done()
	if err != nil {
		t.Fatalf("the tray never registered with the panel: %v", err)
	}

	// The Manager on the LAN is listed with its name and version; clicking opens its web UI.
	wantURL := fmt.Sprintf("http://%s:8080/", managerAddr)
	clickCtx, done := step(30 * time.Second)
	clickUntil(t, clickCtx, item, "Studio Farm — 3.3.1", func(trayhost.MenuNode) bool {
		data, _ := os.ReadFile(opened)
		return strings.Contains(string(data), wantURL)
	})
	done()

	// A Manager that dies (no byebye) leaves the menu. (Before advertising: the Worker-style search
	// below stops at the first answer, which must be ours.)
	manager.Kill()
	waitCtx, done := step(30 * time.Second)
	_, err = item.WaitMenu(waitCtx, func(m trayhost.MenuNode) bool { return !labelled("Studio Farm")(m) })
	done()
	if err != nil {
		t.Fatal(err)
	}
	// A desktop notification says so; the Managers found at start-up were not news.
	waitCtx, done = step(10 * time.Second)
	got, err := notifications.Wait(waitCtx, func(ns []trayhost.Notification) bool {
		return slices.ContainsFunc(ns, func(n trayhost.Notification) bool {
			return n.Summary == "Flamenco Manager gone" && strings.Contains(n.Body, "Studio Farm")
		})
	})
	done()
	if err != nil {
		t.Error(err)
	}
	for _, n := range got {
		if n.Summary == "Flamenco Manager found" && strings.Contains(n.Body, "Studio Farm") {
			t.Errorf("notified about a Manager found at start-up: %+v", n)
		}
	}

	// Advertise the local Manager: the item is checked, the icon changes, and an independent
	// Worker-style search from another host finds it.
	listener := workerHost.JoinGroup(t, netip.MustParseAddrPort(discovery.MulticastAddress))
	waitCtx, done = step(30 * time.Second)
	_, err = item.WaitMenu(waitCtx, labelled("Advertise “Desk Farm” on the LAN"))
	done()
	if err != nil {
		t.Fatal(err)
	}
	_, _, idleIcon, err := item.Icon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	advertising := func(m trayhost.MenuNode) bool {
		n, ok := m.Find("Advertise “Desk Farm”")
		return ok && n.ToggleState == 1
	}
	clickCtx, done = step(40 * time.Second)
	clickUntil(t, clickCtx, item, "Advertise “Desk Farm” on the LAN", advertising)
	done()
	iconCtx, done := step(10 * time.Second)
	if _, _, _, err := item.WaitIcon(iconCtx, func(_, _ int32, sum string) bool { return sum != idleIcon }); err != nil {
		t.Errorf("the icon did not change while advertising: %v", err)
	}
	done()
	port := strings.TrimSuffix(localURL[strings.LastIndex(localURL, ":")+1:], "/")
	wantLocation := fmt.Sprintf("http://%s:%s/upnp/description.xml", selfAddr, port)
	var client *discovery.Client
	if err := workerHost.Do(func() (err error) { client, err = discovery.NewClient(zerolog.Nop()); return err }); err != nil {
		t.Fatal(err)
	}
	searchCtx, done := step(20 * time.Second)
	found, err := client.Run(searchCtx)
	done()
	if err != nil || !contains(found, wantLocation) {
		t.Fatalf("a search from another host found %v (%v), want %s", found, err, wantLocation)
	}

	// Toggling it off sends byebye.
	clickCtx, done = step(40 * time.Second)
	clickUntil(t, clickCtx, item, "Advertise “Desk Farm” on the LAN", func(m trayhost.MenuNode) bool {
		n, ok := m.Find("Advertise “Desk Farm”")
		return ok && n.ToggleState != 1
	})
	done()
	if bye := waitByebye(t, listener, 10*time.Second); bye.Location != wantLocation {
		t.Errorf("byebye for %q, want %q", bye.Location, wantLocation)
	}

	// Advertise again, then quit: quitting stops advertising with a byebye.
	clickCtx, done = step(40 * time.Second)
	clickUntil(t, clickCtx, item, "Advertise “Desk Farm” on the LAN", advertising)
	done()

	// Quit from the menu: the process exits cleanly. (A click can miss, see clickUntil.)
quit:
	for range 5 {
		menu, err := item.WaitMenu(ctx, labelled("Quit"))
		if err != nil {
			break
		}
		node, _ := menu.Find("Quit")
		item.Click(ctx, node.ID)
		select {
		case <-waited:
			break quit
		case <-time.After(5 * time.Second):
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("flamenco-tray exited with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("flamenco-tray did not exit after Quit")
		cmd.Process.Signal(syscall.SIGQUIT)
	}
	if bye := waitByebye(t, listener, 5*time.Second); bye.Location != wantLocation {
		t.Errorf("byebye at quit for %q, want %q", bye.Location, wantLocation)
	}
}

// clickUntil clicks the item labelled label until done reports the click took effect. The tray
// rebuilds its menu whole on every change, which renumbers the items, and fyne.io/systray drops a click
// that arrives while the previous one is still being handled: a click can miss, so it is retried.
func clickUntil(t *testing.T, ctx context.Context, item *trayhost.Item, label string, done func(trayhost.MenuNode) bool) trayhost.MenuNode {
	t.Helper()
	for {
		menu, err := item.WaitMenu(ctx, func(m trayhost.MenuNode) bool { n, ok := m.Find(label); return ok && n.Enabled })
		if err != nil {
			t.Fatalf("waiting for %q: %v", label, err)
		}
		node, _ := menu.Find(label)
		if err := item.Click(ctx, node.ID); err != nil {
			t.Logf("click %q: %v", label, err)
		}
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		menu, err = item.WaitMenu(attempt, done)
		cancel()
		if err == nil {
			return menu
		}
		if ctx.Err() != nil {
			t.Fatalf("clicking %q had no effect: %v", label, err)
		}
	}
}

// checkRaceReports fails the test for each data race the race detector reported in our own code. The
// binary runs with GORACE=exitcode=0 because fyne.io/systray races with itself while it starts (not
// ours to fix); those reports are logged, not failed on.
func checkRaceReports(t *testing.T, logPath string) {
	files, _ := filepath.Glob(logPath + ".*")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, report := range strings.Split(string(data), "==================") {
			if !strings.Contains(report, "DATA RACE") {
				continue
			}
			if raceInOurCode(report) {
				t.Errorf("data race in flamenco-tray:\n%s", report)
			} else {
				t.Logf("data race inside a dependency, not in flamenco-tray's code:\n%s", report)
			}
		}
	}
}

// raceInOurCode reports whether either access of a race report happened in this module's code or
// close below it (within 4 calls: our code calling a library from the wrong goroutine).
func raceInOurCode(report string) bool {
	lines := strings.Split(report, "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "Read at") && !strings.HasPrefix(trimmed, "Write at") &&
			!strings.HasPrefix(trimmed, "Previous read at") && !strings.HasPrefix(trimmed, "Previous write at") {
			continue
		}
		// Each frame is two lines: the function, then its file.
		for j := i + 1; j < len(lines) && j <= i+8; j += 2 {
			if strings.TrimSpace(lines[j]) == "" {
				break
			}
			if strings.Contains(lines[j], "github.com/flamenco-tray/flamenco-tray/") {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func waitFile(t *testing.T, path, want string, within time.Duration) {
	t.Helper()
	waitFor(t, within, func() bool {
		data, _ := os.ReadFile(path)
		return strings.Contains(string(data), want)
	})
}

func waitByebye(t *testing.T, conn *net.UDPConn, within time.Duration) discovery.Answer {
	t.Helper()
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(within))
	for {
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no byebye: %v", err)
		}
		if a, err := discovery.ParseAnswer(buf[:n], src); err == nil && a.Kind == discovery.ByebyeNotify {
			return a
		}
	}
}

func withoutEnv(env []string, names ...string) []string {
	var kept []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			kept = append(kept, kv)
		}
	}
	return kept
}

func TestTrayWithoutDisplayExplains(t *testing.T) {
	netns.RequireIsolated(t)
	cmd := exec.Command(buildTray(t))
	cmd.Env = append(withoutEnv(os.Environ(), "DISPLAY", "WAYLAND_DISPLAY"), "XDG_CACHE_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "no display") || !strings.Contains(string(out), "discover --watch") {
		t.Errorf("output does not explain:\n%s", out)
	}
}

func TestTrayWithoutTrayHostShowsWindow(t *testing.T) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t) // no panel: nobody owns org.kde.StatusNotifierWatcher
	env, _ := trayEnv(t, session, map[string]any{"notifications": false})
	cmd := exec.Command(buildTray(t))
	cmd.Env = env
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, 30*time.Second, func() bool { return strings.Contains(stderr.String(), "showing a window instead") })
	if !strings.Contains(stderr.String(), "AppIndicator") {
		t.Errorf("the log does not say what to install:\n%s", stderr.String())
	}
	waitFor(t, 15*time.Second, func() bool {
		out, _ := exec.Command("xwininfo", "-root", "-tree", "-display", session.Display).Output()
		return strings.Contains(string(out), `"Flamenco Tray"`)
	})
	if cmd.ProcessState != nil {
		t.Fatalf("flamenco-tray exited: %v", cmd.ProcessState)
	}
}
