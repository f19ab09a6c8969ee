//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows build is a GUI program (-H=windowsgui) so that the tray opens no console window. Such a
// program gets no console, so `flamenco-tray.exe discover` typed in cmd or PowerShell would print
// nothing: before any output, it attaches to the console of the shell that started it.
func init() { attachParentConsole() }

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1, which golang.org/x/sys/windows does not name.
const attachParentProcess = ^uint32(0)

// attachParentConsole points os.Stdout and os.Stderr, where they have no handle, at the parent's
// console. Redirected output (a file, a pipe) is left alone; without a parent console (started from
// Explorer, the Start menu or at login) nothing changes and the log file is the only output.
func attachParentConsole() {
	stdout, stderr := hasStdHandle(windows.STD_OUTPUT_HANDLE), hasStdHandle(windows.STD_ERROR_HANDLE)
	if stdout && stderr {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	if ok, _, _ := attach.Call(uintptr(attachParentProcess)); ok == 0 {
		return
	}
	if !stdout {
		reopenOnConsole(&os.Stdout, windows.STD_OUTPUT_HANDLE)
	}
	if !stderr {
		reopenOnConsole(&os.Stderr, windows.STD_ERROR_HANDLE)
	}
}

func hasStdHandle(which uint32) bool {
	h, err := windows.GetStdHandle(which)
	return err == nil && h != 0 && h != windows.InvalidHandle
}

// reopenOnConsole opens the console's output buffer as *f, and as the standard handle for whatever
// asks Windows rather than package os.
func reopenOnConsole(f **os.File, which uint32) {
	out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	*f = out
	_ = windows.SetStdHandle(which, windows.Handle(out.Fd()))
}
