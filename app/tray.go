package app

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// tray wires discovery, the farms, the local Manager, notifications and windows to one menu. The
// menu is rebuilt whole from a snapshot of their states on every change (Fyne's tray menu has no
// partial update that all hosts honour), and rebuild requests merge in a 1-slot channel so bursts of
// events cost one rebuild and senders never block.
//
// Concurrency: every field is set by newTray and never changed after, except settings, replaced
// whole (an atomic pointer). What changes lives in the components, each under the rule written at
// its top: localManager, notifier, desktopNotifications, windows, traySurface, trayHostWatch,
// farmSet, workerSet.
type tray struct {
	app      fyne.App
	desk     desktop.App // nil without tray support
	log      zerolog.Logger
	opts     Options
	owner    *owner
	cancel   context.CancelFunc // ends owner's context
	settings atomic.Pointer[Settings]

	browser     *discovery.Browser
	advertiser  *discovery.Advertiser
	farms       *farmSet
	workers     *workerSet
	local       *localManager
	notices     *notifier
	transport   *desktopNotifications
	windows     *windows
	surface     *traySurface
	autostartMu sync.Mutex // one change of start at login at a time
	rebuildCh   chan struct{}
}

// newTray makes the tray for a; it runs until ctx ends or the user quits.
func newTray(ctx context.Context, a fyne.App, opts Options) *tray {
	ctx, cancel := context.WithCancel(ctx)
	current := settings.Load(a.Preferences())
	t := &tray{
		app:        a,
		log:        opts.Logger.With().Str("component", "tray").Logger(),
		opts:       opts,
		owner:      newOwner(ctx),
		cancel:     cancel,
		advertiser: discovery.NewAdvertiser(opts.Logger),
		rebuildCh:  make(chan struct{}, 1),
	}
	t.settings.Store(&current)
	if desk, ok := a.(desktop.App); ok {
		t.desk = desk
	}
	t.browser = discovery.NewBrowser(discovery.BrowserConfig{
		Logger:     opts.Logger,
		KnownURLs:  settings.KnownManagers(a.Preferences()),
		ManualURLs: settings.ManualManagers(a.Preferences()),
	})
	t.local = newLocalManager(localManagerConfig{Log: t.log, Owner: t.owner, Advertiser: t.advertiser,
		URL: current.LocalManagerURL, Changed: t.requestRebuild})
	t.transport = newDesktopNotifications(a, t.log, t.owner, t.openURL)
	t.notices = newNotifier(notifierConfig{Log: t.log, Show: t.transport.Show, ManagersOn: current.Notifications,
		JobsOn: current.JobNotifications})
	t.farms = newFarmSet(opts.Logger, current.Identity, settings.WatchedJobs(a.Preferences()),
		t.requestRebuild, t.notices.JobEvent, t.browser.Vouch)
	t.workers = newWorkerSet(opts.Logger, t.owner.Go, t.requestRebuild, opts.LogPath)
	t.windows = newWindows(ctx, a, t.log, opts.Version, opts.LogPath, windowActions{
		Settings:     func() Settings { return *t.settings.Load() },
		SaveSettings: t.saveSettings,
		Connections:  func() []string { return connectionLines(t.browser.State().Managers, t.farms.summaries()) },
		Manual:       t.manual,
	})
	t.surface = newTraySurface(t.desk, t.log, t.windows.SetMenu)
	return t
}

// run starts discovery, shows the tray (or the fallback window) and runs Fyne's loop until quit.
func (t *tray) run() error {
	defer t.cancel()
	ctx := t.owner.ctx
	events, unsubscribe := t.browser.Subscribe()
	defer unsubscribe()
	t.owner.Go(func() {
		// A Browser that cannot start says why in its State, which the menu shows.
		if err := t.browser.Run(ctx); err != nil {
			t.log.Error().Err(err).Msg("cannot search for Managers")
			t.requestRebuild()
		}
	})
	t.owner.Go(func() { t.followEvents(ctx, events) })
	t.owner.Go(func() { t.local.Run(ctx) })
	t.owner.Go(func() { t.notices.Run(ctx) })
	t.owner.Go(func() { rebuildLoop(ctx, t.rebuildCh, t.snapshot, t.actions(), t.surface) })
	t.owner.Go(func() { t.followShowRequests(ctx) })
	t.owner.Go(t.transport.Run)
	// Quit when ctx ends (SIGTERM, or the caller); Fyne's own loop owns the main goroutine.
	t.owner.Go(func() {
		<-ctx.Done()
		fyne.Do(t.app.Quit)
	})

	t.surface.Show(buildView(t.snapshot(), t.actions()))
	hosts := trayHostWatch{log: t.log, owner: t.owner, clock: discovery.SystemClock{}, hasTray: t.desk != nil, watch: watchTrayHost,
		show: func(visible bool) {
			fyne.Do(func() {
				if ctx.Err() == nil {
					t.windows.ShowFallback(visible)
				}
			})
		}}
	t.owner.Go(hosts.Run)

	t.app.Run()

	if t.opts.Quitting != nil {
		t.opts.Quitting()
	}
	t.cancel()
	// Stop advertising first: it sends byebye so nobody keeps a dead LOCATION for an hour.
	t.local.StopAdvertising()
	// The Workers run here sign off as the context ended; wait for them to be gone.
	t.workers.wait()
	t.farms.stop()
	t.owner.wait()
	return nil
}

func (t *tray) requestRebuild() {
	select {
	case t.rebuildCh <- struct{}{}:
	default:
	}
}

func (t *tray) snapshot() MenuState {
	unavailable := workerUnavailable(t.settings.Load().WorkerPath)
	workers := t.workers.states(unavailable)
	farms := t.farms.summaries()
	for id, f := range farms {
		w, ok := workers[id]
		if !ok {
			w = LocalWorker{Unavailable: unavailable}
		}
		f.Worker = w
		farms[id] = f
	}
	local, adv := t.local.State()
	return MenuState{Discovery: t.browser.State(), Local: local, Advertising: adv, Farms: farms, Workers: workers}
}

func (t *tray) actions() MenuActions {
	return MenuActions{
		Open:            t.open,
		Refresh:         t.refresh,
		AddByURL:        t.windows.ShowManual,
		ToggleAdvertise: t.local.Toggle,
		Settings:        t.windows.ShowSettings,
		About:           t.windows.ShowAbout,
		Quit:            t.app.Quit,
		OpenJob:         t.openJob,
		ToggleWatch:     t.toggleWatch,
		HowToTagJobs:    func() { t.openURL(IdentityHelpURL) },
		StartWorker:     t.startWorker,
		StopWorker: func(managerID string, afterThisTask bool) {
			t.workers.stop(t.owner.ctx, managerID, afterThisTask)
		},
	}
}

// rebuildLoop shows a view built from a snapshot on each request, until ctx ends. The view is built
// here; only showing it runs on Fyne's main goroutine.
func rebuildLoop(ctx context.Context, requests <-chan struct{}, snapshot func() MenuState, actions MenuActions, surface *traySurface) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-requests:
		}
		view := buildView(snapshot(), actions)
		fyne.Do(func() {
			if ctx.Err() == nil {
				surface.Show(view)
			}
		})
	}
}

// followShowRequests answers other launches of the tray (Options.ShowRequests) until ctx ends.
func (t *tray) followShowRequests(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.opts.ShowRequests: // nil: never
			t.log.Info().Msg("Flamenco Tray was started again; showing this one")
			fyne.Do(t.windows.ShowItself)
		}
	}
}

// followEvents turns discovery events into menu rebuilds, remembered Managers and notifications,
// until ctx ends or the Browser closes its events.
func (t *tray) followEvents(ctx context.Context, events <-chan discovery.Event) {
	// Without events (the list is quiet), the watchers of Managers gone an hour ago still stop.
	resync := time.NewTicker(keepWatchingGone / 12)
	defer resync.Stop()
	for {
		var e discovery.Event
		var ok bool
		select {
		case <-ctx.Done():
			return
		case <-resync.C:
			t.farms.sync(ctx, t.browser.State().Managers)
			continue
		case e, ok = <-events:
			if !ok {
				return
			}
		}
		t.log.Debug().Str("event", string(e.Kind)).Str("id", e.Manager.ID).Msg("discovery event")
		t.farms.sync(ctx, t.browser.State().Managers)
		t.requestRebuild()
		switch e.Kind {
		case discovery.SearchWindowClosed:
			t.notices.SearchWindowClosed()
		case discovery.ManagerAppeared:
			url := e.Manager.URL
			fyne.Do(func() { settings.RememberManager(t.app.Preferences(), url) })
			t.notices.ManagerFound(e.Manager)
		case discovery.ManagerGone:
			t.notices.ManagerGone(e.Manager)
		}
	}
}

func (t *tray) refresh() {
	t.browser.Refresh()
	t.local.SearchAgain()
}

// openJob opens a job of a listed Manager in its web UI (Fyne's main goroutine).
func (t *tray) openJob(managerID, jobID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok {
		t.log.Warn().Str("id", managerID).Msg("the Manager of the job clicked is no longer listed")
		return
	}
	t.openURL(managerapi.JobURL(m.URL, jobID))
}

// startWorker runs a Worker on this computer for a listed Manager (Fyne's main goroutine).
func (t *tray) startWorker(managerID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok || t.owner.ctx.Err() != nil {
		return
	}
	t.workers.start(t.owner.ctx, m, t.settings.Load().WorkerPath)
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
		if err := t.opts.OpenURL(url); err != nil {
			t.log.Error().Err(err).Str("url", url).Msg("cannot open a browser")
			notification := fyne.NewNotification("Cannot open a browser", fmt.Sprintf("Open %s in your browser.", url))
			fyne.Do(func() { t.app.SendNotification(notification) })
		}
	})
}

// open opens a listed Manager's web UI at its URL now (it may have changed without a visible change
// to its item). It runs on Fyne's main goroutine, so the browser starts in an owned goroutine:
// pkg/browser waits for xdg-open.
func (t *tray) open(managerID string) {
	m, ok := managerByID(t.browser.State().Managers, managerID)
	if !ok {
		t.log.Warn().Str("id", managerID).Msg("the Manager clicked is no longer listed")
		return
	}
	t.log.Info().Str("name", m.Name).Msg("opening the Manager's web UI")
	t.openURL(m.URL)
}

// manual is what the window of Managers added by hand lists and does (Fyne's main goroutine).
func (t *tray) manual() ([]string, manualActions) {
	ctx := t.owner.ctx
	return settings.ManualManagers(t.app.Preferences()), manualActions{
		Go:     t.owner.Go,
		Verify: t.advertiser.Check,
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
			t.owner.Go(func() {
				if err := t.browser.RemoveManual(ctx, url); err != nil {
					t.log.Warn().Err(err).Str("url", url).Msg("cannot remove the Manager")
				}
			})
		},
	}
}

// saveSettings keeps and applies settings saved in the Settings window (Fyne's main goroutine).
func (t *tray) saveSettings(s Settings) {
	t.settings.Store(&s)
	settings.Save(t.app.Preferences(), s)
	// Applied on every save, not only when the preference changed: the entry may have been changed
	// by "flamenco-tray autostart", or start another copy of this program.
	if autostartSupported() {
		// Off the main goroutine (macOS runs launchctl), one change at a time, each applying the
		// latest saved choice, so the last save wins whatever order these run in.
		t.owner.Go(func() {
			t.autostartMu.Lock()
			defer t.autostartMu.Unlock()
			if err := setStartAtLogin(t.settings.Load().StartAtLogin); err != nil {
				t.log.Error().Err(err).Msg("cannot change start at login")
				notification := fyne.NewNotification("Start at login was not changed", "The log says why.")
				fyne.Do(func() { t.app.SendNotification(notification) })
			}
		})
	}
	t.local.SetURL(s.LocalManagerURL)
	t.notices.SetEnabled(s.Notifications, s.JobNotifications)
	t.farms.setIdentity(s.Identity)
	t.requestRebuild()
}
