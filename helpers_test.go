//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Race reports of the tray binary (built with -race, run with GORACE=exitcode=0 log_path=…).

// knownDependencyRaces are the races inside Fyne or fyne.io/systray that the tray's tests accept.
// A report matches an entry when each of its two access stacks calls one of the entry's functions
// and neither touches this module's code. Anything else fails the test.
var knownDependencyRaces = []knownRace{
	{
		funcs: []string{"fyne.io/systray.SetIcon", "github.com/godbus/dbus/v5.(*Conn).handleCall"},
		reason: "fyne.io/systray.SetIcon replaces IconPixmap through godbus's prop.Properties, which stores " +
			"the new value into the one a panel's Get reply may still be encoding (prop.go set, export.go " +
			"handleCall, godbus v5.1.0); no upstream issue found in fyne-io/systray or godbus/dbus (2026-12-07)",
		calledByUs: true, // the tray sets its icon (traySurface.Show): the race is below that call
	},
}

// ourCode says whether a function in a race report's stack is this module's: its packages, or the
// binary's main package.
func ourCode(function string) bool {
	return strings.HasPrefix(function, "github.com/flamenco-tray/flamenco-tray/") || strings.HasPrefix(function, "main.")
}

type knownRace struct {
	funcs  []string // fully qualified function names, as a race report prints them without "()"
	reason string   // the upstream issue, or why there is none
	// calledByUs: this module's code may be in an access stack, but only as a caller of the
	// dependency's function, never inside it.
	calledByUs bool
}

type raceVerdict int

const (
	raceOurs            raceVerdict = iota // this module's code is in an access stack: fail
	raceKnownDependency                    // a race listed in knownDependencyRaces: log
	raceUnknown                            // in dependencies only, not listed: fail
)

func (v raceVerdict) String() string {
	return [...]string{"ours", "known dependency race", "unknown dependency race"}[v]
}

// classifyRace judges one report (the text between two "==================" lines).
func classifyRace(report string, knownRaces []knownRace) (raceVerdict, string) {
	stacks := raceAccessStacks(report)
	for _, known := range knownRaces {
		matches := len(stacks) == 2
		for _, stack := range stacks {
			matches = matches && known.matches(stack)
		}
		if matches {
			return raceKnownDependency, known.reason
		}
	}
	for _, stack := range stacks {
		if slices.ContainsFunc(stack, ourCode) {
			return raceOurs, ""
		}
	}
	return raceUnknown, ""
}

// matches says whether an access's stack (innermost first) is in one of the race's functions, with
// this module's code only outside that function's frame, where calledByUs allows it at all.
func (k knownRace) matches(stack []string) bool {
	in := slices.IndexFunc(stack, func(f string) bool { return slices.Contains(k.funcs, f) })
	if in < 0 {
		return false
	}
	if !k.calledByUs {
		return !slices.ContainsFunc(stack, ourCode)
	}
	return !slices.ContainsFunc(stack[:in], ourCode)
}

// raceAccessStacks returns the functions of each access's stack ("Read at … by goroutine 7:" and
// "Previous write at …:"), innermost first; the "Goroutine N created at" stacks are not accesses.
func raceAccessStacks(report string) [][]string {
	var stacks [][]string
	access := -1 // index in stacks of the access whose frames are being read
	for line := range strings.Lines(report) {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || !strings.HasPrefix(line, " "):
			access = -1
			// A stack's heading: "Read at 0x… by goroutine 7:", "Previous write at 0x… by main goroutine:".
			if strings.Contains(trimmed, " at 0x") && strings.HasSuffix(trimmed, ":") {
				stacks = append(stacks, nil)
				access = len(stacks) - 1
			}
		case access >= 0 && !strings.HasPrefix(line, "    "): // a function; its file is indented further
			stacks[access] = append(stacks[access], strings.TrimSuffix(trimmed, "()"))
		}
	}
	return stacks
}

// checkRaceReports fails the test for every race report in the tray's race logs but the known
// dependency races, which it logs.
func checkRaceReports(t *testing.T, logPath string) {
	files, _ := filepath.Glob(logPath + ".*")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("race log: %v", err)
			continue
		}
		for _, report := range strings.Split(string(data), "==================") {
			if !strings.Contains(report, "DATA RACE") {
				continue
			}
			switch verdict, reason := classifyRace(report, knownDependencyRaces); verdict {
			case raceKnownDependency:
				t.Logf("known data race inside a dependency (%s):\n%s", reason, report)
			default:
				t.Errorf("data race (%s):\n%s", verdict, report)
			}
		}
	}
}

func TestClassifyRace(t *testing.T) {
	t.Parallel()
	const report = `
WARNING: DATA RACE
Write at 0x00c0001b4f58 by goroutine 9:
%s
Previous read at 0x00c0001b4f58 by main goroutine:
%s
Goroutine 9 (running) created at:
  github.com/flamenco-tray/flamenco-tray/app.(*tray).goOwned()
      /work/main/app/tray.go:124 +0x9c
`
	frames := func(funcs ...string) string {
		var b strings.Builder
		for _, f := range funcs {
			fmt.Fprintf(&b, "  %s()\n      /somewhere/file.go:12 +0x1c\n", f)
		}
		return b.String()
	}
	systray := frames("fyne.io/systray.systrayMenuItemSelected", "fyne.io/systray.(*tray).Event", "reflect.Value.call",
		"github.com/godbus/dbus/v5.(*Conn).handleCall", "github.com/godbus/dbus/v5.(*Conn).inWorker")
	glfw := frames("fyne.io/systray.ResetMenu", "fyne.io/fyne/v2/internal/driver/glfw.(*gLDriver).refreshSystray",
		"fyne.io/fyne/v2/internal/driver/glfw.(*gLDriver).runGL", "fyne.io/fyne/v2/internal/driver/glfw.(*gLDriver).Run",
		"fyne.io/fyne/v2/app.(*fyneApp).Run", "github.com/flamenco-tray/flamenco-tray/app.(*tray).run",
		"github.com/flamenco-tray/flamenco-tray/app.Run", "main.runTray", "main.main")
	glfwWithoutUs := frames("fyne.io/systray.ResetMenu", "fyne.io/fyne/v2/internal/driver/glfw.(*gLDriver).refreshSystray",
		"fyne.io/fyne/v2/internal/driver/glfw.(*gLDriver).runGL")
	ours := frames("github.com/flamenco-tray/flamenco-tray/app.(*tray).show", "fyne.io/fyne/v2.Do")
	known := []knownRace{{funcs: []string{"fyne.io/systray.systrayMenuItemSelected", "fyne.io/systray.ResetMenu"}, reason: "upstream #1"}}
	type raceCase struct {
		name         string
		write, read  string
		want         raceVerdict
		reasonWanted string
	}
	tests := []raceCase{
		{"our code at the top", ours, systray, raceOurs, ""},
		{"our code deep in a stack, past any frame limit", systray, glfw, raceOurs, ""},
		{"the main package counts as ours", systray, frames("fyne.io/systray.ResetMenu", "main.main"), raceOurs, ""},
		{"a listed dependency race", systray, glfwWithoutUs, raceKnownDependency, "upstream #1"},
		{"listed functions in one stack only", systray, frames("fyne.io/fyne/v2/widget.(*Label).Refresh"), raceUnknown, ""},
		{"a dependency race not listed", frames("github.com/godbus/dbus/v5.(*Conn).Close"), frames("github.com/godbus/dbus/v5.(*Conn).inWorker"), raceUnknown, ""},
	}
	// A race below our call of a dependency: ours only where our code is inside that call.
	calledByUs := knownRace{funcs: []string{"fyne.io/systray.SetIcon", "github.com/godbus/dbus/v5.(*Conn).handleCall"},
		reason: "upstream #2", calledByUs: true}
	setIcon := frames("github.com/godbus/dbus/v5/prop.(*Properties).set", "fyne.io/systray.SetIcon",
		"github.com/flamenco-tray/flamenco-tray/app.(*traySurface).Show")
	insideSetIcon := frames("github.com/flamenco-tray/flamenco-tray/app.frameIcon", "fyne.io/systray.SetIcon")
	encode := frames("github.com/godbus/dbus/v5.(*encoder).encode", "github.com/godbus/dbus/v5.(*Conn).handleCall")
	tests = append(tests,
		raceCase{"below our call of a listed function", setIcon, encode, raceKnownDependency, "upstream #2"},
		raceCase{"our code inside the listed function", insideSetIcon, encode, raceOurs, ""})
	known = append(known, calledByUs)
	for _, tt := range tests {
		got, reason := classifyRace(fmt.Sprintf(report, tt.write, tt.read), known)
		if got != tt.want || reason != tt.reasonWanted {
			t.Errorf("%s: %v (%q), want %v (%q)", tt.name, got, reason, tt.want, tt.reasonWanted)
		}
	}
	// A report as the race detector writes it (go1.26, GORACE=log_path=…).
	real := `
WARNING: DATA RACE
Read at 0x00c000094028 by goroutine 7:
  main.main.func1()
      /tmp/racy/main.go:7 +0x2e

Previous write at 0x00c000094028 by main goroutine:
  main.main()
      /tmp/racy/main.go:8 +0xc4

Goroutine 7 (running) created at:
  main.main()
      /tmp/racy/main.go:7 +0xa4
`
	if got := raceAccessStacks(real); !slices.EqualFunc(got, [][]string{{"main.main.func1"}, {"main.main"}}, slices.Equal) {
		t.Errorf("access stacks %q", got)
	}
	// The creation stack of a goroutine is not an access: our goOwned there does not make it ours.
	if got, _ := classifyRace(fmt.Sprintf(report, systray, glfwWithoutUs), nil); got != raceUnknown {
		t.Errorf("a dependency race in a goroutine we started: %v, want %v", got, raceUnknown)
	}
}
