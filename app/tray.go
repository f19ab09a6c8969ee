package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

const (
	// localCheckInterval is how often the Manager on this machine is checked (HTTP on localhost).
	localCheckInterval = 10 * time.Second
	// notifyAfter is how long after the first search window notifications stay quiet: Managers found
	// at start are the normal state, not news.
	notifyAfter = 3 * time.Second
)

// tray owns the app's state under one mutex. The menu is rebuilt whole from that state on every
// change (Fyne's tray menu has no partial update that all hosts honour), and rebuild requests merge
// in a 1-slot channel so bursts of events cost one rebuild and senders never block.
type tray struct {
	app        fyne.App
	desk       desktop.App // nil without tray support
	log        zerolog.Logger
	opts       Options
	browser    *discovery.Browser
	advertiser *discovery.Advertiser
	farms      *farmSet
	workers    *workerSet

	rebuildCh    chan struct{}
	localCheckCh chan struct{}
	wg           sync.WaitGroup
	autostartMu  sync.Mutex // one change of start at login at a time
	ctx          context.Context

	mu           sync.Mutex
	settings     Settings
	local        LocalManager
	adv          Advertising
	toggling     bool
	notifyFrom   time.Time    // zero until the first search window closed
	notifyLimit  *notifyLimit // the Managers' notifications
	jobNotices   *jobNotices
	clicks       *clickNotifier
	jobFlushDue  bool // a goroutine will flush jobNotices
	settingsOpen fyne.Window
	manualOpen   fyne.Window // Fyne's main goroutine only
	aboutOpen    fyne.Window // Fyne's main goroutine only

	// Under mu too: the last M-SEARCH to this machine (see checkLocal), whom it asked about, what it
	// found, and whether "Search again" asks for another.
	localSearched  localIdentity
	selfAdvertised bool
	localSearchDue bool

	// Fyne's main goroutine only: the window shown without a tray host and whether it is on
	// screen, what show put on screen last, and how many menus it sent.
	fallback      fyne.Window
	fallbackShown bool
	shown         *trayView
	menusSent     int
	trayMenu      *fyne.Menu // the one menu given to Fyne
}

func newTray(a fyne.App, opts Options) *tray {
	current := settings.Load(a.Preferences())
	t := &tray{
		app:          a,
		log:          opts.Logger.With().Str("component", "tray").Logger(),
		opts:         opts,
		advertiser:   discovery.NewAdvertiser(opts.Logger),
		rebuildCh:    make(chan struct{}, 1),
		localCheckCh: make(chan struct{}, 1),
		notifyLimit:  defaultNotifyLimit(),
		jobNotices:   newJobNotices(),
		clicks:       newClickNotifier(opts.Logger, a.UniqueID(), notificationIcon),
		settings:     current,
		local:        LocalManager{URL: current.LocalManagerURL},
	}
	t.browser = discovery.NewBrowser(discovery.BrowserConfig{
		Logger:     opts.Logger,
		KnownURLs:  settings.KnownManagers(a.Preferences()),
		ManualURLs: settings.ManualManagers(a.Preferences()),
	})
	t.farms = newFarmSet(opts.Logger, current.Identity, settings.WatchedJobs(a.Preferences()),
		t.requestRebuild, t.notifyJob, t.browser.Vouch)
	t.workers = newWorkerSet(opts.Logger, t.goOwned, t.requestRebuild, opts.LogPath)
	if desk, ok := a.(desktop.App); ok {
		t.desk = desk
	}
	return t
}

// run starts discovery, shows the tray (or the fallback window) and runs Fyne's loop until quit.
func (t *tray) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	t.ctx = ctx
	defer cancel()

	events, unsubscribe := t.browser.Subscribe()
	defer unsubscribe()
	t.goOwned(func() {
		// A Browser that cannot start says why in its State, which the menu shows.
		if err := t.browser.Run(ctx); err != nil {
			t.log.Error().Err(err).Msg("cannot search for Managers")
			t.requestRebuild()
		}
	})
	t.goOwned(func() { t.followEvents(ctx, events) })
	t.goOwned(func() { t.watchLocal(ctx) })
	t.goOwned(func() { t.rebuildLoop(ctx) })
	t.goOwned(func() { t.followShowRequests(ctx) })
	t.goOwned(func() { t.clicks.run(ctx) })
	// Quit when ctx ends (SIGTERM, or the caller); Fyne's own loop owns the main goroutine.
	t.goOwned(func() {
		<-ctx.Done()
		fyne.Do(t.app.Quit)
	})

	t.show(buildView(t.snapshot(), t.actions()))
	t.goOwned(func() { t.followTrayHost(ctx) })

	t.app.Run()

	if t.opts.Quitting != nil {
		t.opts.Quitting()
	}
	cancel()
	// Stop advertising first: it sends byebye so nobody keeps a dead LOCATION for an hour.
	t.advertiser.Stop()
	// The Workers run here sign off as the context ended; wait for them to be gone.
	t.workers.wait()
	t.farms.stop()
	t.wg.Wait()
	return nil
}

// goOwned runs fn in a goroutine that run waits for.
func (t *tray) goOwned(fn func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		fn()
	}()
}

func (t *tray) requestRebuild() {
	select {
	case t.rebuildCh <- struct{}{}:
	default:
	}
}

func (t *tray) requestLocalCheck() {
	select {
	case t.localCheckCh <- struct{}{}:
	default:
	}
}

func (t *tray) snapshot() MenuState {
	t.mu.Lock()
	workerPath := t.settings.WorkerPath
	t.mu.Unlock()
	unavailable := workerUnavailable(workerPath)
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
	t.mu.Lock()
	defer t.mu.Unlock()
	return MenuState{Discovery: t.browser.State(), Local: t.local, Advertising: t.adv, Farms: farms, Workers: workers}
}

func (t *tray) actions() MenuActions {
	return MenuActions{
		Open:            t.open,
		Refresh:         t.refresh,
		AddByURL:        t.showManual,
		ToggleAdvertise: t.toggleAdvertise,
		Settings:        t.showSettings,
		About:           t.showAbout,
		Quit:            t.app.Quit,
		OpenJob:         t.openJob,
		ToggleWatch:     t.toggleWatch,
		HowToTagJobs:    func() { t.openURL(IdentityHelpURL) },
		StartWorker:     t.startWorker,
		StopWorker:      func(managerID string, afterThisTask bool) { t.workers.stop(t.ctx, managerID, afterThisTask) },
	}
}

func (t *tray) rebuildLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.rebuildCh:
		}
		view := buildView(t.snapshot(), t.actions())
		fyne.Do(func() {
			if ctx.Err() == nil {
				t.show(view)
			}
		})
	}
}

// show puts a view on screen (Fyne's main goroutine), sending only what changed: a menu that looks
// and acts as the one shown keeps its item IDs, so a click on an ID just read still lands.
func (t *tray) show(view trayView) {
	if t.shown == nil || view.key != t.shown.key {
		if t.desk != nil {
			// Fyne's tray start-up re-applies the first menu it was given, after any later one: so
			// there is one menu, its items replaced, and the start-up shows the latest.
			if t.trayMenu == nil {
				t.trayMenu = fyne.NewMenu(view.menu.Label)
			}
			t.trayMenu.Items = view.menu.Items
			t.desk.SetSystemTrayMenu(t.trayMenu)
		}
		if t.fallback != nil {
			t.fallback.SetContent(fallbackContent(view.menu))
		}
		t.menusSent++
		t.log.Debug().Int("menus_sent", t.menusSent).Msg("tray menu sent")
	}
	if (t.shown == nil || view.icon != t.shown.icon) && t.desk != nil {
		t.desk.SetSystemTrayIcon(iconResource(view.icon))
	}
	t.shown = &view
}

// followShowRequests answers other launches of the tray (Options.ShowRequests) until ctx ends.
func (t *tray) followShowRequests(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.opts.ShowRequests: // nil: never
			t.log.Info().Msg("Flamenco Tray was started again; showing this one")
			fyne.Do(t.showItself)
		}
	}
}

// showItself (Fyne's main goroutine) is what a second launch gets: fyne.io/systray cannot open the
// tray menu from the app's side, so a notification says where the tray is; the fallback window, when
// it is in use, is shown and raised.
func (t *tray) showItself() {
	if t.ctx.Err() != nil {
		return // quitting: after Fyne's loop ended, fyne.Do runs this on the caller's goroutine
	}
	body := "Its menu is in the system tray."
	if t.fallbackShown {
		t.fallback.Show()
		t.fallback.RequestFocus()
		body = "Its window is open."
	}
	t.app.SendNotification(fyne.NewNotification("Flamenco Tray is already running", body))
}

// followEvents turns discovery events into menu rebuilds, remembered Managers and notifications.
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
			t.mu.Lock()
			if t.notifyFrom.IsZero() {
				t.notifyFrom = time.Now().Add(notifyAfter)
			}
			t.mu.Unlock()
		case discovery.ManagerAppeared:
			url := e.Manager.URL
			fyne.Do(func() { settings.RememberManager(t.app.Preferences(), url) })
			t.notify("Flamenco Manager found", fmt.Sprintf("%s at %s", NotificationLabel(e.Manager), e.Manager.URL), e.Manager.URL)
		case discovery.ManagerGone:
			t.notify("Flamenco Manager gone", fmt.Sprintf("%s no longer answers", NotificationLabel(e.Manager)), "")
		}
	}
}

// notify shows a notification about Managers, unless the user turned those off or the first
// search is still running (Managers found at start are not news). A click opens openURL.
func (t *tray) notify(title, content, openURL string) {
	t.mu.Lock()
	now := time.Now()
	quiet := t.notifyFrom.IsZero() || now.Before(t.notifyFrom) || !t.settings.Notifications
	t.mu.Unlock()
	if !quiet {
		t.sendNotification(title, content, openURL)
	}
}

// sendNotification shows a notification within the limit of notifications a minute; a click opens
// openURL ("": nothing) where the desktop allows.
func (t *tray) sendNotification(title, content, openURL string) {
	t.mu.Lock()
	limited := !t.notifyLimit.allow(time.Now())
	t.mu.Unlock()
	if limited {
		t.log.Info().Str("title", title).Str("content", content).Msg("too many notifications this minute; not showing this one")
		return
	}
	t.deliver(title, content, openURL)
}

// watchLocal checks the Manager on this machine regularly, and stops advertising (with byebye) when
// it stops answering.
func (t *tray) watchLocal(ctx context.Context) {
	ticker := time.NewTicker(localCheckInterval)
	defer ticker.Stop()
	for {
		t.checkLocal(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-t.localCheckCh:
		}
	}
}

func (t *tray) checkLocal(ctx context.Context) {
	t.mu.Lock()
	url := t.settings.LocalManagerURL
	searched, selfAdvertised, searchDue := t.localSearched, t.selfAdvertised, t.localSearchDue
	t.localSearchDue = false
	t.mu.Unlock()
	info, err := t.advertiser.Check(ctx, url)
	if ctx.Err() != nil {
		return
	}
	advertising := t.advertiser.Current() != nil
	local := LocalManager{URL: url}
	switch {
	case err != nil:
		// While advertising, the Advertiser itself notices and stops (see followAdvertising).
		t.log.Debug().Err(err).Msg("the local Manager does not answer")
		local.Problem = fmt.Sprintf("no Manager answers at %s", url)
		searched = localIdentity{} // ask again when it is back
	case advertising:
		// It would find our own advertisement; ask again once it ends.
		local.Info = &info
		searched = localIdentity{}
	default:
		local.Info = &info
		// Each M-SEARCH keeps the Manager's responder, shared with its Workers, busy: ask only when
		// the Manager (re)appeared or changed, and on "Search again".
		if identity := (localIdentity{url, info}); searchDue || identity != searched {
			selfAdvertised, searched = t.localManagerAdvertisesItself(ctx, url), identity
		}
		if selfAdvertised {
			local.Problem = fmt.Sprintf("“%s” already advertises itself", info.Name)
		}
	}
	t.mu.Lock()
	changed := t.local.URL != local.URL || t.local.Problem != local.Problem || (t.local.Info == nil) != (local.Info == nil) ||
		(local.Info != nil && *t.local.Info != *local.Info)
	t.local = local
	t.localSearched, t.selfAdvertised = searched, selfAdvertised
	t.mu.Unlock()
	if changed {
		t.requestRebuild()
	}
}

// localIdentity is the local Manager as the tray last asked about it; zero for none.
type localIdentity struct {
	url     string
	manager discovery.VersionInfo
}

// localManagerAdvertisesItself asks this machine over SSDP whether the local Manager advertises
// itself (its own discovery is on); when that cannot be told, the answer is no and Start will say.
func (t *tray) localManagerAdvertisesItself(ctx context.Context, url string) bool {
	advertised, err := discovery.AdvertisesItself(ctx, url)
	if err != nil {
		t.log.Warn().Err(err).Str("url", url).Msg("cannot tell whether the local Manager advertises itself")
		return false
	}
	t.log.Info().Str("url", url).Bool("advertises_itself", advertised).Msg("asked this machine for the local Manager over SSDP")
	return advertised
}

// toggleAdvertise starts or stops advertising the local Manager. It runs on Fyne's main goroutine,
// so the work (HTTP checks, byebye) happens in an owned goroutine.
func (t *tray) toggleAdvertise() {
	t.mu.Lock()
	if t.toggling || t.ctx.Err() != nil {
		t.mu.Unlock()
		return
	}
	t.toggling = true
	url := t.settings.LocalManagerURL
	t.mu.Unlock()
	t.goOwned(func() {
		defer func() {
			t.mu.Lock()
			t.toggling = false
			t.mu.Unlock()
			t.requestRebuild()
		}()
		if current := t.advertiser.Current(); current != nil {
			t.advertiser.Stop()
			<-current.Done() // Stop returns at once when it had just ended by itself
			t.logAdvertisingEnded(current)
			t.mu.Lock()
			t.adv = Advertising{}
			t.mu.Unlock()
			t.requestLocalCheck()
			return
		}
		ad, err := t.advertiser.Start(t.ctx, url)
		if err != nil {
			t.log.Error().Err(err).Msg("cannot advertise the local Manager")
			t.mu.Lock()
			t.adv = Advertising{Error: advertisingProblem(err, t.local)}
			t.mu.Unlock()
			return
		}
		t.log.Info().Strs("locations", ad.Locations).Str("name", ad.Manager.Name).Msg("advertising the local Manager")
		t.mu.Lock()
		t.adv = Advertising{Active: true, Name: ad.Manager.Name}
		t.mu.Unlock()
		t.goOwned(func() { t.followAdvertising(ad) })
	})
}

// followAdvertising waits for an advertisement to end and, when it ended by itself (the local
// Manager stopped answering), says so in the menu.
func (t *tray) followAdvertising(ad *discovery.Advertisement) {
	select {
	case <-t.ctx.Done():
		return
	case <-ad.Done():
	}
	reason := ad.StopReason()
	if reason == nil {
		return // stopped from the menu, which says so itself
	}
	t.logAdvertisingEnded(ad)
	t.mu.Lock()
	t.adv = Advertising{Error: advertisingProblem(reason, t.local)}
	t.mu.Unlock()
	t.requestLocalCheck()
	t.requestRebuild()
}

func (t *tray) logAdvertisingEnded(ad *discovery.Advertisement) {
	event := t.log.Info()
	if ad.StopReason() != nil || ad.ByebyeErr() != nil {
		event = t.log.Warn()
	}
	event.AnErr("reason", ad.StopReason()).AnErr("byebye", ad.ByebyeErr()).Bool("byebye_sent", ad.ByebyeErr() == nil).
		Msg("stopped advertising the local Manager")
}

// advertisingProblem is the one short sentence the menu shows for why advertising failed or stopped
// by itself; the details are in the log.
func advertisingProblem(err error, local LocalManager) string {
	switch {
	case errors.Is(err, discovery.ErrAlreadyAdvertised):
		if local.Info != nil {
			return fmt.Sprintf("“%s” already advertises itself", local.Info.Name)
		}
		return "The Manager already advertises itself"
	case errors.Is(err, discovery.ErrSSDPPortInUse):
		return "Cannot advertise: UDP 1900 is in use by another program"
	case errors.Is(err, discovery.ErrManagerNotOnLAN):
		return "Cannot advertise: the Manager listens on localhost only"
	case errors.Is(err, discovery.ErrManagerNotAnswering):
		return "Cannot advertise: the Manager does not answer"
	case errors.Is(err, discovery.ErrManagerStoppedAnswering):
		return "Advertising stopped: the Manager stopped answering"
	case errors.Is(err, discovery.ErrStopped):
		return ""
	default:
		return "Cannot advertise (details in the log)"
	}
}

func (t *tray) refresh() {
	t.browser.Refresh()
	t.mu.Lock()
	t.localSearchDue = true
	t.mu.Unlock()
	t.requestLocalCheck()
}

// notifyJob shows a notification when one of my (or a watched) jobs finished: once, whichever of
// the Manager's watchers reports it, and within the jobs' own budget (jobNotices).
func (t *tray) notifyJob(m discovery.Manager, e farm.Event) {
	if e.Kind != farm.JobFinished {
		return
	}
	t.mu.Lock()
	on := t.settings.JobNotifications
	var send *jobNotice
	var retryAt time.Time
	if on {
		send, retryAt = t.jobNotices.add(time.Now(), m, e)
	}
	t.mu.Unlock()
	t.log.Info().Str("job", e.Transition.Job.ID).Str("status", string(e.Transition.Job.Status)).Str("manager", m.URL).
		Bool("notify", on).Msg("a job of mine ended")
	t.showJobNotice(send)
	t.scheduleJobFlush(retryAt)
}

func (t *tray) showJobNotice(n *jobNotice) {
	if n != nil {
		t.deliver(n.Title, n.Body, n.Open)
	}
}

// deliver shows a notification; where the desktop reports clicks (Linux), a click opens openURL.
// Elsewhere, or when the notification daemon cannot, it is Fyne's (not clickable).
func (t *tray) deliver(title, body, openURL string) {
	fyneNotification := func() {
		notification := fyne.NewNotification(title, body)
		fyne.Do(func() { t.app.SendNotification(notification) })
	}
	if openURL == "" || t.ctx == nil {
		fyneNotification()
		return
	}
	ctx := t.ctx
	t.goOwned(func() {
		err := t.clicks.notify(ctx, title, body, func() { t.openURL(openURL) })
		switch {
		case err == nil:
		case errors.Is(err, errNoClicks):
			fyneNotification()
		case errors.Is(err, errUnsent):
			t.log.Debug().Err(err).Msg("a clickable notification could not be sent; sending a plain one")
			fyneNotification()
		default: // it may have been shown: a second one could be a duplicate
			t.log.Warn().Err(err).Str("title", title).Msg("notification")
		}
	})
}

// scheduleJobFlush sends the job notifications held back at at (zero: none are).
func (t *tray) scheduleJobFlush(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at.IsZero() || t.jobFlushDue {
		return
	}
	t.jobFlushDue = true
	ctx := t.ctx
	t.goOwned(func() {
		timer := time.NewTimer(time.Until(at))
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		t.mu.Lock()
		t.jobFlushDue = false
		send, retryAt := t.jobNotices.flush(time.Now())
		if !t.settings.JobNotifications { // turned off meanwhile: what was held is dropped
			send, retryAt = nil, time.Time{}
		}
		t.mu.Unlock()
		t.showJobNotice(send)
		t.scheduleJobFlush(retryAt)
	})
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
	if !ok || t.ctx.Err() != nil {
		return
	}
	t.mu.Lock()
	workerPath := t.settings.WorkerPath
	t.mu.Unlock()
	t.workers.start(t.ctx, m, workerPath)
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
	if t.ctx.Err() != nil {
		return
	}
	t.log.Info().Str("url", url).Msg("opening in the browser")
	t.goOwned(func() {
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

// showAbout opens the About window (Fyne's main goroutine).
func (t *tray) showAbout() {
	connections := connectionLines(t.browser.State().Managers, t.farms.summaries())
	showOnce(&t.aboutOpen, func() fyne.Window {
		return newAboutWindow(t.app, t.log, t.opts.Version, t.opts.LogPath, connections)
	})
}

// showOnce shows the window *open holds, or makes one with build and keeps it there until it
// closes, so a second click raises the window rather than opening another (Fyne's main goroutine).
func showOnce(open *fyne.Window, build func() fyne.Window) {
	if *open != nil {
		(*open).RequestFocus()
		return
	}
	w := build()
	w.SetOnClosed(func() { *open = nil })
	*open = w
	w.Show()
}

// showManual opens the window of Managers added by hand (Fyne's main goroutine).
func (t *tray) showManual() {
	showOnce(&t.manualOpen, t.newManualWindow)
}

func (t *tray) newManualWindow() fyne.Window {
	return newManualWindow(t.ctx, t.app, settings.ManualManagers(t.app.Preferences()), manualActions{
		Go:     t.goOwned,
		Verify: t.advertiser.Check,
		Add: func(url string) {
			settings.AddManualManager(t.app.Preferences(), url)
			t.goOwned(func() {
				if err := t.browser.AddManual(t.ctx, url); err != nil {
					t.log.Error().Err(err).Str("url", url).Msg("cannot add the Manager")
				}
			})
		},
		Remove: func(url string) {
			settings.RemoveManualManager(t.app.Preferences(), url)
			t.goOwned(func() {
				if err := t.browser.RemoveManual(t.ctx, url); err != nil {
					t.log.Warn().Err(err).Str("url", url).Msg("cannot remove the Manager")
				}
			})
		},
	})
}

// showSettings opens the Settings window (Fyne's main goroutine).
func (t *tray) showSettings() {
	showOnce(&t.settingsOpen, t.newSettingsWindow)
}

func (t *tray) newSettingsWindow() fyne.Window {
	t.mu.Lock()
	current := t.settings
	t.mu.Unlock()
	// The switch shows what is set, which "flamenco-tray autostart" may have changed since.
	if autostartSupported() {
		if on, err := startAtLoginOn(); err != nil {
			t.log.Warn().Err(err).Msg("cannot tell whether start at login is on")
		} else {
			current.StartAtLogin = on
		}
	}
	return newSettingsWindow(t.app, current, t.opts.LogPath, t.saveSettings, t.showManual)
}

func (t *tray) saveSettings(s Settings) {
	t.mu.Lock()
	old := t.settings
	t.settings = s
	t.mu.Unlock()
	settings.Save(t.app.Preferences(), s)
	// Applied on every save, not only when the preference changed: the entry may have been changed
	// by "flamenco-tray autostart", or start another copy of this program.
	if autostartSupported() {
		// Off the main goroutine (macOS runs launchctl), one change at a time, each applying the
		// latest saved choice, so the last save wins whatever order these run in.
		t.goOwned(func() {
			t.autostartMu.Lock()
			defer t.autostartMu.Unlock()
			t.mu.Lock()
			want := t.settings.StartAtLogin
			t.mu.Unlock()
			if err := setStartAtLogin(want); err != nil {
				t.log.Error().Err(err).Msg("cannot change start at login")
				notification := fyne.NewNotification("Start at login was not changed", "The log says why.")
				fyne.Do(func() { t.app.SendNotification(notification) })
			}
		})
	}
	if s.LocalManagerURL != old.LocalManagerURL {
		t.requestLocalCheck()
	}
	t.farms.setIdentity(s.Identity)
	t.requestRebuild()
}

// followTrayHost shows the window while no tray host shows the menu (see hostPresence), until ctx
// ends.
func (t *tray) followTrayHost(ctx context.Context) {
	type report struct {
		up  bool
		err error
	}
	reports := make(chan report)
	send := func(r report) {
		select {
		case reports <- r:
		case <-ctx.Done():
		}
	}
	presence := newHostPresence(time.Now())
	why := noTrayHost // why the window is shown
	if t.desk == nil {
		why = "this Fyne driver has no system tray"
		presence.noHostCanCome(time.Now())
	} else {
		t.goOwned(func() {
			if err := watchTrayHost(ctx, func(up bool) { send(report{up: up}) }); err != nil {
				send(report{err: err})
			}
		})
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	shown, first := false, true
	for {
		show, askAgainAt := presence.window(time.Now())
		if show != shown {
			shown = show
			if show {
				t.log.Warn().Str("reason", why).Msg("no system tray to show the menu in; showing a window instead")
			}
			fyne.Do(func() {
				if ctx.Err() == nil {
					t.showFallback(show)
				}
			})
		}
		if !askAgainAt.IsZero() {
			timer.Reset(time.Until(askAgainAt))
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case r := <-reports:
			switch {
			case r.err != nil:
				why = r.err.Error()
				presence.noHostCanCome(time.Now())
			case r.up && !presence.up:
				t.log.Info().Msg("a system tray is here; the menu is in it")
				why = noTrayHost
			case !r.up && first:
				t.log.Info().Dur("wait", waitForHostAtStart).Msg("no system tray yet; waiting for the panel before showing a window")
			case !r.up && presence.up:
				t.log.Info().Dur("wait", waitForHostBack).Msg("the system tray went away; a window shows the menu unless it is back soon")
			}
			first = false
			if r.err == nil {
				presence.hostChanged(r.up, time.Now())
			}
		}
	}
}

// showFallback shows or hides the window that shows the Managers and actions without a tray host
// (Fyne's main goroutine); show keeps its content up to date.
func (t *tray) showFallback(visible bool) {
	t.fallbackShown = visible
	if !visible {
		if t.fallback != nil {
			t.fallback.Hide()
		}
		return
	}
	if t.fallback == nil {
		t.fallback = newFallbackWindow(t.app, t.shown.menu)
	}
	t.fallback.Show()
}
