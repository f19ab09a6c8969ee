package localworker

import "syscall"

// launchAttrs starts the Worker in a process group of its own, so that a Ctrl+C in the terminal
// reaches this program only (which stops the Worker through the Manager); and has the kernel
// interrupt it if this program dies without stopping it, so it still signs off. It can always be
// interrupted.
func launchAttrs() (*syscall.SysProcAttr, bool) {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}, true
}
