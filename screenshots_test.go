//go:build linux && screenshots

package main

// The screenshots of the README and docs/, taken of the real app in a real panel: flamenco-tray in Xfce's panel
// (xfce4-panel, its systray plugin hosting StatusNotifierItems) with xfwm4 and xfce4-notifyd on Xvfb,
// finding stand-in Managers over SSDP on a LAN of network namespaces. `make screenshots` installs
// what it needs and runs
//
//	go test -tags screenshots -run '^TestScreenshots$' -count 1 -v .
//
// which writes docs/screenshots/*.png. It is not part of `make test`: it needs Xfce, and it judges
// nothing but that every picture could be taken.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/trayhost"
)

const (
	screenshotDir = "docs/screenshots"
	// maxScreenshotBytes keeps the README and docs/ light: a picture over it fails the run.
	maxScreenshotBytes = 150 << 10
	// windowMargin is how much desktop is kept around a window's frame.
	windowMargin = 24
	// panelSize is the panel's height in the configuration below.
	panelSize = 28
)

// panelConfig is a top panel as Debian's Xfce has it, cut down to the applications menu, the task
// list and the notification area (the systray plugin, which hosts StatusNotifierItems): no clock, so
// that each run takes the same pictures.
const panelConfig = `<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="icon-size" type="uint" value="16"/>
      <property name="size" type="uint" value="28"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
        <value type="int" value="3"/>
        <value type="int" value="4"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="applicationsmenu"/>
    <property name="plugin-2" type="string" value="tasklist"/>
    <property name="plugin-3" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-4" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
`

func TestScreenshots(t *testing.T) {
	netns.RequireIsolated(t)
	requireTools(t, "xfce4-panel", "xfwm4", "xdotool", "xprop", "xwininfo", "import", "convert", "display", "optipng", "unshare", "mount")
	xfconfd := findXfceProgram(t, "xfconf/xfconfd", "xfconf, which xfce4-panel depends on")
	bin := buildPlainTray(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}

	managers, remote, remoteURL := startManagers(t)
	session := trayhost.StartSession(t)
	dir := shortTempDir(t)
	desk := startXfce(t, session, dir, xfconfd)
	tray := startTrayAsArtist(t, session, dir, bin, remoteURL)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// unshare and sh exec, so the tray keeps the pid started; fyne.io/systray names its item by it.
	item := trayhost.ConnectItem(t, session, fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", tray.cmd.Process.Pid), "/StatusNotifierItem")
	everyManager := all(enabled(managers[0]), enabled(managers[1]), enabled(managers[2]),
		enabled("Advertise “Desk Farm” on the LAN"), farmsShown(len(managers)))
	// With a Manager added by hand that answers, the tray does not search at start: search, as a
	// user would, to find the others.
	clickOnce(t, ctx, item, "Search again", enabled(managers[2]))
	settledCtx, cancelSettled := context.WithTimeout(ctx, 60*time.Second)
	if _, _, err := item.WaitSettled(settledCtx, settleFor, everyManager); err != nil {
		t.Fatalf("the tray did not list every Manager with its farm: %v", err)
	}
	cancelSettled()

	// (c) No panel yet: after waiting 20 s for one, the tray shows its window.
	fallback := desk.waitWindow(t, "Flamenco Tray", 40*time.Second)
	area, content := desk.aroundWindow(t, fallback)
	desk.save(t, "fallback-window.png", desk.settledShot(t, area, content))

	// The panel comes: the tray hides its window and shows its icon.
	icon, screen := desk.startPanel(t, ctx, session)

	// (a) The menu, as a click on the icon opens it, once the tray has not changed it for a while and
	// the rows of My jobs show their frames.
	settledCtx, cancelSettled = context.WithTimeout(ctx, 60*time.Second)
	_, layout, err := item.WaitSettled(settledCtx, settleFor, all(everyManager, framesShown(remote.jobs...)))
	cancelSettled()
	if err != nil {
		t.Fatalf("the tray menu did not settle with the frames of my jobs: %v", err)
	}
	center := icon.Min.Add(icon.Size().Div(2))
	desk.xdotool(t, "mousemove", strconv.Itoa(center.X), strconv.Itoa(center.Y), "click", "1")
	menu := desk.waitMenus(t, 1)[0]
	menuArea := image.Rect(screen.X-640, 0, screen.X, min(menu.Max.Y+windowMargin/2, screen.Y))
	desk.save(t, "tray-menu.png", desk.settledShot(t, menuArea, menu))
	// (e) In the same menu, My jobs of the Manager that has the actions, and its rendering job's.
	desk.shootJobMenu(t, layout, screen, "Remote Farm", remote.rendering)
	desk.closeMenus(t)
	// Away from the icon, so that no tooltip shows in the next pictures.
	desk.xdotool(t, "mousemove", strconv.Itoa(screen.X-1), strconv.Itoa(screen.Y-1))

	// (b) Settings… and (d) Add Manager by URL…, each clicked in the menu as the panel sends it.
	for _, shot := range []struct{ entry, window, file string }{
		{"Settings…", "Flamenco Tray Settings", "settings.png"},
		{"Add Manager by URL…", "Managers added by hand", "add-manager-by-url.png"},
	} {
		clickOnce(t, ctx, item, shot.entry, everyManager)
		w := desk.waitWindow(t, shot.window, 20*time.Second)
		area, content := desk.aroundWindow(t, w)
		desk.save(t, shot.file, desk.settledShot(t, area, content))
		// Closed as its title bar's close button does (xfwm4's Alt+F4), so the next one stands alone.
		desk.xdotool(t, "windowactivate", "--sync", w)
		desk.xdotool(t, "key", "--clearmodifiers", "alt+F4")
		desk.waitFor(t, shot.window+" to close", func() bool { return desk.visibleWindow("^"+regexp.QuoteMeta(shot.window)+"$") == "" })
	}
	// (f) The rendering job completes: its notification, with its last frame.
	desk.shootJobNotification(t, ctx, session, remote)
	tray.running(t)
}

// farmsShown holds when n farms are shown with their state ("Farm active · 3 awake"), not being
// asked for or unavailable.
func farmsShown(n int) func(trayhost.MenuNode) bool {
	return func(m trayhost.MenuNode) bool {
		shown := 0
		for _, label := range m.Labels() {
			label = strings.TrimSpace(label)
			if strings.HasPrefix(label, "Farm ") && !strings.Contains(label, "unavailable") {
				shown++
			}
		}
		return shown == n
	}
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run `make screenshots`, which installs what this needs", tool)
		}
	}
}

// startPanel starts Xfce's panel and waits until the tray has hidden its window and the panel shows
// its icon. It returns where the icon is, and the screen's size.
func (d *desktop) startPanel(t *testing.T, ctx context.Context, session *trayhost.Session) (icon image.Rectangle, screen image.Point) {
	t.Helper()
	d.start(t, "xfce4-panel")
	if err := session.WaitName(ctx, "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, "the tray to hide its window", func() bool { return d.visibleWindow("^Flamenco Tray$") == "" })
	screen = d.screenSize(t)
	d.waitFor(t, "the notification area to show the tray icon", func() bool {
		var ok bool
		icon, ok = d.pluginWindow(func(r image.Rectangle, kind string) bool { return r.Min.Y == 0 && r.Dy() <= panelSize+2 })
		return ok && d.iconDrawn(icon, screen)
	})
	return icon, screen
}

// startManagers starts the Managers of the pictures: two that advertise themselves on the LAN and
// one that only answers HTTP (added by hand, as over a VPN; a 3.8.5 one, whose jobs have every
// action), each with a farm where some jobs are the user's, and one on this computer at the default
// address. It returns the titles the menu shows them by, the one added by hand and its URL.
func startManagers(t *testing.T) (managers []string, remote *remoteFarm, remoteURL string) {
	t.Helper()
	users := []string{"artist", "maria", "tom"}
	lan := netns.NewLAN(t)
	lan.Attach(t, netns.Self(), netns.WithMulticastRoute())
	for i, name := range []string{"Studio Farm", "Lighting Farm"} {
		host := netns.NewHost(t)
		lan.Attach(t, host, netns.WithMulticastRoute())
		standin.Start(t, host, name, standin.WithFarm(farmstandin.Scale{Workers: 12 - 6*i, Jobs: 60, Users: users, Seed: uint64(i + 1)}))
	}
	remoteHost := netns.NewHost(t)
	remoteAddr := lan.Attach(t, remoteHost, netns.WithMulticastRoute())
	remote = serveRemoteFarm(t, remoteHost, users[1:])
	serveLocalManager(t, "Desk Farm")
	return []string{"Studio Farm — 3.3.1", "Lighting Farm — 3.3.1", "Remote Farm — 3.8.5"}, remote,
		fmt.Sprintf("http://%s:8080/", remoteAddr)
}

// startXfce starts Xfce's settings daemon and window manager on the session's display, and paints
// the desktop. The panel comes later.
func startXfce(t *testing.T, session *trayhost.Session, dir, xfconfd string) *desktop {
	t.Helper()
	desk := newDesktop(t, session, dir)
	// Xfce's settings daemon first: xfwm4 and the panel would otherwise have the bus start one.
	desk.start(t, xfconfd)
	waitCtx, cancelWait := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelWait()
	if err := session.WaitName(waitCtx, "org.xfce.Xfconf"); err != nil {
		t.Fatal(err)
	}
	// No compositor: it would paint the desktop black, and whether it starts on Xvfb varies.
	desk.start(t, "xfwm4", "--compositor=off")
	desk.waitFor(t, "xfwm4 to manage windows", func() bool {
		out, err := desk.run("xprop", "-root", "_NET_SUPPORTING_WM_CHECK")
		return err == nil && strings.Contains(out, "window id")
	})
	desk.paintBackground(t) // after xfwm4, which clears the root window to black as it starts
	return desk
}

// startTrayAsArtist starts the tray as the user "artist" would run it, with the Manager at
// remoteURL added by hand.
func startTrayAsArtist(t *testing.T, session *trayhost.Session, dir, bin, remoteURL string) *trayProcess {
	t.Helper()
	// The tray sees /home/artist (a private mount), so that paths in its windows read like a user's.
	trayHome := filepath.Join(dir, "home")
	// The user name is set as in Settings: the test runs as root.
	writePreferences(t, filepath.Join(trayHome, "artist"), map[string]any{
		"manualManagers": []string{remoteURL},
		"userName":       "artist",
	})
	// A flamenco-worker on PATH, as where Flamenco is installed, so that the menu offers to run a
	// Worker. Nothing here clicks that: were it run, it would say what it is and fail.
	workerDir := filepath.Join(trayHome, "artist", "bin")
	if err := os.MkdirAll(workerDir, 0o755); err != nil {
		t.Fatal(err)
	}
	workerScript := "#!/bin/sh\necho 'stand-in flamenco-worker of the screenshots: not a Worker' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(workerDir, "flamenco-worker"), []byte(workerScript), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), session.Env()...)
	env = append(env, "HOME=/home/artist", "XDG_CONFIG_HOME=/home/artist/.config", "XDG_CACHE_HOME=/home/artist/.cache",
		"XDG_DATA_HOME=/home/artist/.local/share", "LANG=C.UTF-8", "PATH=/home/artist/bin:"+os.Getenv("PATH"))
	return startTrayBinary(t, "unshare", env, "--mount", "--propagation", "private", "--",
		"sh", "-c", `mount --bind "$1" /home && shift && exec "$@"`, "sh", trayHome, bin)
}

// remoteFarm is the Manager added by hand: a Flamenco 3.8.5 stand-in (pause exists since 3.6) served
// from this process, so that the test can have the user's jobs render frames and end.
type remoteFarm struct {
	*farmstandin.Farm
	jobs      []string // the names of the user's jobs, newest first, as My jobs lists them
	rendering string   // the name of the one that renders
	renderID  string   // and its id
}

// serveRemoteFarm serves a Remote Farm on host at :8080: Workers and jobs of others, and three jobs
// of the user's, each with a frame (the captured render of a real Manager): one completed, one
// failed, one rendering.
func serveRemoteFarm(t *testing.T, host *netns.Host, others []string) *remoteFarm {
	t.Helper()
	farm := farmstandin.New("Remote Farm", farmstandin.WithVersion("3.8.5"))
	farm.Generate(farmstandin.Scale{Workers: 4, Jobs: 20, Users: others, Seed: 3})
	remote := &remoteFarm{Farm: farm}
	for _, j := range []struct {
		name, status string
		done         int
	}{{"shot-020 layout", "completed", 3}, {"shot-030 comp", "failed", 1}, {"shot-040 lighting", "active", 2}} {
		id := farm.SubmitJob(farmstandin.JobSpec{Name: j.name, User: "artist", Status: j.status, Steps: 3})
		if err := farm.SetJobProgress(id, j.done); err != nil {
			t.Fatal(err)
		}
		if err := farm.RenderFrame(id); err != nil {
			t.Fatal(err)
		}
		remote.jobs = append([]string{j.name}, remote.jobs...)
		remote.rendering, remote.renderID = j.name, id
		// My jobs lists the latest change first: a moment apart, these are listed in reverse.
		time.Sleep(10 * time.Millisecond)
	}
	var listener net.Listener
	if err := host.Do(func() (err error) { listener, err = net.Listen("tcp", ":8080"); return err }); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: farm.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(listener)
	t.Cleanup(func() { srv.Close() })
	return remote
}

// framesShown holds when the rows of these jobs in My jobs carry their frame as icon (dbusmenu's
// icon-data).
func framesShown(jobs ...string) func(trayhost.MenuNode) bool {
	return func(m trayhost.MenuNode) bool {
		for _, job := range jobs {
			row, ok := m.Find(job)
			if !ok {
				return false
			}
			if icon, _ := row.Props["icon-data"].Value().([]byte); len(icon) == 0 {
				return false
			}
		}
		return true
	}
}

// shootJobMenu opens, in the open tray menu, My jobs of the Manager whose title starts with manager
// and the submenu of its job named job, with the keyboard as a user can (GTK selects the next entry
// with Down and opens an entry's submenu with Right, selecting its first entry), and takes the
// three menus with the panel's corner.
func (d *desktop) shootJobMenu(t *testing.T, layout trayhost.MenuNode, screen image.Point, manager, job string) {
	t.Helper()
	toMyJobs, myJobs, err := downsTo(layout.Children, manager, "My jobs")
	if err != nil {
		t.Fatal(err)
	}
	toJob, _, err := downsTo(myJobs.Children, "", job)
	if err != nil {
		t.Fatal(err)
	}
	d.xdotool(t, append([]string{"key", "--delay", "50"}, repeat("Down", toMyJobs)...)...)
	d.xdotool(t, "key", "Right")
	d.waitMenus(t, 2)
	if toJob > 1 {
		d.xdotool(t, append([]string{"key", "--delay", "50"}, repeat("Down", toJob-1)...)...)
	}
	d.xdotool(t, "key", "Right")
	menus := d.waitMenus(t, 3)
	var all image.Rectangle
	for _, m := range menus {
		all = all.Union(m)
	}
	area := image.Rect(all.Min.X-windowMargin, 0, screen.X, min(all.Max.Y+windowMargin/2, screen.Y))
	// The job's submenu opens last, leftmost: the picture is taken once it is drawn.
	jobMenu := menus[0]
	for _, m := range menus {
		if m.Min.X < jobMenu.Min.X {
			jobMenu = m
		}
	}
	d.save(t, "my-jobs-menu.png", d.settledShot(t, area.Intersect(image.Rectangle{Max: screen}), jobMenu))
}

// downsTo is how many presses of Down select, in a GTK menu of entries where nothing is selected
// yet, the first entry labelled with label after the one labelled with after: GTK's keyboard skips
// separators and disabled and hidden entries.
func downsTo(entries []trayhost.MenuNode, after, label string) (int, trayhost.MenuNode, error) {
	downs, seen := 0, after == ""
	for _, n := range entries {
		if !n.Visible || !n.Enabled || n.Type == "separator" || n.Label == "" {
			continue
		}
		downs++
		if seen && strings.Contains(n.Label, label) {
			return downs, n, nil
		}
		seen = seen || strings.Contains(n.Label, after)
	}
	return 0, trayhost.MenuNode{}, fmt.Errorf("no entry %q after %q in the menu", label, after)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// waitMenus waits until n of the panel's menus are open (the tray menu and its open submenus) and
// returns where they are.
func (d *desktop) waitMenus(t *testing.T, n int) []image.Rectangle {
	t.Helper()
	var menus []image.Rectangle
	d.waitFor(t, fmt.Sprintf("%d menus to be open", n), func() bool {
		menus = d.pluginWindows(isPopupMenu)
		return len(menus) == n
	})
	return menus
}

// closeMenus closes the panel's open menus with Escape, as many times as it takes.
func (d *desktop) closeMenus(t *testing.T) {
	t.Helper()
	d.waitFor(t, "the tray menu to close", func() bool {
		if len(d.pluginWindows(isPopupMenu)) == 0 {
			return true
		}
		d.xdotool(t, "key", "Escape")
		time.Sleep(200 * time.Millisecond)
		return false
	})
}

func isPopupMenu(_ image.Rectangle, kind string) bool {
	return strings.Contains(kind, "_NET_WM_WINDOW_TYPE_POPUP_MENU")
}

// shootJobNotification starts Xfce's notification daemon, has the rendering job of the Remote Farm
// render a last frame and complete, and takes the notification the tray sends of it.
func (d *desktop) shootJobNotification(t *testing.T, ctx context.Context, session *trayhost.Session, remote *remoteFarm) {
	t.Helper()
	d.start(t, findXfceProgram(t, "notifyd/xfce4-notifyd", "xfce4-notifyd"))
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := session.WaitName(waitCtx, "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if err := remote.RenderFrame(remote.renderID); err != nil {
		t.Fatal(err)
	}
	if err := remote.SetJobStatus(remote.renderID, "completed", "all tasks completed"); err != nil {
		t.Fatal(err)
	}
	var bubble string
	d.waitFor(t, "the notification of the job's end", func() bool {
		out, err := d.run("xdotool", "search", "--onlyvisible", "--class", "xfce4-notifyd")
		bubble = strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
		return err == nil && bubble != ""
	})
	area, content := d.aroundWindow(t, bubble)
	d.save(t, "job-notification.png", d.settledShot(t, area, content))
}

// buildPlainTray builds flamenco-tray without -race: the pictures need no race checks, and the
// plain build starts and draws as a user's does.
func buildPlainTray(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flamenco-tray")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	// Inside the test's namespace there is no network: modules come from the cache only.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// findXfceProgram finds a program of Xfce's that Debian keeps under the multiarch directory
// (/usr/lib/<triplet>/xfce4/<name>), such as its settings daemon or notification daemon. The test
// starts these itself rather than letting the bus activate them, so that they are the test's to stop.
func findXfceProgram(t *testing.T, name, pkg string) string {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join("/usr/lib/*/xfce4", name))
	if len(found) == 0 {
		t.Fatalf("%s is not installed (Debian: %s): run `make screenshots`", filepath.Base(name), pkg)
	}
	return found[0]
}

// serveLocalManager answers as the Manager on this computer at the tray's default address,
// http://localhost:8080/, until the test ends.
func serveLocalManager(t *testing.T, name string) {
	t.Helper()
	listener, err := net.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: standin.Handler(name), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(listener)
	t.Cleanup(func() { srv.Close() })
}

// shortTempDir is a temporary directory with a short path, removed at cleanup.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// writePreferences writes the tray's Fyne preferences under home.
func writePreferences(t *testing.T, home string, prefs map[string]any) {
	t.Helper()
	prefDir := filepath.Join(home, ".config", "fyne", app.ID)
	if err := os.MkdirAll(prefDir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(prefs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefDir, "preferences.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// desktop is the X session the pictures are taken of, and the Xfce programs the test runs on it.
type desktop struct {
	dir string
	env []string // for the desktop's own programs: a home with the panel's configuration
	// background is a picture of the bare desktop, taken by paintBackground.
	background *image.RGBA
}

func newDesktop(t *testing.T, session *trayhost.Session, dir string) *desktop {
	t.Helper()
	home := filepath.Join(dir, "desk")
	channels := filepath.Join(home, ".config", "xfce4", "xfconf", "xfce-perchannel-xml")
	if err := os.MkdirAll(channels, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(channels, "xfce4-panel.xml"), []byte(panelConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	runtimeDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), session.Env()...)
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_RUNTIME_DIR="+runtimeDir, "LANG=C.UTF-8",
		// No accessibility bus: GTK would start one the test does not own.
		"NO_AT_BRIDGE=1", "GTK_A11Y=none")
	// Whatever the bus starts on demand gets the same home, never the user's running the test.
	conn, err := dbus.Connect(session.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	activation := map[string]string{}
	for _, kv := range env[len(os.Environ()):] {
		k, v, _ := strings.Cut(kv, "=")
		activation[k] = v
	}
	if err := conn.BusObject().Call("org.freedesktop.DBus.UpdateActivationEnvironment", 0, activation).Err; err != nil {
		t.Fatalf("setting the session bus's activation environment: %v", err)
	}
	return &desktop{dir: dir, env: env}
}

// start runs prog on the desktop until the test ends, then stops it (SIGTERM, then SIGKILL).
func (d *desktop) start(t *testing.T, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = d.env
	out := &testio.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Dies with the test binary even if that is killed before its cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", prog, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(prog), out)
		}
	})
}

// run runs an X client to its end and returns its output.
func (d *desktop) run(prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = d.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

func (d *desktop) xdotool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.run("xdotool", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond until it holds, failing the test after 30 s with what was awaited.
func (d *desktop) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	within(t, 30*time.Second, "waiting for "+what, cond)
}

// paintBackground gives the root window a plain gradient instead of X's black, and keeps a picture
// of the bare desktop.
func (d *desktop) paintBackground(t *testing.T) {
	t.Helper()
	size := d.screenSize(t)
	bg := filepath.Join(d.dir, "background.png")
	if _, err := d.run("convert", "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "gradient:#6b8fb3-#2c3e55", bg); err != nil {
		t.Fatal(err)
	}
	// ImageMagick 6's display exits 1 even when it has set the background: what counts is the screen.
	displayErr := func() error { _, err := d.run("display", "-window", "root", bg); return err }()
	screen, err := d.capture()
	if err != nil {
		t.Fatal(err)
	}
	if c := screen.RGBAAt(0, size.Y-1); c.R == 0 && c.G == 0 && c.B == 0 {
		t.Fatalf("the desktop background was not set (display: %v)", displayErr)
	}
	d.background = screen
}

func (d *desktop) screenSize(t *testing.T) image.Point {
	t.Helper()
	out := d.xdotool(t, "getdisplaygeometry")
	var p image.Point
	if _, err := fmt.Sscan(out, &p.X, &p.Y); err != nil {
		t.Fatalf("xdotool getdisplaygeometry printed %q: %v", out, err)
	}
	return p
}

// visibleWindow returns the id of a mapped window whose title matches the regular expression, or "".
func (d *desktop) visibleWindow(title string) string {
	out, err := d.run("xdotool", "search", "--onlyvisible", "--name", title)
	if err != nil {
		return "" // xdotool search fails when nothing matches
	}
	return strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
}

// waitWindow waits until a window titled exactly title is mapped and returns its id.
func (d *desktop) waitWindow(t *testing.T, title string, timeout time.Duration) string {
	t.Helper()
	var id string
	within(t, timeout, "waiting for the window "+title, func() bool {
		id = d.visibleWindow("^" + regexp.QuoteMeta(title) + "$")
		return id != ""
	})
	return id
}

// geometry returns where window id is on the screen, from xwininfo: xdotool's getwindowgeometry
// is off by the frame for windows a window manager has reparented.
func (d *desktop) geometry(id string) (image.Rectangle, error) {
	out, err := d.run("xwininfo", "-id", id)
	if err != nil {
		return image.Rectangle{}, err
	}
	v := map[string]int{}
	for line := range strings.Lines(out) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if n, err := strconv.Atoi(strings.TrimSpace(value)); ok && err == nil {
			v[key] = n
		}
	}
	x, y := v["Absolute upper-left X"], v["Absolute upper-left Y"]
	if v["Width"] == 0 || v["Height"] == 0 {
		return image.Rectangle{}, fmt.Errorf("xwininfo -id %s printed no size:\n%s", id, out)
	}
	return image.Rect(x, y, x+v["Width"], y+v["Height"]), nil
}

// pluginWindow finds a mapped window of the panel's external plugins (the systray plugin runs in
// wrapper-2.0) whose geometry and _NET_WM_WINDOW_TYPE are as wanted: the notification area in the
// panel, or its open menu (not its tooltip).
func (d *desktop) pluginWindow(want func(r image.Rectangle, kind string) bool) (image.Rectangle, bool) {
	found := d.pluginWindows(want)
	if len(found) == 0 {
		return image.Rectangle{}, false
	}
	return found[0], true
}

// pluginWindows finds every such window.
func (d *desktop) pluginWindows(want func(r image.Rectangle, kind string) bool) []image.Rectangle {
	out, err := d.run("xdotool", "search", "--onlyvisible", "--class", "wrapper-2.0")
	if err != nil {
		return nil
	}
	var found []image.Rectangle
	for _, id := range strings.Fields(out) {
		r, err := d.geometry(id)
		// Off-screen windows are the plugin's own bookkeeping.
		if err != nil || r.Min.X < 0 || r.Min.Y < 0 || r.Dx() <= 1 || r.Dy() <= 1 {
			continue
		}
		kind, _ := d.run("xprop", "-id", id, "_NET_WM_WINDOW_TYPE")
		if want(r, kind) {
			found = append(found, r)
		}
	}
	return found
}

// iconDrawn reports whether the notification area at icon shows more than the panel's own colour
// (taken in the middle of the screen, where the panel has only its expanding separator): the
// plugin's window is there before the icon is.
func (d *desktop) iconDrawn(icon image.Rectangle, screen image.Point) bool {
	shot, err := d.capture()
	if err != nil {
		return false
	}
	panel := shot.RGBAAt(screen.X/2, panelSize/2)
	for y := icon.Min.Y; y < icon.Max.Y; y++ {
		for x := icon.Min.X; x < icon.Max.X; x++ {
			if shot.RGBAAt(x, y) != panel {
				return true
			}
		}
	}
	return false
}

// aroundWindow is window id with its frame (from xfwm4's _NET_FRAME_EXTENTS) and a margin of
// desktop, within the screen, and the window itself, which must be drawn before the picture is taken.
func (d *desktop) aroundWindow(t *testing.T, id string) (area, content image.Rectangle) {
	t.Helper()
	content, err := d.geometry(id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.run("xprop", "-id", id, "_NET_FRAME_EXTENTS")
	if err != nil {
		t.Fatal(err)
	}
	var left, right, top, bottom int
	if _, value, ok := strings.Cut(out, "="); ok {
		fmt.Sscanf(strings.TrimSpace(value), "%d, %d, %d, %d", &left, &right, &top, &bottom)
	}
	area = image.Rect(content.Min.X-left, content.Min.Y-top, content.Max.X+right, content.Max.Y+bottom).Inset(-windowMargin)
	return area.Intersect(d.background.Rect), content
}

// capture grabs the screen. import's -screen reads it as shown: without it, import reads each
// window apart and places the GL windows Fyne draws in wrongly.
func (d *desktop) capture() (*image.RGBA, error) {
	cmd := exec.Command("import", "-screen", "-window", "root", "png:-")
	cmd.Env = d.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("import: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	decoded, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("decoding import's picture: %w", err)
	}
	screen := image.NewRGBA(decoded.Bounds())
	draw.Draw(screen, screen.Bounds(), decoded, decoded.Bounds().Min, draw.Src)
	return screen, nil
}

// crop copies area of img into a picture of its own.
func crop(img *image.RGBA, area image.Rectangle) *image.RGBA {
	out := image.NewRGBA(image.Rectangle{Max: area.Size()})
	draw.Draw(out, out.Bounds(), img, area.Min, draw.Src)
	return out
}

// settledShot captures area once content (a window or menu in it) is drawn and nothing changes any
// more: content is not bare desktop, and two captures a quarter second apart are the same. (A
// window just mapped stays blank a moment, and would otherwise pass for settled.)
func (d *desktop) settledShot(t *testing.T, area, content image.Rectangle) *image.RGBA {
	t.Helper()
	var last *image.RGBA
	var err error
	within(t, 20*time.Second, fmt.Sprintf("the screen at %v to settle", area), func() bool {
		var screen *image.RGBA
		if screen, err = d.capture(); err != nil {
			return false
		}
		shot := crop(screen, area)
		same := last != nil && bytes.Equal(last.Pix, shot.Pix)
		last = shot
		if same && !bytes.Equal(crop(screen, content).Pix, crop(d.background, content).Pix) {
			return true
		}
		time.Sleep(250 * time.Millisecond)
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// save writes shot to docs/screenshots/name, compressed by optipng, and fails the test if it is
// still too large for the README and docs/.
func (d *desktop) save(t *testing.T, name string, shot *image.RGBA) {
	t.Helper()
	path := filepath.Join(screenshotDir, name)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, shot); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("optipng", "-quiet", "-o2", "-strip", "all", path).CombinedOutput(); err != nil {
		t.Fatalf("optipng %s: %v: %s", path, err, out)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > maxScreenshotBytes {
		t.Errorf("%s is %d KB, over the %d KB a picture of the docs may take", path, info.Size()>>10, maxScreenshotBytes>>10)
	}
	t.Logf("%s: %dx%d, %d KB", path, shot.Rect.Dx(), shot.Rect.Dy(), info.Size()>>10)
}
