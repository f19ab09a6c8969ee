//go:build unix && !linux

package localworker

import "syscall"

// launchAttrs starts the Worker in a process group of its own, so that a Ctrl+C in the terminal
// reaches this program only (which stops the Worker through the Manager); it can be interrupted.
func launchAttrs() (*syscall.SysProcAttr, bool) {
	return &syscall.SysProcAttr{Setpgid: true}, true
}
