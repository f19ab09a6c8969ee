// Package settings owns the user's settings: their keys in the preferences store, their defaults
// and their validation. The tray and the command line both read them through it, from the store
// Fyne keeps for the app (fyne.App.Preferences(), which satisfies Store), so neither needs to know
// where or how Fyne keeps its files.
package settings

import (
	"errors"
	neturl "net/url"
	"slices"
	"strings"
	"time"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/lending"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Store is the part of fyne.Preferences the settings use.
type Store interface {
	String(key string) string
	StringWithFallback(key, fallback string) string
	BoolWithFallback(key string, fallback bool) bool
	StringList(key string) []string
	Int(key string) int
	IntWithFallback(key string, fallback int) int
	SetInt(key string, value int)
	SetString(key, value string)
	SetBool(key string, value bool)
	SetStringList(key string, value []string)
}

// The keys in the store. They are the file format users already have: never rename one.
const (
	keyLocalManagerURL  = "localManagerURL"
	keyNotifications    = "notifications"
	keyStartAtLogin     = "startAtLogin"
	keyKnownManagers    = "knownManagers"
	keyManualManagers   = "manualManagers"
	keyJobNotifications = "jobNotifications"
	keyJobMetadataKey   = "jobMetadataKey"
	keyUserName         = "userName"
	keyWatchedJobs      = "watchedJobs"
	keyWorkerPath       = "workerPath"
	keyLendTo           = "lendTo"
	keyLendAfterMinutes = "lendAfterMinutes"
	keyLendHours        = "lendHours"
	keyLendLoadPercent  = "lendLoadPercent"
	keyLendWhenBack     = "lendWhenBack"
)

// Limits of the lists kept.
const (
	// MaxKnownManagers bounds the Manager URLs remembered between runs, maxKnownPerHost those of
	// one machine.
	MaxKnownManagers = 20
	maxKnownPerHost  = 2
	// MaxManualManagers bounds the URLs added by hand.
	MaxManualManagers = 50
)

// Settings are the user's choices.
type Settings struct {
	LocalManagerURL string
	Notifications   bool // when a Manager appears or goes away
	StartAtLogin    bool
	// JobNotifications: notify when one of my (or a watched) job completes, fails or is canceled.
	JobNotifications bool
	// Identity says which jobs are mine: the job metadata key and the user name it must hold.
	Identity farm.Identity
	// WorkerPath is the flamenco-worker program to run; "" finds it on PATH or beside this program.
	WorkerPath string
	// Lending is how this computer is lent to the farms chosen in the menu (LendTo) while the user
	// is away.
	Lending Lending
}

// Lending is the user's choice of when to lend this computer; which Managers it is lent to is
// chosen per Manager in the menu (LendTo).
type Lending struct {
	AfterMinutes int    // away after this long without input (at least 1)
	Hours        string // lending.ParseHours's form; "" is any time
	LoadPercent  int    // 0: no limit; else keep the computer while other programs use more of its CPUs
	WhenBack     string // "stop" or "finish"
}

// Policy is the lending policy these settings say, enabled or not.
func (l Lending) Policy(enabled bool) lending.Policy {
	hours, _ := lending.ParseHours(l.Hours) // validated when saved
	whenBack, err := lending.ParseWhenBack(l.WhenBack)
	if err != nil {
		whenBack = lending.StopNow
	}
	return lending.Policy{Enabled: enabled, AwayAfter: time.Duration(l.AfterMinutes) * time.Minute, Hours: hours,
		LoadLimit: float64(l.LoadPercent) / 100, WhenBack: whenBack}.Normalized()
}

// Validate says what in l cannot be saved, in words for the form.
func (l Lending) Validate() error {
	if l.AfterMinutes < 1 {
		return errors.New("lend after at least 1 minute away")
	}
	if _, err := lending.ParseHours(l.Hours); err != nil {
		return err
	}
	if l.LoadPercent < 0 || l.LoadPercent > 100 {
		return errors.New("the load limit is a percentage from 0 (none) to 100")
	}
	_, err := lending.ParseWhenBack(l.WhenBack)
	return err
}

// Defaults are the settings of a new user.
func Defaults() Settings {
	return Settings{LocalManagerURL: discovery.DefaultLocalManagerURL, Notifications: true, JobNotifications: true,
		Identity: farm.DefaultIdentity().Normalized(),
		Lending:  Lending{AfterMinutes: int(lending.DefaultAwayAfter / time.Minute), WhenBack: string(lending.StopNow)}}
}

// Load reads the settings, with the defaults for what was never saved.
func Load(s Store) Settings {
	d := Defaults()
	return Settings{
		LocalManagerURL:  s.StringWithFallback(keyLocalManagerURL, d.LocalManagerURL),
		Notifications:    s.BoolWithFallback(keyNotifications, d.Notifications),
		StartAtLogin:     s.BoolWithFallback(keyStartAtLogin, d.StartAtLogin),
		JobNotifications: s.BoolWithFallback(keyJobNotifications, d.JobNotifications),
		Identity: farm.Identity{
			MetadataKey: s.StringWithFallback(keyJobMetadataKey, d.Identity.MetadataKey),
			UserName:    s.StringWithFallback(keyUserName, d.Identity.UserName),
		}.Normalized(),
		WorkerPath: s.String(keyWorkerPath),
		Lending: Lending{
			AfterMinutes: s.IntWithFallback(keyLendAfterMinutes, d.Lending.AfterMinutes),
			Hours:        s.String(keyLendHours),
			LoadPercent:  s.Int(keyLendLoadPercent),
			WhenBack:     s.StringWithFallback(keyLendWhenBack, d.Lending.WhenBack),
		},
	}
}

// Save stores v, trimmed of the spaces typed around it, and an empty identity filled with the
// defaults. Check CheckLocalManagerURL and Lending.Validate first: Save stores what it is given.
func Save(s Store, v Settings) {
	identity := v.Identity.Normalized()
	s.SetString(keyLocalManagerURL, strings.TrimSpace(v.LocalManagerURL))
	s.SetBool(keyNotifications, v.Notifications)
	s.SetBool(keyStartAtLogin, v.StartAtLogin)
	s.SetBool(keyJobNotifications, v.JobNotifications)
	s.SetString(keyJobMetadataKey, identity.MetadataKey)
	s.SetString(keyUserName, identity.UserName)
	s.SetString(keyWorkerPath, strings.TrimSpace(v.WorkerPath))
	s.SetInt(keyLendAfterMinutes, v.Lending.AfterMinutes)
	s.SetString(keyLendHours, strings.TrimSpace(v.Lending.Hours))
	s.SetInt(keyLendLoadPercent, v.Lending.LoadPercent)
	s.SetString(keyLendWhenBack, v.Lending.WhenBack)
}

// ErrLocalManagerURL is what the user reads under a local Manager URL that cannot be used.
var ErrLocalManagerURL = errors.New("the local Manager URL must be an http:// or https:// address, like http://localhost:8080/")

// CheckLocalManagerURL says whether s can be the local Manager URL, in words for the form.
func CheckLocalManagerURL(s string) error {
	if _, err := managerapi.BaseURL(strings.TrimSpace(s)); err != nil {
		return ErrLocalManagerURL
	}
	return nil
}

// KnownManagers are the Manager URLs remembered from earlier runs, newest first.
func KnownManagers(s Store) []string { return s.StringList(keyKnownManagers) }

// RememberManager adds url to the Managers checked at the next start, newest first: at most
// MaxKnownManagers, and at most two of one machine, so that one machine answering on many ports
// cannot push the others out.
func RememberManager(s Store, url string) {
	known := KnownManagers(s)
	if len(known) > 0 && known[0] == url {
		return
	}
	known = slices.DeleteFunc(slices.Clone(known), func(k string) bool { return k == url })
	known = append([]string{url}, known...)
	perHost := make(map[string]int)
	known = slices.DeleteFunc(known, func(k string) bool {
		host := k
		if u, err := neturl.Parse(k); err == nil {
			host = u.Hostname()
		}
		perHost[host]++
		return perHost[host] > maxKnownPerHost
	})
	if len(known) > MaxKnownManagers {
		known = known[:MaxKnownManagers]
	}
	s.SetStringList(keyKnownManagers, known)
}

// ErrManagerURL is what the user reads when what they typed is no Manager address.
var ErrManagerURL = errors.New("not a Manager address: use http://host:port/, like http://farm.example:8080/")

// ManagerURL turns a Manager address as people type it ("farm:8080", "http://farm:8080/app/") into
// its base URL ending in "/", the form the hand-added Managers are kept in; else ErrManagerURL.
func ManagerURL(typed string) (string, error) {
	typed = strings.TrimSpace(typed)
	if typed != "" && !strings.Contains(typed, "://") {
		typed = "http://" + typed // "farm:8080" is what people type
	}
	base, err := managerapi.BaseURL(typed)
	if err != nil {
		return "", ErrManagerURL
	}
	return base.String() + "/", nil
}

// ManualManagers are the Manager URLs added by hand (base URLs ending in "/"), for networks that
// multicast cannot reach (VPNs, Docker and WSL2 networks, routed subnets).
func ManualManagers(s Store) []string { return s.StringList(keyManualManagers) }

// AddManualManager remembers url (a base URL) as added by hand; it reports false when it already
// was, or when MaxManualManagers are.
func AddManualManager(s Store, url string) bool {
	list := ManualManagers(s)
	if slices.Contains(list, url) || len(list) >= MaxManualManagers {
		return false
	}
	s.SetStringList(keyManualManagers, append(slices.Clone(list), url))
	return true
}

// RemoveManualManager forgets url.
func RemoveManualManager(s Store, url string) {
	s.SetStringList(keyManualManagers, slices.DeleteFunc(slices.Clone(ManualManagers(s)), func(u string) bool { return u == url }))
}

// WatchedJobs are the ids of the jobs the user picked to watch, newest pick last.
func WatchedJobs(s Store) []string { return s.StringList(keyWatchedJobs) }

// SetWatchedJobs stores the jobs picked to watch (at most farm.MaxWatchedJobs, the newest).
func SetWatchedJobs(s Store, ids []string) {
	if len(ids) > farm.MaxWatchedJobs {
		ids = ids[len(ids)-farm.MaxWatchedJobs:]
	}
	s.SetStringList(keyWatchedJobs, ids)
}

// LendTo are the Managers (base URLs) this computer is lent to while its user is away.
func LendTo(s Store) []string { return s.StringList(keyLendTo) }

// SetLendTo turns lending to the Manager at url on or off.
func SetLendTo(s Store, url string, on bool) {
	list := slices.DeleteFunc(slices.Clone(LendTo(s)), func(u string) bool { return u == url })
	if on {
		list = append(list, url)
	}
	s.SetStringList(keyLendTo, list)
}
