package localworker

import "syscall"

// launchAttrs starts the Worker as on other Unixes (proc_bsd.go), and has the kernel interrupt it if
// this program dies without stopping it, so that it still signs off.
func launchAttrs() (*syscall.SysProcAttr, bool) {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}, true
}
