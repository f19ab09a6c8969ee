package localworker

import (
	"fmt"
	"os"
)

// ExitReason says why the Worker's process ended.
type ExitReason string

// The reasons a Worker's process ends.
const (
	ExitOffline      ExitReason = "offline"       // code 0: the Manager set it offline; it signed off
	ExitRestart      ExitReason = "restart"       // restart_exit_code: the Manager asked it to restart
	ExitSignedOff    ExitReason = "signed-off"    // code 1 after this program's interrupt: it signed off
	ExitKilled       ExitReason = "killed"        // killed by this program: it did not stop in time
	ExitForced       ExitReason = "forced"        // its own shutdown took over 20 s and was cut short
	ExitFailed       ExitReason = "failed"        // any other code or signal
	ExitLaunchFailed ExitReason = "launch-failed" // it could not be started at all
)

// Exit is how one run of the Worker's process ended.
type Exit struct {
	Reason  ExitReason
	Code    int    // the exit code; -1 when a signal ended it
	Message string // a sentence for the menu and the log
}

// CleanlyOffline says whether the Worker signed off before it ended: the Manager knows it is gone.
func (e Exit) CleanlyOffline() bool { return e.Reason == ExitOffline || e.Reason == ExitSignedOff }

// forcedShutdownCodes are os.Exit(-2), which the Worker calls when its shutdown takes over 20 s, as
// Unix (254) and Windows (0xFFFFFFFE) report it.
var forcedShutdownCodes = map[int]bool{254: true, 0xFFFFFFFE: true, -2: true}

// processEnd is what the operating system and this program know of a process that ended.
type processEnd struct {
	code        int    // -1 when ended by a signal
	signal      string // "" unless ended by a signal
	interrupted bool   // this program sent it an interrupt
	killed      bool   // this program killed it
	killReason  string // why it did
}

// classifyExit names why the Worker ended; it was given DefaultRestartExitCode.
func classifyExit(end processEnd) Exit {
	e := Exit{Code: end.code}
	switch {
	case end.killed:
		e.Reason = ExitKilled
		e.Message = "killed, so it did not sign off (the Manager lists it until it times out): " + end.killReason
	case end.code == 0:
		e.Reason = ExitOffline
		e.Message = "signed off: the Manager set it offline"
	case end.code == DefaultRestartExitCode:
		e.Reason = ExitRestart
		e.Message = "restarting: the Manager asked it to"
	case end.code == 1 && end.interrupted:
		e.Reason = ExitSignedOff
		e.Message = "signed off after an interrupt"
	case end.interrupted && end.signal == os.Interrupt.String():
		// The Worker handles SIGINT only once signed on; before, it dies of it, with nothing to sign off.
		e.Reason = ExitSignedOff
		e.Message = "stopped by the interrupt before it had signed on"
	case forcedShutdownCodes[end.code]:
		e.Reason = ExitForced
		e.Message = fmt.Sprintf("its shutdown took over 20 s and was forced (code %d); it may not have signed off", end.code)
	case end.signal != "":
		e.Reason = ExitFailed
		e.Message = "ended by signal " + end.signal
	default:
		e.Reason = ExitFailed
		e.Message = fmt.Sprintf("exited with code %d: an error (see its log)", end.code)
		if end.code == 1 {
			e.Message = "exited with code 1: an error, or an interrupt from elsewhere (see its log)"
		}
	}
	return e
}
