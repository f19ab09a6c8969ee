package localworker

import (
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

// launchAttrs starts the Worker in a process group of its own (CREATE_NEW_PROCESS_GROUP), the only
// way to send it CTRL_BREAK_EVENT, which Go programs such as the Worker take as os.Interrupt. That
// event travels through a console this program shares with it: when this program has one (the
// `worker` command in a terminal) the Worker inherits it and can be interrupted; the tray has none,
// so the Worker gets a console without a window (CREATE_NO_WINDOW) and cannot be interrupted, only
// stopped through the Manager or killed.
func launchAttrs() (*syscall.SysProcAttr, bool) {
	attr := &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
	if hasConsole() {
		return attr, true
	}
	attr.CreationFlags |= windows.CREATE_NO_WINDOW
	return attr, false
}

func hasConsole() bool {
	window, _, _ := windows.NewLazySystemDLL("kernel32.dll").NewProc("GetConsoleWindow").Call()
	return window != 0
}

// interrupt sends CTRL_BREAK_EVENT to the Worker's process group, whose id is its pid.
func interrupt(p *os.Process) error {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid))
}

func lockThreadForChild() (unlock func()) { return func() {} }

// killProcessTree kills the Worker. What it started (Blender) lives on: Windows ends a tree only
// through a job object, which this program does not make.
func killProcessTree(p *os.Process) error { return p.Kill() }
