package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// jobOnManager is a job as one Manager answered it.
type jobOnManager struct {
	manager discovery.Manager
	job     managerapi.Job
}

// runJob pauses, resumes, requeues or cancels one job as the menu does: only what the job's state
// allows, one status change, the Manager's refusal in its own words, nothing retried.
func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, debug := newFlagSet("job", stderr)
	managerURL := fs.String("manager", "", "URL of the Flamenco Manager that has the job (default: the one found that has it)")
	var words []string // "ACTION JOB_ID", with flags before, between or after them
	for {
		if err := fs.Parse(args); err != nil {
			return exitError{code: 2}
		}
		if fs.NArg() == 0 {
			break
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(words) != 2 {
		return usageError("job: say what to do and to which job: job pause|resume|requeue|cancel JOB_ID")
	}
	action, jobID := farm.JobAction(words[0]), words[1]
	if !slices.Contains(farm.JobActions, action) {
		return usageError(fmt.Sprintf("job: unknown action %q (pause, resume, requeue or cancel)", words[0]))
	}
	if !managerapi.IsUUID(jobID) {
		return usageError(fmt.Sprintf("job: %q is not a job ID (a UUID such as 1abd303a-df88-4743-a0e4-4a1e7dedb463, "+
			"the end of the job's address in the web UI)", jobID))
	}
	if _, err := managerapi.BaseURL(*managerURL); *managerURL != "" && err != nil {
		return usageError(err.Error())
	}
	logger := newLogger(stderr, *debug)
	prefs := readTraySettings()
	var found jobOnManager
	var err error
	if *managerURL != "" {
		found, err = jobOnGivenManager(ctx, *managerURL, jobID)
	} else {
		warnSkipped(stderr, prefs.SetByIT)
		found, err = jobOnFoundManager(ctx, prefs, jobID, logger)
	}
	if err != nil {
		return err
	}
	// The job's activity names the user as the tray does: its Settings' name, else the login.
	user := cmp.Or(prefs.Identity.UserName, farm.DefaultIdentity().UserName)
	return actOnJob(ctx, action, found, user, stdout)
}

// jobOnGivenManager checks that a Manager answers at url and reads the job there.
func jobOnGivenManager(ctx context.Context, url, jobID string) (jobOnManager, error) {
	managers, err := probeGiven(ctx, []string{url})
	if err != nil {
		return jobOnManager{}, err
	}
	m := managers[0]
	job, err := readJob(ctx, m, jobID)
	switch {
	case errors.Is(err, managerapi.ErrNotFound):
		return jobOnManager{}, fmt.Errorf("%s has no job %s: %s", describe(m), jobID, managerMessage(err))
	case err != nil:
		return jobOnManager{}, fmt.Errorf("cannot read job %s on %s: %s", jobID, describe(m), managerMessage(err))
	}
	return jobOnManager{manager: m, job: job}, nil
}

// jobOnFoundManager asks every Manager found (as status finds them) for the job, and returns the one
// that has it; exit 1 when none or more than one does.
func jobOnFoundManager(ctx context.Context, prefs traySettings, jobID string, logger zerolog.Logger) (jobOnManager, error) {
	managers, err := statusTargets(ctx, nil, prefs, searchTimeout, logger)
	if err != nil {
		return jobOnManager{}, err
	}
	jobs := make([]managerapi.Job, len(managers))
	errs := make([]error, len(managers))
	var wg sync.WaitGroup
	for i, m := range managers {
		wg.Go(func() { jobs[i], errs[i] = readJob(ctx, m, jobID) })
	}
	wg.Wait()
	var having []jobOnManager
	var asked, problems, holders []string
	for i, m := range managers {
		asked = append(asked, describe(m))
		switch {
		case errs[i] == nil:
			having = append(having, jobOnManager{manager: m, job: jobs[i]})
			holders = append(holders, describe(m))
		case !errors.Is(errs[i], managerapi.ErrNotFound):
			problems = append(problems, fmt.Sprintf("%s did not tell: %s", describe(m), managerMessage(errs[i])))
		}
	}
	switch len(having) {
	case 1:
		return having[0], nil
	case 0:
		message := fmt.Sprintf("no Manager found has job %s (asked: %s)", jobID, strings.Join(asked, ", "))
		for _, p := range problems {
			message += "\nflamenco-tray: " + p
		}
		return jobOnManager{}, errors.New(message + "\nGive the Manager with --manager URL if it was not found.")
	}
	return jobOnManager{}, fmt.Errorf("more than one Manager has job %s (%s): choose one with --manager URL", jobID,
		strings.Join(holders, ", "))
}

func readJob(ctx context.Context, m discovery.Manager, jobID string) (managerapi.Job, error) {
	client := managerapi.NewClient(m.URL)
	defer client.CloseIdleConnections()
	return client.Job(ctx, jobID)
}

// actOnJob sends the action when the job's state allows it, and says what was done.
func actOnJob(ctx context.Context, action farm.JobAction, found jobOnManager, user string, stdout io.Writer) error {
	job, m := found.job, found.manager
	name := managerapi.CleanText(job.Name, managerapi.MaxJobNameRunes)
	status := managerapi.CleanText(string(job.Status), 40)
	// The Manager takes any status from any status (canceling a completed job, requeueing an
	// active one): the state is checked here, as the menu offers only what it allows.
	if !farm.Allows(job.Status, true, action) {
		return fmt.Errorf("“%s” is %s: %s", name, status, allowedFrom[action])
	}
	client := managerapi.NewClient(m.URL)
	defer client.CloseIdleConnections()
	err := client.SetJobStatus(ctx, job.ID, action.Status(), action.Reason(user))
	var refused *managerapi.APIError
	switch {
	case errors.As(err, &refused):
		message := fmt.Sprintf("%s refused to %s “%s”: %s", describe(m), action, name, managerMessage(err))
		// Flamenco 3.3–3.5 do not know "pause-requested": their schema check refuses it.
		if action == farm.Pause && refused.StatusCode == 400 && strings.Contains(refused.Message, "not one of the allowed values") {
			message += fmt.Sprintf("\nPausing a job needs Flamenco 3.6 or later; this Manager runs %s.", m.Version)
		}
		return errors.New(message)
	case err != nil:
		return fmt.Errorf("could not %s “%s” on %s: %w\nWhether it was done shows at %s", action, name, describe(m), err,
			managerapi.JobURL(m.URL, job.ID))
	}
	fmt.Fprintf(stdout, "%s “%s” on %s\n", doneWords[action], name, displayName(m))
	return nil
}

// allowedFrom says which states an action needs, for a job in another.
var allowedFrom = map[farm.JobAction]string{
	farm.Pause:   "only a queued or active job can be paused",
	farm.Resume:  "only a paused job can be resumed",
	farm.Requeue: "only a failed or canceled job can be requeued",
	farm.Cancel:  "only a job that is queued, active, paused, pausing or requeueing can be canceled",
}

// doneWords say what the Manager took: a pause or a cancel is asked for (pause-requested,
// cancel-requested) and done once the job's running tasks stop.
var doneWords = map[farm.JobAction]string{farm.Pause: "Pausing", farm.Resume: "Resumed", farm.Requeue: "Requeued",
	farm.Cancel: "Canceling"}

// describe names a Manager with its address.
func describe(m discovery.Manager) string {
	return fmt.Sprintf("%s (%s)", displayName(m), m.URL)
}

// managerMessage is the Manager's own words for a refusal, else the error.
func managerMessage(err error) string {
	var apiErr *managerapi.APIError
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		return apiErr.Message
	}
	return err.Error()
}
