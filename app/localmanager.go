package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

// localCheckInterval is how often the Manager on this machine is checked (HTTP on localhost).
const localCheckInterval = 10 * time.Second

// localManager checks the Manager on this machine and advertises it on the LAN: what the menu's
// "Advertise" rows show (State) and do (Toggle).
//
// Concurrency: the fields below mu are guarded by mu, which is never held while asking the network;
// the asking runs in goroutines of owner: Run, and one per toggle and per advertisement.
type localManager struct {
	log        zerolog.Logger
	owner      *owner
	advertiser localAdvertiser
	changed    func() // the menu should be rebuilt
	checkNow   chan struct{}

	mu       sync.Mutex
	url      string // where Settings say it answers
	local    LocalManager
	adv      Advertising
	toggling bool
	// The last M-SEARCH to this machine (see check): whom it asked about, what it found, and whether
	// "Search again" asks for another.
	searched       localIdentity
	selfAdvertised bool
	searchDue      bool
}

// localAdvertiser is what localManager uses of *discovery.Advertiser.
type localAdvertiser interface {
	Check(ctx context.Context, managerURL string) (discovery.VersionInfo, error)
	AdvertisesItself(ctx context.Context, managerURL string) (bool, error)
	Start(ctx context.Context, managerURL string) (*discovery.Advertisement, error)
	Current() *discovery.Advertisement
	Stop()
}

// localIdentity is the local Manager as the tray last asked about it; zero for none.
type localIdentity struct {
	url     string
	manager discovery.VersionInfo
}

// newLocalManager checks the Manager at url (Settings'), calling changed when State changed.
func newLocalManager(log zerolog.Logger, o *owner, advertiser localAdvertiser, url string, changed func()) *localManager {
	return &localManager{log: log, owner: o, advertiser: advertiser, changed: changed, checkNow: make(chan struct{}, 1),
		url: url, local: LocalManager{URL: url}}
}

// State is what the menu shows of the local Manager and of advertising it.
func (l *localManager) State() (LocalManager, Advertising) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.local, l.adv
}

// SetURL takes the local Manager URL saved in Settings; a new one is checked at once.
func (l *localManager) SetURL(url string) {
	l.mu.Lock()
	changed := l.url != url
	l.url = url
	l.mu.Unlock()
	if changed {
		poke(l.checkNow)
	}
}

// SearchAgain checks the local Manager at once, asking this machine over SSDP again ("Search
// again").
func (l *localManager) SearchAgain() {
	l.mu.Lock()
	l.searchDue = true
	l.mu.Unlock()
	poke(l.checkNow)
}

// Run checks the local Manager every localCheckInterval, and at once when asked, until ctx ends.
// Advertising stops by itself (with byebye) when the Manager stops answering; see followAdvertising.
func (l *localManager) Run(ctx context.Context) {
	// Checks asked for in between do not move the regular ones.
	ticker := time.NewTicker(localCheckInterval)
	defer ticker.Stop()
	for {
		l.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-l.checkNow:
		}
	}
}

func (l *localManager) check(ctx context.Context) {
	l.mu.Lock()
	url := l.url
	searched, selfAdvertised, searchDue := l.searched, l.selfAdvertised, l.searchDue
	l.searchDue = false
	l.mu.Unlock()
	info, err := l.advertiser.Check(ctx, url)
	if ctx.Err() != nil {
		return
	}
	advertising := l.advertiser.Current() != nil
	local := LocalManager{URL: url}
	switch {
	case err != nil:
		// While advertising, the Advertiser itself notices and stops (see followAdvertising).
		l.log.Debug().Err(err).Msg("the local Manager does not answer")
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
			selfAdvertised, searched = l.askAdvertisesItself(ctx, url), identity
		}
		if selfAdvertised {
			local.Problem = fmt.Sprintf("“%s” already advertises itself", info.Name)
		}
	}
	l.mu.Lock()
	changed := l.local.URL != local.URL || l.local.Problem != local.Problem || (l.local.Info == nil) != (local.Info == nil) ||
		(local.Info != nil && *l.local.Info != *local.Info)
	l.local = local
	l.searched, l.selfAdvertised = searched, selfAdvertised
	l.mu.Unlock()
	if changed {
		l.changed()
	}
}

// askAdvertisesItself asks this machine over SSDP whether the local Manager advertises itself (its
// own discovery is on); when that cannot be told, the answer is no and Start will say.
func (l *localManager) askAdvertisesItself(ctx context.Context, url string) bool {
	advertised, err := l.advertiser.AdvertisesItself(ctx, url)
	if err != nil {
		l.log.Warn().Err(err).Str("url", url).Msg("cannot tell whether the local Manager advertises itself")
		return false
	}
	l.log.Info().Str("url", url).Bool("advertises_itself", advertised).Msg("asked this machine for the local Manager over SSDP")
	return advertised
}

// Toggle starts or stops advertising the local Manager. It returns at once (it runs on Fyne's main
// goroutine): the work (HTTP checks, byebye) happens in a goroutine of owner.
func (l *localManager) Toggle() {
	l.mu.Lock()
	if l.toggling || l.owner.ctx.Err() != nil {
		l.mu.Unlock()
		return
	}
	l.toggling = true
	url := l.url
	l.mu.Unlock()
	l.owner.Go(func() {
		defer func() {
			l.mu.Lock()
			l.toggling = false
			l.mu.Unlock()
			l.changed()
		}()
		if current := l.advertiser.Current(); current != nil {
			l.stopAdvertising(current)
			return
		}
		l.startAdvertising(url)
	})
}

func (l *localManager) stopAdvertising(current *discovery.Advertisement) {
	l.advertiser.Stop()
	<-current.Done() // Stop returns at once when it had just ended by itself
	l.logAdvertisingEnded(current)
	l.mu.Lock()
	l.adv = Advertising{}
	l.mu.Unlock()
	poke(l.checkNow)
}

func (l *localManager) startAdvertising(url string) {
	ad, err := l.advertiser.Start(l.owner.ctx, url)
	if err != nil {
		l.log.Error().Err(err).Msg("cannot advertise the local Manager")
		l.mu.Lock()
		l.adv = Advertising{Error: advertisingProblem(err, l.local)}
		l.mu.Unlock()
		return
	}
	l.log.Info().Strs("locations", ad.Locations).Str("name", ad.Manager.Name).Msg("advertising the local Manager")
	l.mu.Lock()
	l.adv = Advertising{Active: true, Name: ad.Manager.Name}
	l.mu.Unlock()
	l.owner.Go(func() { l.followAdvertising(ad) })
}

// followAdvertising waits for an advertisement to end and, when it ended by itself (the local
// Manager stopped answering), says so in the menu.
func (l *localManager) followAdvertising(ad *discovery.Advertisement) {
	select {
	case <-l.owner.ctx.Done():
		return
	case <-ad.Done():
	}
	reason := ad.StopReason()
	if reason == nil {
		return // stopped from the menu, which says so itself
	}
	l.logAdvertisingEnded(ad)
	l.mu.Lock()
	l.adv = Advertising{Error: advertisingProblem(reason, l.local)}
	l.mu.Unlock()
	poke(l.checkNow)
	l.changed()
}

func (l *localManager) logAdvertisingEnded(ad *discovery.Advertisement) {
	event := l.log.Info()
	if ad.StopReason() != nil || ad.ByebyeErr() != nil {
		event = l.log.Warn()
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
