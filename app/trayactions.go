package app

import (
	"fmt"
	"time"

	"github.com/pkg/browser"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// What the menu's items and the windows' buttons do. They run on Fyne's main goroutine and return
// at once: slow work goes to a goroutine of the tray's owner.

// actions are what the menu's items do.
func (t *tray) actions() MenuActions {
	return MenuActions{
		Open:            t.open,
		Refresh:         func() { t.browser.Refresh(); t.local.SearchAgain() }, // "Search again"
		AddByURL:        t.windows.ShowManual,
		ToggleAdvertise: t.local.Toggle,
		Settings:        t.windows.ShowSettings,
		About:           t.windows.ShowAbout,
		Quit:            t.app.Quit,
		OpenJob:         t.openJob,
		ShowFrame:       t.showFrame,
		JobAction:       t.jobAction,
		ToggleWatch:     t.toggleWatch,
		HowToTagJobs:    func() { t.openURL(IdentityHelpURL) },
		StartWorker:     t.startWorker,
		StopWorker: func(managerID string, afterThisTask bool) {
			t.workers.stop(t.owner.ctx, managerID, afterThisTask)
		},
		ToggleLending: t.toggleLending,
		NotTonight: func(managerID string) {
			if lender := t.lending.lender(managerID); lender != nil {
				lender.NotTonight(time.Now())
			}
			t.requestRebuild()
		},
		LendTonight: func(managerID string) {
			if lender := t.lending.lender(managerID); lender != nil {
				lender.LendTonight()
			}
			t.requestRebuild()
		},
	}
}

// toggleLending turns lending this computer to a listed Manager's farm on or off, and remembers
// the choice (Fyne's main goroutine).
func (t *tray) toggleLending(managerID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok || t.owner.ctx.Err() != nil {
		return
	}
	on := !t.lending.lendsTo(m.URL)
	settings.SetLendTo(t.app.Preferences(), m.URL, on)
	t.lending.set(m, on)
	t.requestRebuild()
}

// openJob opens a job of a listed Manager in its web UI (Fyne's main goroutine).
func (t *tray) openJob(managerID, jobID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok {
		t.log.Warn().Str("id", managerID).Msg("the Manager of the job clicked is no longer listed")
		return
	}
	t.failures.seen(managerID, jobID)
	t.requestRebuild()
	t.openURL(managerapi.JobURL(m.URL, jobID))
}

// startWorker runs a Worker on this computer for a listed Manager (Fyne's main goroutine).
func (t *tray) startWorker(managerID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok || t.owner.ctx.Err() != nil {
		return
	}
	t.workers.start(t.owner.ctx, m, t.settings.Load().WorkerPath)
	// Its Supervisor may have been replaced (the Worker program changed): lending drives the new one.
	t.lending.requestSync()
	t.requestRebuild()
}

// toggleWatch starts or stops watching a job, and remembers the choice.
func (t *tray) toggleWatch(managerID, jobID string) {
	watched := t.farms.toggleWatch(jobID)
	settings.SetWatchedJobs(t.app.Preferences(), watched)
	t.requestRebuild()
}

// openURL opens a page in the browser from an owned goroutine (pkg/browser waits for xdg-open), and
// says so when it cannot.
func (t *tray) openURL(url string) {
	if t.owner.ctx.Err() != nil {
		return
	}
	t.log.Info().Str("url", url).Msg("opening in the browser")
	t.owner.Go(func() {
		if err := browser.OpenURL(url); err != nil {
			t.log.Error().Err(err).Str("url", url).Msg("cannot open a browser")
			t.transport.Show("Cannot open a browser", fmt.Sprintf("Open %s in your browser.", url), "", nil)
		}
	})
}

// open opens a listed Manager's web UI at its URL now (it may have changed without a visible change
// to its item).
func (t *tray) open(managerID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok {
		t.log.Warn().Str("id", managerID).Msg("the Manager clicked is no longer listed")
		return
	}
	t.log.Info().Str("name", m.Name).Msg("opening the Manager's web UI")
	t.openURL(m.URL)
}

// manual is what the window of Managers added by hand lists and does (Fyne's main goroutine). A
// Manager IT set stays checked when the user removes their own copy of it.
func (t *tray) manual() ([]string, manualActions) {
	ctx := t.owner.ctx
	return settings.ManualManagers(t.app.Preferences()), manualActions{
		Go:      t.owner.Go,
		Verify:  t.advertiser.Check,
		SetByIT: t.machine,
		Add: func(url string) {
			settings.AddManualManager(t.app.Preferences(), url)
			t.owner.Go(func() {
				if err := t.browser.AddManual(ctx, url); err != nil {
					t.log.Error().Err(err).Str("url", url).Msg("cannot add the Manager")
				}
			})
		},
		Remove: func(url string) {
			settings.RemoveManualManager(t.app.Preferences(), url)
			if t.machine.Has(url) {
				return
			}
			t.owner.Go(func() {
				if err := t.browser.RemoveManual(ctx, url); err != nil {
					t.log.Warn().Err(err).Str("url", url).Msg("cannot remove the Manager")
				}
			})
		},
	}
}

// saveSettings keeps and applies settings saved in the Settings window (Fyne's main goroutine). It
// waits for nothing: start at login and lending are applied on their own goroutines.
func (t *tray) saveSettings(s Settings) {
	t.settings.Store(&s)
	settings.Save(t.app.Preferences(), s)
	// Applied on every save, not only when the preference changed: the entry may have been changed
	// by "flamenco-tray autostart", or start another copy of this program.
	poke(t.loginCh)
	t.local.SetURL(s.LocalManagerURL)
	t.notices.SetEnabled(s.Notifications, s.JobNotifications)
	t.farms.setIdentity(s.Identity)
	t.lending.setPolicy(s.Lending.Policy(true)) // and the Worker program may have changed: a sync
	t.requestRebuild()
}

// applyStartAtLogin applies the start at login saved last, off Fyne's main goroutine (macOS runs
// launchctl), one change at a time: saves made during a change merge into the next (loginCh), so
// the last save wins.
func (t *tray) applyStartAtLogin(struct{}) {
	if err := setStartAtLogin(t.settings.Load().StartAtLogin); err != nil {
		t.log.Error().Err(err).Msg("cannot change start at login")
		t.transport.Show("Start at login was not changed", "The log says why.", "", nil)
	}
}
