package lending

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/hub"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
)

// Worker is the part of localworker.Supervisor the Lender drives.
type Worker interface {
	State() localworker.State
	Subscribe() (<-chan localworker.State, func())
	Start(ctx context.Context) error
	Stop(ctx context.Context, afterThisTask bool) error
	SetAwake(ctx context.Context, awake, lazy bool) error
}

// Polling of the desktop's idle time: often while the computer is lent, so that the Manager hears
// of the user's return well within a second; less often while the user is here.
const (
	PollWhileLent  = 250 * time.Millisecond
	PollWhileHere  = time.Second
	requestTimeout = 2 * time.Second // for each request to the Manager: past it, the Worker is stopped here
	wakeEvery      = 5 * time.Second // at most this often, an asleep lent Worker is asked to wake
)

// Config configures a Lender.
type Config struct {
	Worker Worker
	// ReadIdle reads the desktop's idle time and lock (see internal/idle); an error means idle
	// cannot be read, and the computer is not lent.
	ReadIdle func(ctx context.Context) (idle time.Duration, locked bool, err error)
	// ReadLoad reads the share of the CPUs that programs other than the Worker use (NewLoadMeter).
	// Required.
	ReadLoad func(ctx context.Context) (float64, error)
	Policy   Policy
	Logger   zerolog.Logger
	// OnBack, if set, is called when the user came back after the computer rendered for the farm.
	OnBack func(Tally)
	// WorkerLifetime is what a Worker the Lender starts runs until: the tray's or the command's
	// life, so that its owner can sign it off. Required.
	WorkerLifetime context.Context
}

// Tally counts what the lent Worker was seen rendering during one absence.
type Tally struct {
	Tasks, Jobs int
}

// Status is what the menu shows of lending to one Manager.
type Status struct {
	Decision        Decision
	Lent            bool // the Worker runs for the farm because the user is away
	Worker          localworker.State
	NotTonightUntil time.Time     // when "Not tonight" ends; zero when not chosen
	AwayAfter       time.Duration // the policy's
}

// Equal says whether two statuses show the same.
func (s Status) Equal(o Status) bool {
	return s.Decision == o.Decision && s.Lent == o.Lent && s.NotTonightUntil.Equal(o.NotTonightUntil) &&
		s.AwayAfter == o.AwayAfter && s.Worker.Equal(o.Worker)
}

// Lender lends this computer to one Manager's farm while its user is away, as its Policy says.
//
// Concurrency: Run's goroutine decides and acts; the setters and Status may be called from any
// goroutine (a mutex guards the policy and the status, and is never held during a request).
type Lender struct {
	cfg    Config
	log    zerolog.Logger
	status *hub.Hub[Status]

	mu         sync.Mutex
	policy     Policy
	notTonight time.Time
	current    Status
	wake       chan struct{} // 1 slot: the policy changed, decide now

	wg sync.WaitGroup // Worker stops Run started; Run waits for them

	// Run's goroutine only.
	lent   bool // the Worker runs for the farm because the user is away
	byHand bool // the user runs the Worker themselves: it is not lent, nor sent asleep
	ended  bool // the lent Worker ended during this absence
	// sentAsleep: the Lender sent its Worker asleep when the user came back; until it is woken it
	// is still the Lender's, whatever the Supervisor shows meanwhile.
	sentAsleep bool
	lastWake   time.Time // the last request to wake a lent Worker
	tally      tally     // of this absence
	owed       Tally     // what the computer rendered, until the user is back to be told
}

// NewLender returns a Lender; Run starts it.
func NewLender(cfg Config) *Lender {
	l := &Lender{cfg: cfg, log: cfg.Logger.With().Str("component", "lending").Logger(), policy: cfg.Policy.Normalized(),
		wake: make(chan struct{}, 1)}
	l.current = Status{Decision: Decision{Mode: Off}, Worker: cfg.Worker.State()}
	l.status = hub.NewLatest(l.current, Status.Equal)
	return l
}

// SetPolicy changes the policy; it applies at once.
func (l *Lender) SetPolicy(p Policy) {
	l.change(func() { l.policy = p.Normalized() })
}

// NotTonight skips lending until the morning (see NotTonightUntil); a lent Worker is sent asleep.
func (l *Lender) NotTonight(now time.Time) {
	l.change(func() { l.notTonight = NotTonightUntil(l.policy.Hours, now) })
}

// LendTonight undoes NotTonight.
func (l *Lender) LendTonight() {
	l.change(func() { l.notTonight = time.Time{} })
}

// change makes a change under l.mu, and has Run decide at once.
func (l *Lender) change(f func()) {
	l.mu.Lock()
	f()
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Status returns what the menu shows now.
func (l *Lender) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

// Subscribe returns a channel holding the latest Status (package hub's state stream).
func (l *Lender) Subscribe() (<-chan Status, func()) { return l.status.Subscribe() }

// Run decides and acts until ctx ends. A Worker it lent is sent asleep when the user comes back, and
// when Run ends (lending turned off) while it is lent.
func (l *Lender) Run(ctx context.Context) error {
	defer l.wg.Wait()
	states, unsubscribe := l.cfg.Worker.Subscribe()
	defer unsubscribe()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			if l.lent {
				l.takeBack(context.WithoutCancel(ctx), Off)
			}
			return nil
		case st, ok := <-states:
			if !ok {
				return errors.New("lending: the Worker's states ended")
			}
			l.tally.observe(st, l.lent)
			l.publish(func(s *Status) { s.Worker = st })
			continue
		case <-l.wake:
		case <-timer.C:
		}
		l.step(ctx)
		if l.lent {
			timer.Reset(PollWhileLent)
		} else {
			timer.Reset(PollWhileHere)
		}
	}
}

// step reads the desktop, decides, and lends the computer or takes it back.
func (l *Lender) step(ctx context.Context) {
	l.mu.Lock()
	policy, notTonight := l.policy, l.notTonight
	l.mu.Unlock()
	in := Inputs{NotTonight: notTonight}
	readCtx, cancel := context.WithTimeout(ctx, PollWhileHere)
	in.Idle, in.Locked, in.IdleErr = l.cfg.ReadIdle(readCtx)
	if policy.LoadLimit > 0 {
		in.OtherLoad, in.LoadErr = l.cfg.ReadLoad(readCtx)
	}
	cancel()
	now := time.Now()
	d := Decide(policy, in, now)
	switch {
	case d.Mode == Away && !l.lent && !l.ended:
		l.lend(ctx, now)
	case d.Mode == Away && l.lent && !l.cfg.Worker.State().Active:
		// It ended while lent (the Manager set it offline, or it failed): not started again before
		// the next absence, so a Worker that cannot run is not relaunched every second. What it
		// rendered is still told when the user is back.
		l.log.Info().Msg("the lent Worker ended; lending again at the next absence")
		l.lent, l.ended = false, true
		l.keepTally()
	case d.Mode == Away && l.cfg.Worker.State().Phase == localworker.Asleep && now.Sub(l.lastWake) >= wakeEvery:
		// Sent asleep when the user came back the last time: the Manager keeps that status.
		l.wakeWorker(ctx, now)
	case d.Mode == Away: // lent and awake, or ended during this absence: nothing to do
	case l.lent:
		l.takeBack(ctx, d.Mode)
	default:
		l.byHand, l.ended = false, false
		if !l.cfg.Worker.State().Active {
			l.sentAsleep = false
		}
	}
	if d.Mode == Here && l.owed.Tasks > 0 && l.cfg.OnBack != nil {
		l.cfg.OnBack(l.owed)
		l.owed = Tally{}
	}
	l.publish(func(s *Status) {
		s.Decision, s.Lent, s.NotTonightUntil, s.AwayAfter = d, l.lent, notTonight, policy.AwayAfter
		if !now.Before(notTonight) {
			s.NotTonightUntil = time.Time{}
		}
	})
}

// lend starts the Worker, or wakes it when it runs asleep. A Worker the user runs awake themselves
// is left alone: it is not lent, and will not be sent asleep when they are back.
func (l *Lender) lend(ctx context.Context, now time.Time) {
	st := l.cfg.Worker.State()
	if st.Active && st.Phase != localworker.Asleep && !l.sentAsleep {
		if !l.byHand {
			l.byHand = true
			l.log.Info().Str("phase", string(st.Phase)).Msg("the user is away, and runs the Worker themselves: nothing to lend")
		}
		return
	}
	l.lent, l.tally = true, tally{}
	if st.Active {
		l.log.Info().Msg("the user is away: waking the Worker to lend this computer to the farm")
		// The Supervisor learns of the Manager's status some seconds late: a Worker sent asleep
		// may still show busy; it is woken all the same.
		l.sentAsleep = false
		l.wakeWorker(ctx, now)
		return
	}
	l.log.Info().Msg("the user is away: starting the Worker to lend this computer to the farm")
	if err := l.cfg.Worker.Start(l.cfg.WorkerLifetime); err != nil {
		l.log.Error().Err(err).Msg("cannot start the Worker to lend this computer")
	}
}

// wakeWorker asks the Manager to wake the Worker.
func (l *Lender) wakeWorker(ctx context.Context, now time.Time) {
	l.lastWake = now
	reqCtx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := l.cfg.Worker.SetAwake(reqCtx, true, false); err != nil {
		l.log.Warn().Err(err).Msg("cannot wake the Worker")
	}
}

// takeBack sends the lent Worker asleep (at once, or after its task, as the policy says); when the
// Manager cannot be asked, the Worker is stopped here instead, as "Stop now" does.
func (l *Lender) takeBack(ctx context.Context, why Mode) {
	l.mu.Lock()
	lazy := l.policy.WhenBack == FinishTask
	l.mu.Unlock()
	l.lent = false
	l.log.Info().Str("why", string(why)).Bool("after-task", lazy).Msg("taking the computer back from the farm")
	reqCtx, cancel := context.WithTimeout(ctx, requestTimeout)
	err := l.cfg.Worker.SetAwake(reqCtx, false, lazy)
	cancel()
	l.sentAsleep = err == nil
	if err != nil {
		l.log.Warn().Err(err).Msg("the Manager cannot send the Worker asleep: stopping it here")
		// Stop waits for the process to end: not on the decision loop.
		l.wg.Go(func() {
			if err := l.cfg.Worker.Stop(context.WithoutCancel(ctx), false); err != nil {
				l.log.Warn().Err(err).Msg("stopping the Worker")
			}
		})
	}
	l.keepTally()
}

// keepTally keeps what the Worker rendered during this absence (it is no longer lent) until the
// user is back to be told.
func (l *Lender) keepTally() {
	l.owed.Tasks += len(l.tally.tasks)
	l.owed.Jobs += len(l.tally.jobs)
}

func (l *Lender) publish(change func(*Status)) {
	l.mu.Lock()
	change(&l.current)
	current := l.current
	l.mu.Unlock()
	l.status.Publish(current)
}

// tally holds the distinct tasks and jobs the lent Worker was seen busy on.
type tally struct {
	tasks map[string]bool // by job id and task name
	jobs  map[string]bool
}

func (t *tally) observe(st localworker.State, lent bool) {
	if !lent || st.Phase != localworker.Busy || st.JobID == "" {
		return
	}
	if t.tasks == nil {
		t.tasks, t.jobs = map[string]bool{}, map[string]bool{}
	}
	t.tasks[st.JobID+"\x00"+st.Task] = true
	t.jobs[st.JobID] = true
}
