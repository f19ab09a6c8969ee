package app

import (
	"context"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/clock"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/idle"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// tray wires discovery, the farms, the local Manager, notifications and windows to one menu,
// rebuilt whole on every change (Fyne's tray menu has no partial update that all hosts honour).
//
// Concurrency: every field is set by newTray and never reassigned; settings is replaced whole (an
// atomic pointer). What changes lives in the components, each under the rule written at its top;
// the order their locks are taken in is in docs/architecture.md ("Lock order").
type tray struct {
	app      fyne.App
	desk     desktop.App // nil without tray support
	log      zerolog.Logger
	opts     Options
	owner    *owner
	cancel   context.CancelFunc // ends owner's context
	settings atomic.Pointer[Settings]
	// machine are the Managers IT set for every user of this computer, read once at start.
	machine machineconfig.Managers

	browser    *discovery.Browser
	advertiser *discovery.Advertiser
	farms      *farmSet
	workers    *workerSet
	lending    *lendingSet
	idle       *desktopIdle
	local      *localManager
	notices    *notifier
	transport  *desktopNotifications
	frames     *jobFrames
	failures   *unseenFailures
	windows    *windows
	surface    *traySurface
	rebuildCh  chan struct{}
	loginCh    chan struct{} // 1 slot: applyStartAtLogin applies the saved start at login
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
		loginCh:    make(chan struct{}, 1),
		machine:    machineconfig.ReadManagers(),
	}
	t.machine.LogProblems(t.log)
	t.settings.Store(&current)
	if desk, ok := a.(desktop.App); ok {
		t.desk = desk
	}
	t.browser = discovery.NewBrowser(browserConfig(opts.Logger, a.Preferences(), t.machine))
	t.local = newLocalManager(t.log, t.owner, t.advertiser, current.LocalManagerURL, t.requestRebuild)
	t.failures = newUnseenFailures()
	t.transport = newDesktopNotifications(a, t.log, t.owner, func(url string) {
		t.failures.seenAt(url) // a click on a failed job's notification
		t.requestRebuild()
		t.openURL(url)
	})
	t.notices = newNotifier(notifierConfig{Log: t.log, ManagersOn: current.Notifications, JobsOn: current.JobNotifications,
		Show: t.showNews})
	t.frames = newJobFrames(t.log, t.owner, clock.System{}, t.requestRebuild)
	t.farms = newFarmSet(opts.Logger, current.Identity, settings.WatchedJobs(a.Preferences()),
		func(s farm.Summary) { t.frames.see(s); t.requestRebuild() },
		func(m discovery.Manager, e farm.Event) { t.failures.event(m.ID, m.URL, e); t.notices.JobEvent(m, e) },
		t.browser.Vouch)
	t.workers = newWorkerSet(opts.Logger, t.owner.Go, t.requestRebuild)
	t.idle = newDesktopIdle(t.log, idle.Open)
	t.lending = newLendingSet(lendingConfig{Log: opts.Logger, Ctx: ctx, GoOwned: t.owner.Go,
		Listed: func() []discovery.Manager { return t.browser.State().Managers },
		WorkerFor: func(m discovery.Manager) (lending.Worker, error) {
			return t.workers.supervisorFor(ctx, m, t.settings.Load().WorkerPath)
		},
		ReadIdle: t.idle.Read,
		LendTo:   settings.LendTo(a.Preferences()), Policy: current.Lending.Policy(true),
		OnChange: t.requestRebuild, OnBack: t.notices.WelcomeBack})
	t.windows = newWindows(ctx, a, t.log, opts.Version, opts.LogPath, windowActions{
		Settings:     func() Settings { return *t.settings.Load() },
		SaveSettings: t.saveSettings,
		Connections:  func() []string { return connectionLines(t.browser.State().Managers, t.farms.summaries()) },
		Manual:       t.manual,
		Notify:       func(title, body string) { t.transport.Show(title, body, "", nil) },
	})
	t.surface = newTraySurface(t.desk, t.log, t.windows.SetMenu)
	return t
}

// showNews shows a notification the notifier decided on: one about a job's end with the job's last
// rendered frame, fetched first for at most frameNoticeWait.
func (t *tray) showNews(n news) {
	if n.Frame == (frameKey{}) {
		t.transport.Show(n.Title, n.Body, n.Open, nil)
		return
	}
	t.owner.Go(func() { t.transport.Show(n.Title, n.Body, n.Open, t.frames.forNotice(n.Frame.manager, n.Frame.job)) })
}

// browserConfig has the Browser check at once the Managers remembered from earlier runs, and
// those IT set for every user of this computer with those the user added by hand, each once.
func browserConfig(log zerolog.Logger, prefs settings.Store, machine machineconfig.Managers) discovery.BrowserConfig {
	return discovery.BrowserConfig{
		Logger:     log,
		KnownURLs:  settings.KnownManagers(prefs),
		ManualURLs: machine.With(settings.ManualManagers(prefs)),
	}
}

// run starts discovery, shows the tray (or the fallback window) and runs Fyne's loop until quit.
func (t *tray) run() {
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
	t.owner.Go(func() { t.idle.Run(ctx) })
	t.owner.Go(t.lending.Run)
	t.owner.Go(func() { forEach(ctx, t.loginCh, t.applyStartAtLogin) })
	t.owner.Go(func() { t.notices.Run(ctx) })
	// Opening the menu, which shows every job's state, is the user seeing their failed jobs. The
	// panel tells fyne.io/systray on Linux and macOS; on Windows opening the job or its notice does.
	t.owner.Go(func() {
		forEach(ctx, systray.TrayOpenedCh, func(struct{}) {
			t.failures.seenAll()
			t.requestRebuild()
		})
	})
	t.owner.Go(func() { rebuildLoop(ctx, t.rebuildCh, t.snapshot, t.actions(), t.surface) })
	t.owner.Go(func() {
		forEach(ctx, t.opts.ShowRequests, func(struct{}) { // another launch of the tray asks
			t.log.Info().Msg("Flamenco Tray was started again; showing this one")
			fyne.Do(t.windows.ShowItself)
		})
	})
	t.owner.Go(func() { t.transport.sender.run(ctx) }) // Linux: follows the daemon's clicks
	// Quit when ctx ends (SIGTERM, or the caller); Fyne's own loop owns the main goroutine.
	t.owner.Go(func() {
		<-ctx.Done()
		fyne.Do(t.app.Quit)
	})

	t.surface.Show(buildView(t.snapshot(), t.actions()))
	hosts := trayHostWatch{log: t.log, owner: t.owner, hasTray: t.desk != nil, watch: watchTrayHost,
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
	t.advertiser.Stop()
	// The Workers run here sign off as the context ended; wait for them to be gone.
	t.workers.wait()
	t.farms.stop()
	t.owner.wait()
}

func (t *tray) requestRebuild() {
	poke(t.rebuildCh)
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
		f.UnseenFailed = t.failures.of(id)
		f.Frames = t.frames.icons(f.Summary.Manager)
		farms[id] = f
	}
	local, adv := t.local.State()
	return MenuState{Discovery: t.browser.State(), Local: local, Advertising: adv, Farms: farms, Workers: workers,
		Lending: t.lending.statuses(), SetByIT: t.machine}
}

// rebuildLoop shows a view built from a snapshot on each request, until ctx ends. The view is built
// here; only showing it runs on Fyne's main goroutine.
func rebuildLoop(ctx context.Context, requests <-chan struct{}, snapshot func() MenuState, actions MenuActions, surface *traySurface) {
	forEach(ctx, requests, func(struct{}) {
		view := buildView(snapshot(), actions)
		fyne.Do(func() {
			if ctx.Err() == nil {
				surface.Show(view)
			}
		})
	})
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
			t.lending.requestSync()
			continue
		case e, ok = <-events:
			if !ok {
				return
			}
		}
		t.log.Debug().Str("event", string(e.Kind)).Str("id", e.Manager.ID).Msg("discovery event")
		t.farms.sync(ctx, t.browser.State().Managers)
		t.lending.requestSync()
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
