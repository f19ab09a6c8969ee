package localworker

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// launchAttrs starts the Worker in a process group of its own, the only way to send it
// CTRL_BREAK_EVENT (os.Interrupt to a Go program). That event travels through a console shared with
// it: the `worker` command's in a terminal; the tray has none, so its Worker gets a console without
// a window and cannot be interrupted, only stopped through the Manager or killed.
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

// processTree is the Worker and what it starts (Blender), in a job object that ends them all when it
// is killed or its last handle closes, even as this program dies: no Worker outlives its tray (there
// is no parent-death signal, and the folder's lock is the tray's alone). job is 0 if it failed.
type processTree struct {
	p   *os.Process
	job windows.Handle
}

// adoptTree puts a Worker just started in a job object of its own. Anything it started before that
// (nothing: it starts Blender only for a task) would stay outside.
func adoptTree(p *os.Process) (processTree, error) {
	t := processTree{p: p}
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return t, fmt.Errorf("create a job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return t, fmt.Errorf("set the job object's limits: %w", err)
	}
	process, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return t, fmt.Errorf("open the Worker's process: %w", err)
	}
	defer windows.CloseHandle(process)
	if err := windows.AssignProcessToJobObject(job, process); err != nil {
		windows.CloseHandle(job)
		return t, fmt.Errorf("put the Worker in a job object: %w", err)
	}
	t.job = job
	return t, nil
}

// kill ends the Worker and everything in its job.
func (t processTree) kill() error {
	if t.job != 0 {
		if err := windows.TerminateJobObject(t.job, 1); err == nil {
			return nil
		}
	}
	return t.p.Kill()
}

// close is called once the Worker has ended: what it left running (a Blender) ends with the job.
func (t processTree) close() {
	if t.job != 0 {
		windows.CloseHandle(t.job)
	}
}
