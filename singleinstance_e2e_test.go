//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

// registrations counts the StatusNotifierItemRegistered signals on a session's bus: every item a
// panel ever showed, including one whose process has exited since.
type registrations struct {
	mu  sync.Mutex
	ids []string
}

func watchRegistrations(t *testing.T, session *trayhost.Session) *registrations {
	t.Helper()
	conn, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(trayhost.WatcherInterface),
		dbus.WithMatchMember("StatusNotifierItemRegistered")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	r := &registrations{}
	go func() {
		for sig := range signals {
			if id, ok := sig.Body[0].(string); ok && len(sig.Body) == 1 {
				r.mu.Lock()
				r.ids = append(r.ids, id)
				r.mu.Unlock()
			}
		}
	}()
	return r
}

func (r *registrations) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ids)
}

func envValue(env []string, name string) string {
	for _, kv := range slices.Backward(env) {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

// launchAgain runs the tray binary to its end, as a second launch does, and returns how long it
// took, its exit code and output. Its race reports are judged like the running tray's.
func launchAgain(t *testing.T, bin string, env []string) (took time.Duration, code int, output string) {
	t.Helper()
	raceLog := filepath.Join(t.TempDir(), "race")
	t.Cleanup(func() { checkRaceReports(t, raceLog) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	// atexit_sleep_ms=0: the race runtime otherwise waits a second before exiting 0.
	cmd.Env = append(slices.Clone(env), "GORACE=exitcode=0 atexit_sleep_ms=0 log_path="+raceLog)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took = time.Since(start)
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("second launch: %v\n%s", err, out)
	}
	return took, code, string(out)
}

// The second launch of the tray in one session hands over to the first and exits; the first shows
// itself, keeps its log, and after it was killed (SIGKILL: nothing cleaned up) the next launch starts.
func TestTraySecondLaunchHandsOverToTheFirst(t *testing.T) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t)
	registered := watchRegistrations(t, session)
	panel := trayhost.NewPanel(t, session)
	notifications := trayhost.NewNotifications(t, session)
	// Notifications about Managers off: the one that answers a second launch is shown all the same.
	env, _ := trayEnv(t, session, map[string]any{"notifications": false})
	bin := buildTray(t)

	// A log over the 5 MB limit from an earlier run: the tray that runs rotates it at start.
	logDir := filepath.Join(envValue(env, "XDG_CACHE_HOME"), "flamenco-tray")
	logPath := filepath.Join(logDir, "flamenco-tray.log")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	earlier := bytes.Repeat([]byte("12:00:00 INF a line from an earlier run\n"), 6<<20/41+1)
	if err := os.WriteFile(logPath, earlier, 0o644); err != nil {
		t.Fatal(err)
	}

	// A hung first tray (here: a connection that holds the name and answers nothing) is neither
	// joined by a second copy nor waited for; nothing touches its log.
	holder, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := holder.RequestName("org.flamenco.tray", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("holding the name: %v %v", reply, err)
	}
	took, code, output := launchAgain(t, bin, env)
	t.Logf("with the name held by a tray that does not answer: exit %d after %v", code, took.Round(time.Millisecond))
	if code != 1 || !strings.Contains(output, "already running in this session but does not answer") {
		t.Errorf("with the name held by a tray that does not answer: exit %d after %v, output:\n%s", code, took, output)
	}
	if got, _ := os.ReadFile(logPath); !bytes.Equal(got, earlier) {
		t.Errorf("a launch that did not run the tray changed the log (%d bytes, want %d)", len(got), len(earlier))
	}
	holder.Close()

	first := startTrayBinary(t, bin, env, "--debug")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	waitCtx, done := context.WithTimeout(ctx, 60*time.Second)
	item, err := panel.WaitItem(waitCtx)
	done()
	if err != nil {
		t.Fatalf("the first tray never registered with the panel: %v", err)
	}
	if got, _ := os.ReadFile(logPath + ".1"); !bytes.Equal(got, earlier) {
		t.Errorf("flamenco-tray.log.1 holds %d bytes, want the earlier run's %d", len(got), len(earlier))
	}
	if info, err := os.Stat(logPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the log file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	// The running tray's log grows past the limit (as after a long run; the tray's own lines go on
	// being appended around this write).
	padding := bytes.Repeat([]byte("12:00:01 DBG a line the running tray wrote\n"), 6<<20/43+1)
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(padding); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}

	// The second launch: exits 0 at once, after asking the first to show itself.
	took, code, output = launchAgain(t, bin, env)
	t.Logf("the second launch exited %d after %v:\n%s", code, took.Round(time.Millisecond), output)
	if code != 0 || !strings.Contains(output, "already running") {
		t.Errorf("second launch: exit %d, output:\n%s", code, output)
	}
	if took > time.Second {
		t.Errorf("the second launch took %v to exit, want under a second", took)
	}
	waitCtx, done = context.WithTimeout(ctx, 10*time.Second)
	_, err = notifications.Wait(waitCtx, func(ns []trayhost.Notification) bool {
		return slices.ContainsFunc(ns, func(n trayhost.Notification) bool { return n.Summary == "Flamenco Tray is already running" })
	})
	done()
	if err != nil {
		t.Errorf("the first tray did not show itself: %v", err)
	}
	first.running(t)
	if ids := registered.all(); len(ids) != 1 || len(panel.Items()) != 1 || panel.Items()[0] != item {
		t.Errorf("items registered with the panel: %q (now %d); want the first tray's only", ids, len(panel.Items()))
	}
	// Its log: not truncated, not rotated, nothing of the second launch's in it.
	after, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, before) {
		t.Errorf("the running tray's log changed under it: %d bytes before the second launch, %d after, prefix kept: %v",
			len(before), len(after), bytes.HasPrefix(after, before[:min(len(before), len(after))]))
	}
	if n := bytes.Count(after, []byte("Flamenco Tray starting")); n != 1 {
		t.Errorf("%d launches wrote “Flamenco Tray starting” to the log, want the first only", n)
	}
	if got, _ := os.ReadFile(logPath + ".1"); !bytes.Equal(got, earlier) {
		t.Errorf("flamenco-tray.log.1 was replaced under the running tray (%d bytes)", len(got))
	}

	// A first tray killed outright leaves its name, lock or socket to nobody: the next one starts.
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	waitCtx, done = context.WithTimeout(ctx, 10*time.Second)
	err = panel.WaitGone(waitCtx, item)
	done()
	if err != nil {
		t.Fatal(err)
	}
	third := startTrayBinary(t, bin, env)
	waitCtx, done = context.WithTimeout(ctx, 60*time.Second)
	next, err := panel.WaitItem(waitCtx)
	done()
	if err != nil {
		t.Fatalf("after the first was killed, the next launch never registered: %v\n%s", err, third.stderr.String())
	}
	third.running(t)
	if next == item || strings.Contains(third.stderr.String(), "already running") {
		t.Errorf("the launch after the kill did not start a tray of its own:\n%s", third.stderr.String())
	}
	// It took the log over: the killed tray's, over the limit, is now flamenco-tray.log.1, whole.
	if got, _ := os.ReadFile(logPath + ".1"); !bytes.HasPrefix(got, after) {
		t.Errorf("the killed tray's log (%d bytes) is not flamenco-tray.log.1 (%d bytes)", len(after), len(got))
	}
}

// Without a tray host the tray is a window: a second launch brings that window forward and says so.
// (The test cannot hide the window first: it checks the window stays up and the notification says
// where the tray is.)
func TestTrayWithoutTrayHostSecondLaunchShowsTheWindow(t *testing.T) {
	netns.RequireIsolated(t)
	session := trayhost.StartSession(t) // no panel: nobody owns org.kde.StatusNotifierWatcher
	notifications := trayhost.NewNotifications(t, session)
	env, _ := trayEnv(t, session, map[string]any{"notifications": false})
	bin := buildTray(t)
	first := startTrayBinary(t, bin, env)
	viewable := func() bool {
		out, _ := exec.Command("xwininfo", "-name", "Flamenco Tray", "-display", session.Display).Output()
		return strings.Contains(string(out), "IsViewable")
	}
	within(t, 30*time.Second, "the “Flamenco Tray” window", func() bool { first.running(t); return viewable() })

	took, code, output := launchAgain(t, bin, env)
	t.Logf("the second launch exited %d after %v", code, took.Round(time.Millisecond))
	if code != 0 {
		t.Errorf("second launch: exit %d, output:\n%s", code, output)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := notifications.Wait(ctx, func(ns []trayhost.Notification) bool {
		return slices.ContainsFunc(ns, func(n trayhost.Notification) bool {
			return n.Summary == "Flamenco Tray is already running" && n.Body == "Its window is open."
		})
	}); err != nil {
		t.Error(err)
	}
	first.running(t)
	if !viewable() {
		t.Error("the window is gone after a second launch")
	}
}
