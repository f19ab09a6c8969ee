package localworker

import (
	"context"
	"time"
)

// startupPoll is the first pause between questions to the Manager while the Worker signs on; it
// doubles up to Timing.Poll, so that "awake" shows within seconds, then the Manager is asked gently.
const startupPoll = time.Second

// poll follows the Worker while its process runs: its id from its credentials file, then its state
// from the Manager, until ctx ends.
func (s *Supervisor) poll(ctx context.Context, r *run) {
	jobNames := map[string]string{} // job id → name, asked once per job
	failing := false                // the Manager's last answer was an error: warn once per streak
	credentialsProblem := ""
	wait := startupPoll
	for {
		next := s.cfg.Timing.Poll
		workerID, err := ReadWorkerID(s.dir)
		if err != nil && err.Error() != credentialsProblem {
			s.logger.Warn().Err(err).Msg("cannot read the Worker's credentials")
		}
		credentialsProblem = ""
		if err != nil {
			credentialsProblem = err.Error()
		}
		if workerID == "" {
			next = credentialsCheck
		} else {
			s.mu.Lock()
			r.workerID = workerID
			s.mu.Unlock()
			obs := s.observe(ctx, workerID, jobNames)
			if ctx.Err() != nil {
				return
			}
			switch {
			case obs.err != nil && !failing:
				s.logger.Warn().Err(obs.err).Msg("the Manager does not answer about the Worker")
			case obs.err == nil && failing:
				s.logger.Info().Msg("the Manager answers about the Worker again")
			}
			failing = obs.err != nil
			phase := s.apply(workerID, obs)
			if phase == Starting {
				next, wait = min(wait, s.cfg.Timing.Poll), 2*wait
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(next):
		}
	}
}

// observe asks the Manager about the Worker, and about the job of its task when that is new.
func (s *Supervisor) observe(ctx context.Context, workerID string, jobNames map[string]string) observation {
	w, err := s.cfg.API.Worker(ctx, workerID)
	if err != nil {
		return observation{err: err}
	}
	obs := observation{worker: &w}
	if task := activeTask(&w); task != nil && task.JobID != "" {
		name, known := jobNames[task.JobID]
		if !known {
			if job, err := s.cfg.API.Job(ctx, task.JobID); err == nil {
				name = job.Name
				jobNames[task.JobID] = name
			} else {
				s.logger.Debug().Err(err).Str("job", task.JobID).Msg("cannot learn the name of the Worker's job")
			}
		}
		obs.jobName = name
	}
	return obs
}

// apply puts what the Manager said into the state and returns the phase it implies.
func (s *Supervisor) apply(workerID string, obs observation) Phase {
	phase, problem := phaseOf(obs)
	s.update(func(st *State) {
		if !st.Active {
			return // the run ended while the Manager was asked
		}
		st.WorkerID = workerID
		if obs.worker != nil {
			st.JobID, st.Job, st.Task = "", "", ""
			if task := activeTask(obs.worker); task != nil {
				st.JobID, st.Job, st.Task = task.JobID, obs.jobName, task.Name
				if st.Job == "" {
					st.Job = task.JobID
				}
			}
		}
		// Stopping is this program's doing: it shows until the process ends.
		if st.Phase != Stopping {
			st.Phase, st.Problem = phase, problem
		}
	})
	return phase
}
