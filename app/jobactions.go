package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"fyne.io/fyne/v2"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// What a job's submenu does (Fyne's main goroutine; requests on goroutines of the tray's owner).
// Nothing is retried behind the user's back: a refusal is shown in the Manager's words.

// stillCancelable says why a job the user confirmed canceling is no longer to be ("": it is).
func stillCancelable(job managerapi.Job, listed bool) string {
	switch {
	case !listed:
		return "It is no longer listed under its Manager."
	case !farm.Allows(job.Status, true, farm.Cancel):
		return "It is " + managerapi.CleanText(string(job.Status), 40) + " now."
	}
	return ""
}

// managerClient speaks to a Manager through the connections the frames use.
func (t *tray) managerClient(url string) *managerapi.Client {
	return managerapi.NewClient(url, managerapi.WithHTTPClient(t.frames.http))
}

// myJob finds a job the menu lists under a listed Manager.
func (t *tray) myJob(managerID, jobID string) (discovery.Manager, managerapi.Job, bool) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	jobs := t.farms.summaries()[managerID].Summary.MyJobs
	i := slices.IndexFunc(jobs, func(j managerapi.Job) bool { return j.ID == jobID })
	if !ok || i < 0 {
		return m, managerapi.Job{}, false
	}
	return m, jobs[i], true
}

// jobAction asks the Manager to pause, resume, requeue or, once the user confirmed, cancel a job.
func (t *tray) jobAction(managerID, jobID string, action farm.JobAction) {
	m, job, ok := t.myJob(managerID, jobID)
	if !ok || t.owner.ctx.Err() != nil {
		t.log.Warn().Str("job", jobID).Msg("the job clicked is no longer listed")
		return
	}
	t.failures.seen(managerID, jobID)
	t.requestRebuild()
	name := managerapi.CleanText(job.Name, maxJobNameRunes)
	if action != farm.Cancel {
		t.sendJobAction(m, job.ID, name, action)
		return
	}
	t.windows.ShowCancel(job.ID, name, NotificationLabel(m), func() {
		// The window may have stayed open while the job went on: the Manager would cancel even a
		// completed job, so its state now decides.
		_, now, listed := t.myJob(managerID, jobID)
		if why := stillCancelable(now, listed); why != "" {
			t.log.Info().Str("job", jobID).Msg("not canceled: the job is no longer cancelable")
			t.windows.ShowRefusal("“"+name+"” was not canceled", why)
			return
		}
		t.sendJobAction(m, job.ID, name, action)
	})
}

func (t *tray) sendJobAction(m discovery.Manager, jobID, name string, action farm.JobAction) {
	reason := action.Reason(t.settings.Load().Identity.UserName)
	t.owner.Go(func() {
		err := t.managerClient(m.URL).SetJobStatus(t.owner.ctx, jobID, action.Status(), reason)
		log := t.log.With().Str("job", jobID).Str("action", string(action)).Str("manager", m.URL).Logger()
		if err == nil {
			log.Info().Msg("asked the Manager to change a job's status")
			return
		}
		log.Warn().Err(err).Msg("the Manager did not change a job's status")
		title := fmt.Sprintf("Could not %s “%s”", action, name)
		fyne.Do(func() { t.windows.ShowRefusal(title, refusalWords(NotificationLabel(m), err)) })
	})
}

// refusalWords say why a Manager did not do what was asked, in its own words where it gave some.
func refusalWords(manager string, err error) string {
	var apiErr *managerapi.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Message != "":
		return fmt.Sprintf("%s answered: %s", manager, apiErr.Message)
	case errors.As(err, &apiErr):
		return fmt.Sprintf("%s answered %d %s.", manager, apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	}
	return fmt.Sprintf("%s could not be asked: %v", manager, err)
}

// showFrame opens a job's last rendered frame, full size, in the browser (which shows JPEGs), or
// says that it has none yet.
func (t *tray) showFrame(managerID, jobID string) {
	m, job, ok := t.myJob(managerID, jobID)
	if !ok || t.owner.ctx.Err() != nil {
		return
	}
	t.failures.seen(managerID, jobID)
	t.requestRebuild()
	name := managerapi.CleanText(job.Name, maxJobNameRunes)
	t.owner.Go(func() {
		client := t.managerClient(m.URL)
		where, err := client.LastRendered(t.owner.ctx, jobID)
		if err != nil {
			t.log.Warn().Err(err).Str("job", jobID).Msg("cannot ask for a job's last frame")
			title := "Could not show the last frame of “" + name + "”"
			fyne.Do(func() { t.windows.ShowRefusal(title, refusalWords(NotificationLabel(m), err)) })
			return
		}
		page, err := managerapi.FrameURL(client.BaseURL(), where, managerapi.FrameFull)
		if err != nil { // 204: nothing rendered yet
			words := NotificationLabel(m) + " has no rendered frame of it yet."
			fyne.Do(func() { t.windows.ShowRefusal("No frame of “"+name+"” yet", words) })
			return
		}
		t.openURL(page)
	})
}
