package farm

import (
	"context"
	"errors"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Once asks for the first full status (every task once, at once) and returns the Summary, for a
// one-shot report such as `flamenco-tray status`. The error is the first that made the farm status
// unavailable (the Summary says so too); the tasks after it are not run.
func (w *Watcher) Once(ctx context.Context) (Summary, error) {
	err := w.round(ctx)
	if err == nil {
		err = ctx.Err()
	}
	return w.Summary(), err
}

// fullStatus makes every enabled task due and runs them: the first status, and the resync after
// the event bus (re)connects.
func (w *Watcher) fullStatus(ctx context.Context) error {
	w.mu.Lock()
	w.planner.AllDue(w.clock.Now())
	w.mu.Unlock()
	return w.round(ctx)
}

// round runs the tasks that are due, in order, and stops at the first error (the Planner then
// retries that one alone, later), which it returns. Learning the Manager's jobs API generation
// enables other tasks, due at once: they run in the same round.
func (w *Watcher) round(ctx context.Context) error {
	for range numTasks { // each pass runs at least one task, or ends the round
		w.mu.Lock()
		due := w.planner.Due(w.clock.Now())
		w.mu.Unlock()
		if len(due) == 0 {
			return nil
		}
		for _, task := range due {
			if ctx.Err() != nil {
				return nil
			}
			err := w.run(ctx, task)
			if ctx.Err() != nil {
				return nil // cancelled mid-request: not the Manager's fault
			}
			// A failed task is retried alone, later and later (Planner): the Watcher then no longer
			// hears from the Manager often enough to vouch for it.
			w.heard(err == nil)
			if err := w.taskDone(task, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// taskDone records a task's result; it returns err when the farm status is now unavailable.
func (w *Watcher) taskDone(task Task, err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	w.planner.Done(task, now, err == nil)
	if err != nil {
		reason := Describe(err)
		if w.view.unavailable != reason {
			w.log.Warn().Err(err).Str("task", task.String()).Msg("farm status unavailable")
		}
		w.view.unavailable = reason
		w.publishLocked(now)
		return err
	}
	if w.view.unavailable != "" {
		w.log.Info().Msg("farm status available again")
		// The Manager may have been upgraded meanwhile: ask for its farm status again.
		w.planner.Enable(TaskFarmStatus, now)
	}
	w.succeeded[task] = true
	w.view.succeeded(now)
	if !w.view.primed && w.allSucceededLocked() {
		w.view.primed = true
	}
	w.publishLocked(now)
	return nil
}

func (w *Watcher) allSucceededLocked() bool {
	for t := range numTasks {
		if w.planner.Enabled(t) && !w.succeeded[t] {
			return false
		}
	}
	return true
}

// run makes one task's requests and feeds the answers to the view.
func (w *Watcher) run(ctx context.Context, task Task) error {
	switch task {
	case TaskAllJobs:
		return w.readAllJobs(ctx)
	case TaskUnfinished:
		return w.pollUnfinished(ctx)
	case TaskWorkers:
		return w.readWorkers(ctx)
	case TaskFarmStatus:
		return w.readFarmStatus(ctx)
	case TaskFinished:
		q := managerapi.JobQuery{StatusIn: []managerapi.JobStatus{managerapi.JobCompleted, managerapi.JobFailed, managerapi.JobCanceled},
			Limit: finishedLimit}
		jobs, err := w.query(ctx, q)
		if err == nil {
			w.mu.Lock()
			w.emitLocked(w.view.observeFinished(jobs, finishedLimit))
			w.mu.Unlock()
		}
		return err
	case TaskMyRecent:
		return w.readMyRecent(ctx)
	}
	return nil
}

// readAllJobs reads every job (Flamenco 3.6+), keeping what the view needs. A Manager before 3.6
// answers that it has no such endpoint: the filtered queries take over, due at once.
func (w *Watcher) readAllJobs(ctx context.Context) error {
	w.mu.Lock()
	keep := w.view.keepFilter(w.clock.Now())
	w.mu.Unlock()
	var kept []managerapi.Job
	err := w.client.AllJobs(ctx, func(j managerapi.Job) {
		if keep(j) {
			kept = append(kept, j)
		}
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	if errors.Is(err, managerapi.ErrNoSuchEndpoint) {
		w.log.Info().Msg("the Manager lists jobs with filtered queries (Flamenco before 3.6)")
		w.setGenerationLocked(genQuery, w.clock.Now())
		return nil
	}
	if err != nil {
		return err
	}
	if w.generation != genList {
		w.log.Info().Msg("the Manager lists every job at once (Flamenco 3.6 or later)")
		w.setGenerationLocked(genList, w.clock.Now())
	}
	w.emitLocked(w.view.observeAllJobs(kept, w.clock.Now()))
	return nil
}

// query runs a filtered job query (before 3.6). A Manager that no longer has it was upgraded to 3.6
// or later: the complete list takes over, due at once.
func (w *Watcher) query(ctx context.Context, q managerapi.JobQuery) ([]managerapi.Job, error) {
	jobs, err := w.client.QueryJobs(ctx, q)
	if errors.Is(err, managerapi.ErrNoSuchEndpoint) {
		w.mu.Lock()
		w.log.Info().Msg("the Manager no longer has the job query (upgraded to 3.6 or later)")
		w.setGenerationLocked(genList, w.clock.Now())
		w.mu.Unlock()
	}
	return jobs, err
}

func (w *Watcher) readWorkers(ctx context.Context) error {
	workers, err := w.client.Workers(ctx)
	if err == nil {
		w.mu.Lock()
		w.view.observeWorkers(workers)
		w.mu.Unlock()
	}
	return err
}

func (w *Watcher) readFarmStatus(ctx context.Context) error {
	state, present, err := w.client.FarmStatus(ctx)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.view.observeFarmStatus(state, present)
	if !present {
		w.log.Debug().Msg("no farm status endpoint (a Manager before 3.5): the farm state is computed here")
		w.planner.Disable(TaskFarmStatus)
	}
	return nil
}

func (w *Watcher) readMyRecent(ctx context.Context) error {
	w.mu.Lock()
	id := w.view.identity
	w.mu.Unlock()
	if id.UserName == "" {
		return nil
	}
	// The key quoted (the Client does it). A value with a % makes the Manager compare with SQL
	// LIKE, which ignores ASCII case and, with the % in front, finds DOMAIN\user too; the view
	// keeps only the jobs Identity.Owns ("malice" is not alice's, nor "jordan" dan's), so more are
	// asked for than are shown.
	q := managerapi.JobQuery{Metadata: map[string]string{id.MetadataKey: "%" + id.UserName}, Limit: myRecentLimit}
	jobs, err := w.query(ctx, q)
	if err == nil {
		w.mu.Lock()
		w.emitLocked(w.view.observeOwn(jobs))
		w.mu.Unlock()
	}
	return err
}

// pollUnfinished asks for the unfinished jobs, then for each of mine that left them, how it ended.
func (w *Watcher) pollUnfinished(ctx context.Context) error {
	q := managerapi.JobQuery{StatusIn: managerapi.UnfinishedJobStatuses, Limit: unfinishedLimit}
	answer, err := w.query(ctx, q)
	if err != nil {
		return err
	}
	w.mu.Lock()
	transitions, left := w.view.observeUnfinished(answer)
	w.emitLocked(transitions)
	w.mu.Unlock()
	for _, id := range left[:min(len(left), maxLookupsPerRound)] {
		if err := w.lookUp(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// lookUp asks for one job and feeds the answer to the view: how a job of mine ended, or whose a
// job first seen on the event bus is.
func (w *Watcher) lookUp(ctx context.Context, id string) error {
	j, err := w.client.Job(ctx, id)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case errors.Is(err, managerapi.ErrNotFound):
		w.view.observeJobGone(id)
		return nil
	case err != nil:
		return err
	}
	w.emitLocked(w.view.observeJob(j))
	return nil
}
