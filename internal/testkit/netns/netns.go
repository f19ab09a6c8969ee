//go:build linux

// Package netns gives tests private, throw-away network namespaces to open
// SSDP (multicast) sockets in, and refuses to let such tests run anywhere
// their traffic could leave the machine.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { netns.Main(m) }
//
// which moves the whole test binary into a fresh network namespace when it
// is not in one already. Tests then build a small topology:
//
//	lan := netns.NewLAN(t)
//	a, b := netns.NewHost(t), netns.NewHost(t)
//	lan.Attach(t, a, netns.WithMulticastRoute())
//	lan.Attach(t, b, netns.WithMulticastRoute())
//	err := a.Do(func() error { /* open sockets here */ return nil })
//
// Every test that opens an SSDP socket must call RequireIsolated (NewHost,
// NewLAN and Attach do) or open it through Host.Do, which checks the target
// namespace first.
package netns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// IfacePrefix starts the name of every interface the harness creates.
// CheckIsolated trusts only interfaces carrying it.
const IfacePrefix = "ftv"

// NsPrefix starts the name of every network namespace the harness creates:
// NsPrefix + pid + "-" + counter, so stale ones can be told apart by pid.
const NsPrefix = "ft-"

// reexecEnv marks the child started by Main under `unshare --net`, so that
// it never re-executes itself again.
const reexecEnv = "FLAMENCO_TRAY_NETNS_REEXEC"

var (
	reasonMu sync.Mutex
	// reason says why Main could not isolate this process; "" if it could
	// or Main was not called (RequireIsolated then checks on its own).
	reason string
	// couldNotIsolate: Main could not make a namespace at all (as opposed
	// to making one that is not isolated), so tests may skip.
	couldNotIsolate bool
)

func setReason(r string) {
	reasonMu.Lock()
	reason = r
	reasonMu.Unlock()
}

func mainReason() string {
	reasonMu.Lock()
	defer reasonMu.Unlock()
	return reason
}

// Main runs the tests of a package; call it from TestMain.
//
// If the process's network namespace is already isolated (see CheckIsolated),
// it prepares loopback for multicast and runs the tests. Otherwise, as root
// with unshare available, it re-executes the test binary under
// `unshare --net` and exits with the child's status. Failing that, it runs
// the tests anyway so pure unit tests still pass, but every RequireIsolated
// fails with the reason.
func Main(m *testing.M) {
	removeStaleNamespaces()

	if CheckIsolated() == nil {
		if err := setupLoopback(""); err != nil {
			// Not fatal: tests that need multicast on lo will say so.
			fmt.Fprintf(os.Stderr, "netns: warning: %v\n", err)
		}
		os.Exit(runTests(m))
	}

	switch {
	case os.Getenv(reexecEnv) != "":
		setReason("it was re-executed under `unshare --net` but the namespace is still not isolated")
	case os.Geteuid() != 0:
		couldNotIsolate = true
		setReason("not running as root, so the test binary could not move itself into a private network namespace")
	default:
		unshare, lerr := exec.LookPath("unshare")
		if lerr != nil {
			couldNotIsolate = true
			setReason("unshare is not on PATH, so the test binary could not move itself into a private network namespace")
			break
		}
		// Probe first: a failing unshare in the real re-exec would look
		// like a failed test run and hide the cause.
		if out, perr := exec.Command(unshare, "--net", "--", "true").CombinedOutput(); perr != nil {
			couldNotIsolate = true
			setReason(fmt.Sprintf("`unshare --net` does not work here (%v: %s)", perr, bytes.TrimSpace(out)))
			break
		}
		os.Exit(reexec(unshare))
	}
	os.Exit(runTests(m))
}

var (
	atExitMu sync.Mutex
	atExit   []func()
)

// AtExit registers fn to run after the tests, before Main ends the process (Main calls os.Exit, so a
// TestMain that calls it cannot clean up after it).
func AtExit(fn func()) {
	atExitMu.Lock()
	defer atExitMu.Unlock()
	atExit = append(atExit, fn)
}

// runTests runs the tests, then what was registered with AtExit, and returns the exit code.
func runTests(m *testing.M) int {
	code := m.Run()
	atExitMu.Lock()
	defer atExitMu.Unlock()
	for _, fn := range atExit {
		fn()
	}
	return code
}

// reexec runs this test binary again under `unshare --net` and returns the
// exit code to leave with.
func reexec(unshare string) int {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.Command(unshare, append([]string{"--net", "--", exe}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), reexecEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "netns: re-executing under unshare: %v\n", err)
		return 1
	}
	go func() {
		// unshare execs the binary without forking, so this reaches the tests.
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netns: waiting for re-executed tests: %v\n", err)
		return 1
	}
	return 0
}

// setupLoopback brings lo up with multicast and routes multicast to it, so
// SSDP sockets in a namespace without a LAN still work, locally.
func setupLoopback(ns string) error {
	if out, err := runIP(ns, "link", "set", "lo", "up", "multicast", "on"); err != nil {
		return fmt.Errorf("ip link set lo up multicast on: %v: %s", err, out)
	}
	if out, err := runIP(ns, "route", "add", "224.0.0.0/4", "dev", "lo"); err != nil && !bytes.Contains(out, []byte("File exists")) {
		return fmt.Errorf("ip route add 224.0.0.0/4 dev lo: %v: %s", err, out)
	}
	return nil
}

var staleName = regexp.MustCompile(`^` + regexp.QuoteMeta(NsPrefix) + `([0-9]+)-[0-9]+$`)

// removeStaleNamespaces deletes namespaces left behind by test processes
// that died before their cleanups ran. /run/netns is shared with the host,
// so they would otherwise pile up across runs.
func removeStaleNamespaces() {
	if os.Geteuid() != 0 {
		return
	}
	out, err := exec.Command("ip", "-j", "netns", "list").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return
	}
	var list []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(out, &list) != nil {
		return
	}
	for _, ns := range list {
		m := staleName.FindStringSubmatch(ns.Name)
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		_ = exec.Command("ip", "netns", "del", ns.Name).Run()
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// runIP runs `ip [-n ns] args...` and returns its combined output.
func runIP(ns string, args ...string) ([]byte, error) {
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	return exec.Command("ip", args...).CombinedOutput()
}

// ipJSON runs `ip [-n ns] -j args...` and decodes its output into v.
func ipJSON(ns string, v any, args ...string) error {
	full := append([]string{"-j"}, args...)
	if ns != "" {
		full = append([]string{"-n", ns}, full...)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("ip", full...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(full, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil // some ip versions print nothing for an empty list
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("ip %s: decoding output: %v", strings.Join(full, " "), err)
	}
	return nil
}

// CheckIsolated returns nil only if SSDP traffic from the calling process's
// network namespace cannot leave the machine: every interface is lo or a
// harness veth/bridge (named IfacePrefix...), and every default route, in
// any table and either IP family, goes through a harness interface.
//
// It inspects the namespace by running `ip`, so call it from an ordinary
// goroutine, not from inside Host.Do.
func CheckIsolated() error {
	return checkIsolatedIn("")
}

type ipLink struct {
	Name     string `json:"ifname"`
	LinkInfo *struct {
		Kind string `json:"info_kind"`
	} `json:"linkinfo"`
}

type ipRoute struct {
	Type     string `json:"type"`
	Dst      string `json:"dst"`
	Dev      string `json:"dev"`
	Table    string `json:"table"`
	Nexthops []struct {
		Dev string `json:"dev"`
	} `json:"nexthops"`
}

// checkIsolatedIn is CheckIsolated for the named namespace ("" = our own).
func checkIsolatedIn(ns string) error {
	where := "this test process's network namespace"
	if ns != "" {
		where = fmt.Sprintf("network namespace %q", ns)
	}
	var problems []string

	var links []ipLink
	if err := ipJSON(ns, &links, "-d", "link", "show"); err != nil {
		problems = append(problems, "cannot list interfaces: "+err.Error())
	}
	for _, l := range links {
		kind := ""
		if l.LinkInfo != nil {
			kind = l.LinkInfo.Kind
		}
		if l.Name == "lo" || (strings.HasPrefix(l.Name, IfacePrefix) && (kind == "veth" || kind == "bridge")) {
			continue
		}
		if kind == "" {
			kind = "physical/unknown"
		}
		problems = append(problems, fmt.Sprintf("interface %s (kind %s) is neither lo nor a harness veth/bridge named %s*", l.Name, kind, IfacePrefix))
	}

	for _, family := range []string{"-4", "-6"} {
		var routes []ipRoute
		if err := ipJSON(ns, &routes, family, "route", "show", "table", "all"); err != nil {
			problems = append(problems, "cannot list routes: "+err.Error())
			continue
		}
		for _, r := range routes {
			if p := checkDefaultRoute(family, r); p != "" {
				problems = append(problems, p)
			}
		}
	}

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("netns: SSDP test refused: traffic could leave the machine from %s:\n  - %s\nRun the tests with `make test`, which runs them under `unshare -n`.",
		where, strings.Join(problems, "\n  - "))
}

// checkDefaultRoute describes what is wrong with r, or returns "" if r is
// not a default route or only leads into the harness.
func checkDefaultRoute(family string, r ipRoute) string {
	if r.Dst != "default" && r.Dst != "0.0.0.0/0" && r.Dst != "::/0" {
		return ""
	}
	switch r.Type {
	case "blackhole", "unreachable", "prohibit", "throw":
		return "" // drops traffic instead of sending it anywhere
	}
	table := r.Table
	if table == "" {
		table = "main"
	}
	devs := []string{}
	if r.Dev != "" {
		devs = append(devs, r.Dev)
	}
	for _, nh := range r.Nexthops {
		devs = append(devs, nh.Dev)
	}
	if len(devs) == 0 {
		return fmt.Sprintf("default route (IPv%s, table %s) has no device to check", family[1:], table)
	}
	for _, d := range devs {
		if !strings.HasPrefix(d, IfacePrefix) {
			return fmt.Sprintf("default route (IPv%s, table %s) goes through %s, not a harness interface %s*", family[1:], table, d, IfacePrefix)
		}
	}
	return ""
}

// isolationError is what RequireIsolated and Host.Do refuse with: Main's
// recorded reason for the process's own namespace, else a fresh check.
func isolationError(ns string) error {
	err := checkIsolatedIn(ns)
	if ns == "" {
		if r := mainReason(); r != "" {
			if err == nil {
				// Isolated now, but not by us; trust only what Main set up.
				return fmt.Errorf("netns: SSDP test refused: netns.Main could not isolate the tests: %s", r)
			}
			return fmt.Errorf("%w\n(netns.Main could not isolate the tests: %s)", err, r)
		}
	}
	return err
}

// RequireIsolated fails the test (tb.Fatalf) unless the test process's
// network namespace is isolated. Call it before opening any SSDP socket.
//
// Where the run could not make a namespace at all (an ordinary user's
// `go test ./...`: not root, or no working unshare) the test is skipped with
// one line saying why instead, unless the run must isolate: under CI
// (CI=true) and `make test` (FLAMENCO_TRAY_REQUIRE_ISOLATION=1) it fails.
// A namespace that was made but could let traffic out always fails.
func RequireIsolated(tb testing.TB) {
	tb.Helper()
	err := isolationError("")
	if err == nil {
		return
	}
	if reason := mainReason(); reason != "" && couldNotIsolate && !MustIsolate() {
		tb.Skipf("needs a private network namespace for SSDP, and %s (run as root, or `make test`)", reason)
	}
	tb.Fatalf("%v", err)
}

// MustIsolate says whether this run must isolate its SSDP tests rather than
// skip them: under CI and `make test`.
func MustIsolate() bool {
	return os.Getenv("CI") == "true" || os.Getenv("FLAMENCO_TRAY_REQUIRE_ISOLATION") != ""
}
