package app

import (
	"errors"
	neturl "net/url"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// Preference keys.
const (
	prefLocalManagerURL  = "localManagerURL"
	prefNotifications    = "notifications"
	prefStartAtLogin     = "startAtLogin"
	prefKnownManagers    = "knownManagers"
	prefJobNotifications = "jobNotifications"
	prefJobMetadataKey   = "jobMetadataKey"
	prefUserName         = "userName"
	prefWatchedJobs      = "watchedJobs"
	prefWorkerPath       = "workerPath"
)

// maxKnownManagers bounds the Manager URLs remembered between runs, maxKnownPerHost those of one
// machine.
const (
	maxKnownManagers = 20
	maxKnownPerHost  = 2
)

// Settings are the user's choices, kept in Fyne's preferences.
type Settings struct {
	LocalManagerURL string
	Notifications   bool
	StartAtLogin    bool
	// JobNotifications: notify when one of my (or a watched) job completes, fails or is canceled.
	JobNotifications bool
	// Identity says which jobs are mine: the job metadata key and the user name it must hold.
	Identity farm.Identity
	// WorkerPath is the flamenco-worker program to run; "" finds it on PATH or beside this program.
	WorkerPath string
}

func loadSettings(p fyne.Preferences) Settings {
	defaults := farm.DefaultIdentity()
	return Settings{
		LocalManagerURL:  p.StringWithFallback(prefLocalManagerURL, discovery.DefaultLocalManagerURL),
		Notifications:    p.BoolWithFallback(prefNotifications, true),
		StartAtLogin:     p.BoolWithFallback(prefStartAtLogin, false),
		JobNotifications: p.BoolWithFallback(prefJobNotifications, true),
		Identity: farm.Identity{
			MetadataKey: p.StringWithFallback(prefJobMetadataKey, defaults.MetadataKey),
			UserName:    p.StringWithFallback(prefUserName, defaults.UserName),
		}.Normalized(),
		WorkerPath: p.String(prefWorkerPath),
	}
}

func saveSettings(p fyne.Preferences, s Settings) {
	p.SetString(prefLocalManagerURL, s.LocalManagerURL)
	p.SetBool(prefNotifications, s.Notifications)
	p.SetBool(prefStartAtLogin, s.StartAtLogin)
	p.SetBool(prefJobNotifications, s.JobNotifications)
	identity := s.Identity.Normalized()
	p.SetString(prefJobMetadataKey, identity.MetadataKey)
	p.SetString(prefUserName, identity.UserName)
	p.SetString(prefWorkerPath, strings.TrimSpace(s.WorkerPath))
}

// rememberManager adds url to the Managers checked at the next start, newest first.
func rememberManager(p fyne.Preferences, url string) {
	known := p.StringList(prefKnownManagers)
	if len(known) > 0 && known[0] == url {
		return
	}
	known = slices.DeleteFunc(slices.Clone(known), func(k string) bool { return k == url })
	known = append([]string{url}, known...)
	// One machine may answer as Managers on many ports: it must not push the others out.
	perHost := make(map[string]int)
	known = slices.DeleteFunc(known, func(k string) bool {
		host := k
		if u, err := neturl.Parse(k); err == nil {
			host = u.Hostname()
		}
		perHost[host]++
		return perHost[host] > maxKnownPerHost
	})
	if len(known) > maxKnownManagers {
		known = known[:maxKnownManagers]
	}
	p.SetStringList(prefKnownManagers, known)
}

// errLocalManagerURL is what the user reads under a local Manager URL that cannot be used.
var errLocalManagerURL = errors.New("the local Manager URL must be an http:// or https:// address, like http://localhost:8080/")

// checkLocalManagerURL says whether s can be the local Manager URL, in words for the form.
func checkLocalManagerURL(s string) error {
	if _, err := managerapi.BaseURL(s); err != nil {
		return errLocalManagerURL
	}
	return nil
}

// newSettingsWindow builds the Settings window; onSave gets the validated settings, onManual opens
// the list of Managers added by hand.
func newSettingsWindow(a fyne.App, current Settings, logPath string, onSave func(Settings), onManual func()) fyne.Window {
	w := a.NewWindow("Flamenco Tray Settings")
	urlEntry := widget.NewEntry()
	urlEntry.SetText(current.LocalManagerURL)
	urlEntry.Validator = checkLocalManagerURL
	notifications := widget.NewCheck("Notify when a Manager appears or goes away", nil)
	notifications.SetChecked(current.Notifications)
	jobNotifications := widget.NewCheck("Notify when my jobs finish, fail or are canceled", nil)
	jobNotifications.SetChecked(current.JobNotifications)
	userEntry := widget.NewEntry()
	userEntry.SetText(current.Identity.UserName)
	keyEntry := widget.NewEntry()
	keyEntry.SetText(current.Identity.MetadataKey)
	workerEntry := widget.NewEntry()
	workerEntry.SetText(current.WorkerPath)
	workerEntry.SetPlaceHolder("found on PATH or beside Flamenco Tray")
	startAtLogin := widget.NewCheck("Start at login", nil)
	startAtLogin.SetChecked(current.StartAtLogin)
	if !autostartSupported() {
		startAtLogin.Disable()
		startAtLogin.Text = "Start at login (not available on this system yet)"
	}
	problem := widget.NewLabel("")
	problem.Importance = widget.DangerImportance
	problem.Wrapping = fyne.TextWrapWord
	problem.Hide()
	// Fyne calls OnSubmit whatever the Entry's Validator says (Enter in the entry, or a button that
	// was enabled before the text changed), so the URL is checked here, where it is saved.
	submit := func() {
		url := strings.TrimSpace(urlEntry.Text)
		if err := checkLocalManagerURL(url); err != nil {
			urlEntry.SetValidationError(err)
			problem.SetText("Not saved: " + err.Error())
			problem.Show()
			return
		}
		onSave(Settings{LocalManagerURL: url, Notifications: notifications.Checked, StartAtLogin: startAtLogin.Checked,
			JobNotifications: jobNotifications.Checked,
			Identity:         farm.Identity{MetadataKey: keyEntry.Text, UserName: userEntry.Text}.Normalized(),
			WorkerPath:       strings.TrimSpace(workerEntry.Text)})
		w.Close()
	}
	urlEntry.OnSubmitted = func(string) { submit() }
	form := &widget.Form{
		Items: []*widget.FormItem{
			{Text: "Local Manager URL", Widget: urlEntry, HintText: "where a Manager on this computer answers"},
			{Text: "", Widget: notifications},
			{Text: "", Widget: jobNotifications},
			{Text: "My user name", Widget: userEntry, HintText: "my jobs are those whose metadata says so (case ignored)"},
			{Text: "Job metadata key", Widget: keyEntry, HintText: "where jobs say who submitted them (default user.name)"},
			{Text: "flamenco-worker", Widget: workerEntry, HintText: "the Worker program for “Run a Worker here”"},
			{Text: "", Widget: startAtLogin},
		},
		SubmitText: "Save",
		OnSubmit:   submit,
		OnCancel:   w.Close,
	}
	logLabel := widget.NewLabel("Log file: " + logPath)
	logLabel.Wrapping = fyne.TextWrapBreak
	manual := widget.NewButton("Managers added by hand…", onManual)
	w.SetContent(container.NewVBox(form, problem, widget.NewSeparator(), container.NewHBox(manual), logLabel))
	w.Resize(fyne.NewSize(520, 0))
	return w
}
