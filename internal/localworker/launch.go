package localworker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// waitDelay bounds how long the Worker's output is read after it ended: a child it left behind
// (a Blender it could not stop) holds the pipe open.
const waitDelay = 5 * time.Second

// launch runs the Worker's process once, until it ends, and says how it ended. launched is called
// once, with the error if it could not start.
func (s *Supervisor) launch(ctx context.Context, r *run, launched func(error)) Exit {
	// Linux sends Pdeathsig (launchAttrs) when the thread that started the child ends, not the
	// process, and Go may end threads: the goroutine that starts the Worker keeps its thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.Command(r.bin)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "FLAMENCO_HOME="+s.dir) // os/exec keeps the last of a name
	cmd.Stdout, cmd.Stderr = r.log, r.log
	cmd.WaitDelay = waitDelay
	cmd.ExtraFiles = workerLockFiles(r.lock)
	attrs, canInterrupt := launchAttrs()
	cmd.SysProcAttr = attrs
	if err := cmd.Start(); err != nil {
		err = fmt.Errorf("start %s: %w", r.bin, err)
		launched(err)
		r.log.Note("%v", err)
		return Exit{Reason: ExitLaunchFailed, Code: -1, Message: "could not start: " + err.Error()}
	}
	pid := cmd.Process.Pid
	r.log.Note("started %s (pid %d) for the Manager at %s in %s", r.bin, pid, s.cfg.ManagerURL, s.dir)
	s.logger.Info().Int("pid", pid).Str("binary", r.bin).Str("dir", s.dir).Str("log", s.logPath).Msg("started the Worker")
	s.update(func(st *State) {
		st.PID = pid
		if st.Phase == Restarting {
			st.Phase = Starting
		}
	})
	tree, err := adoptTree(cmd.Process)
	if err != nil {
		s.logger.Warn().Err(err).Msg("what the Worker starts may outlive it")
	}
	defer tree.close()
	launched(nil)

	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()

	pollCtx, stopPolling := context.WithCancel(ctx)
	var polling sync.WaitGroup
	polling.Go(func() { s.poll(pollCtx, r) })
	defer polling.Wait()
	defer stopPolling()

	end := s.superviseProcess(ctx, r, tree, canInterrupt, exited)
	state := cmd.ProcessState
	end.code = state.ExitCode()
	if status, ok := state.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		end.signal = status.Signal().String()
	}
	exit := classifyExit(end)
	r.log.Note("the Worker (pid %d) ended: %s", pid, exit.Message)
	return exit
}

// superviseProcess waits for the process to exit, interrupting and killing it as Stop and the end
// of ctx ask.
func (s *Supervisor) superviseProcess(ctx context.Context, r *run, tree processTree, canInterrupt bool, exited <-chan struct{}) processEnd {
	ps := &processStop{s: s, r: r, tree: tree, canInterrupt: canInterrupt}
	// Where the Worker cannot be interrupted, quitting asks the Manager instead, in the background.
	quitAsked := make(chan error, 1)
	var quitting sync.WaitGroup
	quitCtx, cancelQuit := context.WithCancel(context.WithoutCancel(ctx))
	defer quitting.Wait()
	defer cancelQuit()

	ownerGone := ctx.Done()
	for {
		select {
		case <-exited:
			return ps.end
		case <-ownerGone:
			ownerGone = nil
			// The tray quits: stopping through the Manager could take the Worker 20 s to notice.
			r.markStopping()
			if canInterrupt {
				ps.interruptNow()
			} else {
				quitting.Go(func() { s.offlineOnQuit(quitCtx, r, quitAsked) })
			}
		case err := <-quitAsked:
			if err != nil {
				s.logger.Warn().Err(err).Msg("the Manager did not take the request to set the Worker offline")
				ps.killNow("it cannot be interrupted here, and the Manager did not take the request to set it offline")
			} else {
				ps.startGrace()
			}
		case e := <-r.escalate:
			if e == escalateNow {
				ps.interruptNow()
			} else {
				ps.startGrace()
			}
		case <-ps.grace:
			s.logger.Warn().Dur("after", s.cfg.Timing.OfflineGrace).Msg("the Worker has not gone offline as the Manager asked")
			ps.interruptNow()
		case <-ps.kill:
			ps.killNow(fmt.Sprintf("it did not stop within %v of the interrupt", s.cfg.Timing.KillAfter))
		}
	}
}

// processStop is how far superviseProcess went in stopping one process, and the timers of its next
// steps; only superviseProcess's goroutine uses it.
type processStop struct {
	s            *Supervisor
	r            *run
	tree         processTree // with the Worker's process, p
	canInterrupt bool

	end         processEnd
	grace, kill <-chan time.Time // nil until started
}

// startGrace gives a Worker the Manager asked to go offline OfflineGrace to do so, once.
func (ps *processStop) startGrace() {
	if ps.grace == nil {
		ps.grace = time.After(ps.s.cfg.Timing.OfflineGrace)
	}
}

func (ps *processStop) killNow(why string) {
	if ps.end.killed {
		return
	}
	ps.s.logger.Warn().Msg("killing the Worker: " + why)
	ps.r.log.Note("killing the Worker: %s", why)
	ps.end.killed, ps.end.killReason = true, why
	if err := ps.tree.kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		ps.s.logger.Error().Err(err).Msg("cannot kill the Worker")
	}
}

// interruptNow interrupts the Worker, so that it signs off, and kills it KillAfter later if need be.
func (ps *processStop) interruptNow() {
	if ps.end.interrupted || ps.end.killed {
		return
	}
	if !ps.canInterrupt {
		ps.killNow("it cannot be interrupted here (no console to send Ctrl+Break through)")
		return
	}
	ps.s.logger.Info().Msg("interrupting the Worker, so that it signs off")
	ps.r.log.Note("interrupting the Worker")
	ps.end.interrupted = true
	if err := interrupt(ps.tree.p); err != nil {
		ps.killNow("the interrupt failed: " + err.Error())
		return
	}
	ps.kill = time.After(ps.s.cfg.Timing.KillAfter)
}

// offlineOnQuit asks the Manager to set the Worker offline, where it cannot be interrupted, and
// sends the answer to answered; it gives up after 10 s or when ctx ends.
func (s *Supervisor) offlineOnQuit(ctx context.Context, r *run, answered chan<- error) {
	s.mu.Lock()
	workerID := r.workerID
	s.mu.Unlock()
	if workerID == "" {
		answered <- errors.New("the Worker has not registered")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	answered <- s.cfg.API.SetWorkerStatus(ctx, workerID, managerapi.WorkerOffline, false)
}
