//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ssdpworker"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// settleFor is how long a menu must stay unchanged before a test clicks it: the tray sends a menu
// only when what it shows changes, so a settled menu's entry IDs are the ones a click reaches.
const settleFor = time.Second

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

// trayProcess is a flamenco-tray started by a test, with its stderr and a way to know it exited.
type trayProcess struct {
	cmd    *exec.Cmd
	stderr *testio.SyncBuffer
	exited chan struct{} // closed once Wait returned; err is then set
	err    error
}

// startTray builds and starts flamenco-tray. At cleanup it is killed if still running, and every
// race report it wrote is judged (see checkRaceReports).
func startTray(t *testing.T, env []string, args ...string) *trayProcess {
	t.Helper()
	return startTrayBinary(t, buildTray(t), env, args...)
}

// startTrayBinary is startTray with a binary built already, for tests that start it several times.
func startTrayBinary(t *testing.T, bin string, env []string, args ...string) *trayProcess {
	t.Helper()
	raceLog := filepath.Join(t.TempDir(), "race")
	t.Cleanup(func() { checkRaceReports(t, raceLog) }) // runs last: after the process is gone
	p := &trayProcess{cmd: exec.Command(bin, args...), stderr: &testio.SyncBuffer{}, exited: make(chan struct{})}
	// exitcode=0: the reports are judged one by one below, a known dependency race must not fail
	// the exit status.
	p.cmd.Env = append(env, "GORACE=exitcode=0 log_path="+raceLog)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("flamenco-tray stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// running fails the test if the process has exited.
func (p *trayProcess) running(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("flamenco-tray exited: %v", p.err)
	default:
	}
}

// logLines counts the lines of the tray's log that contain all of substrs.
func (p *trayProcess) logLines(substrs ...string) int {
	n := 0
	for line := range strings.Lines(p.stderr.String()) {
		if !slices.ContainsFunc(substrs, func(s string) bool { return !strings.Contains(line, s) }) {
			n++
		}
	}
	return n
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
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "LANG=C.UTF-8", "PATH="+shims+":"+os.Getenv("PATH"))
	return env, opened
}

func enabled(label string) func(trayhost.MenuNode) bool {
	return func(m trayhost.MenuNode) bool { n, ok := m.Find(label); return ok && n.Enabled }
}

func checked(label string, want bool) func(trayhost.MenuNode) bool {
	return func(m trayhost.MenuNode) bool { n, ok := m.Find(label); return ok && (n.ToggleState == 1) == want }
}

func all(conds ...func(trayhost.MenuNode) bool) func(trayhost.MenuNode) bool {
	return func(m trayhost.MenuNode) bool {
		return !slices.ContainsFunc(conds, func(c func(trayhost.MenuNode) bool) bool { return !c(m) })
	}
}

// clickOnce waits until the menu shows what settled asks for (an enabled entry labelled label among
// it) and has not changed for settleFor, then clicks that entry once. The caller checks the effect:
// one click is one action, there is no retry.
func clickOnce(t *testing.T, ctx context.Context, item *trayhost.Item, label string, settled func(trayhost.MenuNode) bool) {
	t.Helper()
	waitCtx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	_, menu, err := item.WaitSettled(waitCtx, settleFor, all(enabled(label), settled))
	if err != nil {
		t.Fatalf("waiting to click %q: %v", label, err)
	}
	node, _ := menu.Find(label)
	if err := item.Click(ctx, node.ID); err != nil {
		t.Fatalf("click %q: %v", label, err)
	}
}

// waitTrayItem waits up to 60 s for the tray to register its item with the panel.
func waitTrayItem(t *testing.T, ctx context.Context, panel *trayhost.Panel) *trayhost.Item {
	t.Helper()
	itemCtx, done := context.WithTimeout(ctx, 60*time.Second)
	defer done()
	item, err := panel.WaitItem(itemCtx)
	if err != nil {
		t.Fatalf("the tray never registered with the panel: %v", err)
	}
	return item
}

// within waits up to d for cond, and fails the test with what if it does not hold by then.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	tray := startTray(t, env, "--debug")
	t.Cleanup(func() {
		// fyne.io/systray logs a click on an entry that no longer exists; each click here is one action.
		if n := tray.logLines("no menu item with ID"); n > 0 {
			t.Errorf("%d clicks reached no menu entry (the menu was renumbered under them)", n)
		}
		t.Logf("menus sent to the panel: %d", tray.logLines("tray menu sent"))
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	item := waitTrayItem(t, ctx, panel)

	// The Manager on the LAN is listed with its name and version, the local one can be advertised.
	studio, advertise := "Studio Farm — 3.3.1", "Advertise “Desk Farm” on the LAN"
	listed := all(enabled(studio), enabled(advertise))

	// "Search again" changes nothing that is shown: the menu is not sent again, its IDs stay.
	revision, before, err := item.WaitSettled(ctx, settleFor, listed)
	if err != nil {
		t.Fatal(err)
	}
	// The Manager is checked on the click, though its watcher vouches for it (its polls are
	// answered) and discovery does not check it otherwise.
	searches, checks := tray.logLines("sent M-SEARCH"), tray.logLines("check succeeded", "Studio Farm")
	clickOnce(t, ctx, item, "Search again", listed)
	within(t, 15*time.Second, "a search after “Search again”", func() bool { return tray.logLines("sent M-SEARCH") > searches })
	within(t, 15*time.Second, "a liveness check of the Manager", func() bool { return tray.logLines("check succeeded", "Studio Farm") > checks })
	afterRevision, after, err := item.Layout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if afterRevision != revision || !slices.Equal(after.Entries(), before.Entries()) {
		t.Errorf("a search and a liveness check that changed nothing shown changed the menu: revision %d → %d\n%q\n%q",
			revision, afterRevision, before.Entries(), after.Entries())
	}

	// A click on the Manager opens its web UI.
	wantURL := fmt.Sprintf("http://%s:8080/", managerAddr)
	clickOnce(t, ctx, item, studio, listed)
	within(t, 10*time.Second, "the browser opening "+wantURL, func() bool {
		data, _ := os.ReadFile(opened)
		return strings.Contains(string(data), wantURL)
	})
	// Exactly once: the URL, and nothing else, opened one time. (The Manager is killed next, so a
	// second opening could only be a click that acted twice.)
	defer func() {
		if data, _ := os.ReadFile(opened); string(data) != wantURL+"\n" {
			t.Errorf("one click opened %q, want %q once", data, wantURL)
		}
	}()

	// A Manager that dies (no byebye) leaves the menu. (Before advertising: the Worker-style search
	// below stops at the first answer, which must be ours.)
	manager.Kill()
	waitCtx, done := context.WithTimeout(ctx, 30*time.Second)
	_, err = item.WaitMenu(waitCtx, func(m trayhost.MenuNode) bool { _, ok := m.Find("Studio Farm"); return !ok })
	done()
	if err != nil {
		t.Fatal(err)
	}
	// A desktop notification says so; the Managers found at start-up were not news.
	waitCtx, done = context.WithTimeout(ctx, 10*time.Second)
	got, err := notifications.Wait(waitCtx, func(ns []trayhost.Notification) bool {
		return slices.ContainsFunc(ns, func(n trayhost.Notification) bool {
			return n.Summary == "Flamenco Manager gone" && strings.Contains(n.Body, studio)
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
	_, _, idleIcon, err := item.Icon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clickOnce(t, ctx, item, advertise, checked(advertise, false))
	waitCtx, done = context.WithTimeout(ctx, 10*time.Second)
	if _, err := item.WaitMenu(waitCtx, checked(advertise, true)); err != nil {
		t.Fatalf("one click did not start advertising: %v", err)
	}
	done()
	iconCtx, done := context.WithTimeout(ctx, 10*time.Second)
	if _, _, _, err := item.WaitIcon(iconCtx, func(_, _ int32, sum string) bool { return sum != idleIcon }); err != nil {
		t.Errorf("the icon did not change while advertising: %v", err)
	}
	done()
	port := strings.TrimSuffix(localURL[strings.LastIndex(localURL, ":")+1:], "/")
	wantLocation := fmt.Sprintf("http://%s:%s/upnp/description.xml", selfAddr, port)
	var client *ssdpworker.Searcher
	if err := workerHost.Do(func() (err error) { client, err = ssdpworker.New(zerolog.Nop()); return err }); err != nil {
		t.Fatal(err)
	}
	searchCtx, done := context.WithTimeout(ctx, 20*time.Second)
	found, err := client.Run(searchCtx)
	done()
	if err != nil || !slices.Contains(found, wantLocation) {
		t.Fatalf("a search from another host found %v (%v), want %s", found, err, wantLocation)
	}

	// Toggling it off sends byebye.
	clickOnce(t, ctx, item, advertise, checked(advertise, true))
	waitCtx, done = context.WithTimeout(ctx, 10*time.Second)
	if _, err := item.WaitMenu(waitCtx, checked(advertise, false)); err != nil {
		t.Fatalf("one click did not stop advertising: %v", err)
	}
	done()
	standin.WaitByebye(t, listener, wantLocation, 10*time.Second)

	// Advertise again, then quit from the menu: quitting stops advertising with a byebye, and the
	// process exits cleanly.
	clickOnce(t, ctx, item, advertise, checked(advertise, false))
	waitCtx, done = context.WithTimeout(ctx, 10*time.Second)
	if _, err := item.WaitMenu(waitCtx, checked(advertise, true)); err != nil {
		t.Fatalf("one click did not start advertising again: %v", err)
	}
	done()
	clickOnce(t, ctx, item, "Quit", checked(advertise, true))
	select {
	case <-tray.exited:
		if tray.err != nil {
			t.Errorf("flamenco-tray exited with %v", tray.err)
		}
	case <-time.After(10 * time.Second):
		tray.cmd.Process.Signal(syscall.SIGQUIT) // its goroutines, in the log
		t.Fatal("flamenco-tray did not exit after one click on Quit")
	}
	standin.WaitByebye(t, listener, wantLocation, 5*time.Second) // at quit
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

// A DISPLAY whose X server is gone (a stale one in tmux or over ssh) gets a clear message and exit
// 1, not Fyne's panic at its first window.
func TestTrayWithAGoneDisplayExplains(t *testing.T) {
	netns.RequireIsolated(t)
	display := 4900
	for ; display < 5000; display++ {
		_, lockErr := os.Lstat(fmt.Sprintf("/tmp/.X%d-lock", display))
		_, socketErr := os.Lstat(fmt.Sprintf("/tmp/.X11-unix/X%d", display))
		if lockErr != nil && socketErr != nil {
			break
		}
	}
	cmd := exec.Command(buildTray(t))
	cmd.Env = append(withoutEnv(os.Environ(), "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"),
		fmt.Sprintf("DISPLAY=:%d", display), "XDG_CACHE_HOME="+t.TempDir(), "XDG_RUNTIME_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "cannot open the display") || !strings.Contains(string(out), "discover --watch") ||
		strings.Contains(string(out), "panic") {
		t.Errorf("output does not explain:\n%s", out)
	}
}

// windowMapped reports whether a window titled "Flamenco Tray" is on screen (mapped) on display.
func windowMapped(t *testing.T, display string) bool {
	t.Helper()
	tree, err := exec.Command("xwininfo", "-root", "-tree", "-display", display).Output()
	if err != nil {
		t.Fatalf("xwininfo: %v", err)
	}
	for line := range strings.Lines(string(tree)) {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.Contains(line, `"Flamenco Tray"`) {
			continue
		}
		info, err := exec.Command("xwininfo", "-id", fields[0], "-display", display).Output()
		if err == nil && strings.Contains(string(info), "Map State: IsViewable") {
			return true
		}
	}
	return false
}

// shownOnlyAfterLogging waits until the tray's log has line, failing if a window is on screen before
// it: the tray logs its decision to show the window before it maps it.
func shownOnlyAfterLogging(t *testing.T, tray *trayProcess, display, line, what string) {
	t.Helper()
	within(t, 30*time.Second, "the log saying "+line, func() bool {
		tray.running(t)
		mapped := windowMapped(t, display) // first: a window mapped now was logged before
		logged := strings.Contains(tray.stderr.String(), line)
		if mapped && !logged {
			t.Fatalf("%s", what)
		}
		return logged
	})
}

// loggedAt is the time of day of the first log line containing text (the console log's 15:04:05).
func loggedAt(t *testing.T, log, text string) time.Time {
	t.Helper()
	for line := range strings.Lines(log) {
		if !strings.Contains(line, text) {
			continue
		}
		at, err := time.Parse("15:04:05", strings.Fields(line)[0])
		if err != nil {
			t.Fatalf("no time at the start of the log line %q: %v", line, err)
		}
		return at
	}
	t.Fatalf("no log line says %q", text)
	return time.Time{}
}

func TestTrayWithoutTrayHostShowsWindow(t *testing.T) {
	netns.RequireIsolated(t)
	t.Parallel()
	session := trayhost.StartSession(t) // no panel: nobody owns org.kde.StatusNotifierWatcher
	env, _ := trayEnv(t, session, map[string]any{"notifications": false})
	tray := startTray(t, env)
	within(t, 30*time.Second, "the log saying it waits for a panel", func() bool {
		tray.running(t)
		return tray.logLines("no system tray yet; waiting") == 1
	})
	// It waits 20 s, as a panel that starts at login can take, and shows no window before it says so.
	shownOnlyAfterLogging(t, tray, session.Display, "showing a window instead",
		"a window was shown while the tray still waited for a panel")
	log := tray.stderr.String()
	if waited := loggedAt(t, log, "showing a window instead").Sub(loggedAt(t, log, "no system tray yet; waiting")); waited < 19*time.Second {
		t.Errorf("the tray waited %v for a panel before showing a window, want 20 s", waited)
	}
	if !strings.Contains(tray.stderr.String(), "AppIndicator") {
		t.Errorf("the log does not say what to install:\n%s", tray.stderr.String())
	}
	within(t, 15*time.Second, "the “Flamenco Tray” window on screen", func() bool {
		tray.running(t)
		return windowMapped(t, session.Display)
	})
	tray.running(t)
}

// At login the tray often starts before the panel, and a panel can restart: the item registers with
// each new host, and the window is on screen only while there is none (it was shown for good,
// beside the tray icon, when the panel came late).
func TestTrayFollowsAPanelThatComesLateGoesAndComesBack(t *testing.T) {
	netns.RequireIsolated(t)
	t.Parallel()
	session := trayhost.StartSession(t)
	env, _ := trayEnv(t, session, map[string]any{"notifications": false})
	tray := startTray(t, env)
	within(t, 30*time.Second, "the log saying it waits for a panel", func() bool {
		tray.running(t)
		return tray.logLines("no system tray yet; waiting") == 1
	})
	time.Sleep(2 * time.Second) // the panel comes late
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	panel := trayhost.NewPanel(t, session)
	itemCtx, itemCancel := context.WithTimeout(ctx, 15*time.Second)
	item, err := panel.WaitItem(itemCtx)
	itemCancel()
	if err != nil {
		t.Fatalf("the late panel: %v", err)
	}
	if _, err := item.WaitMenu(ctx, enabled("Quit")); err != nil {
		t.Fatalf("the menu in the late panel: %v", err)
	}
	// The panel came in time: no window, and none later (the 20 s wait is cancelled: on the fake
	// clock, app's TestTrayHostWatchShowsTheWindowOnlyWhileNoHostIsUp).
	within(t, 10*time.Second, "the log saying the tray is in the panel", func() bool {
		return tray.logLines("a system tray is here") == 1
	})
	if windowMapped(t, session.Display) || strings.Contains(tray.stderr.String(), "showing a window instead") {
		t.Fatal("a window was shown while the panel showed the item")
	}

	panel.Close() // the panel restarts, or is gone for good
	shownOnlyAfterLogging(t, tray, session.Display, "showing a window instead",
		"the window came back before the tray gave the panel time to come back")
	within(t, 15*time.Second, "the window on screen once the panel went", func() bool {
		tray.running(t)
		return windowMapped(t, session.Display)
	})

	again := trayhost.NewPanel(t, session)
	itemCtx, itemCancel = context.WithTimeout(ctx, 15*time.Second)
	item, err = again.WaitItem(itemCtx)
	itemCancel()
	if err != nil {
		t.Fatalf("the panel started again: %v", err)
	}
	if _, err := item.WaitMenu(ctx, enabled("Quit")); err != nil {
		t.Fatalf("the menu in the panel started again: %v", err)
	}
	within(t, 10*time.Second, "the window gone once a panel is back", func() bool {
		tray.running(t)
		return !windowMapped(t, session.Display)
	})
	if n := tray.logLines("a system tray is here"); n != 2 {
		t.Errorf("the log says %d times that a tray is here, want 2 (two panels)", n)
	}
	// The window shows again only when a panel is not back in time (on the fake clock, app's
	// TestTrayHostWatchShowsTheWindowOnlyWhileNoHostIsUp); here it was shown once, when the first
	// panel went.
	if n := tray.logLines("showing a window instead"); n != 1 {
		t.Errorf("the log says %d times that a window is shown, want 1", n)
	}
	tray.running(t)
}

// Under "C.UTF-8", the locale of containers and minimal systems, Fyne's initialisation printed
// "Fyne error: Error parsing user locale C" before every command's own output (internal/localeenv).
func TestCommandsPrintOnlyTheirOwnMessagesUnderCUTF8(t *testing.T) {
	bin := buildTray(t)
	env := append(withoutEnv(os.Environ(), "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"),
		"LANG=C.UTF-8", "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	for _, args := range [][]string{{"version"}, {"autostart", "status"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%v: %v\n%s", args, err, stderr.String())
		}
		if stderr.Len() != 0 || strings.Contains(string(out), "Fyne") {
			t.Errorf("%v printed more than its own message:\nstdout: %s\nstderr: %s", args, out, stderr.String())
		}
	}
}
