package settings_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// The settings go through Fyne's own preferences, as in the tray and the command line.
func store(t *testing.T) settings.Store { return test.NewTempApp(t).Preferences() }

func TestANewUserGetsTheDefaults(t *testing.T) {
	got := settings.Load(store(t))
	if got != settings.Defaults() {
		t.Errorf("Load of nothing = %+v, want %+v", got, settings.Defaults())
	}
	if got.LocalManagerURL != "http://localhost:8080/" || !got.Notifications || !got.JobNotifications || got.StartAtLogin ||
		got.Identity.MetadataKey != farm.DefaultMetadataKey || got.Identity.UserName == "" {
		t.Errorf("defaults %+v", got)
	}
}

// What Save stores, Load reads back, cleaned: trimmed, a DOMAIN\user name its user part, an empty
// key the default.
func TestSaveAndLoadRoundTripCleaned(t *testing.T) {
	s := store(t)
	settings.Save(s, settings.Settings{LocalManagerURL: " http://farm.local:9090/ ", Notifications: false, StartAtLogin: true,
		JobNotifications: false, Identity: farm.Identity{MetadataKey: "  ", UserName: `STUDIO\Bob`},
		WorkerPath: " /opt/flamenco/flamenco-worker "})
	want := settings.Settings{LocalManagerURL: "http://farm.local:9090/", StartAtLogin: true,
		Identity: farm.Identity{MetadataKey: farm.DefaultMetadataKey, UserName: "Bob"}, WorkerPath: "/opt/flamenco/flamenco-worker"}
	if got := settings.Load(s); got != want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestCheckLocalManagerURLRefusesWhatIsNoManagerURL(t *testing.T) {
	for _, bad := range []string{"ftp://nas/", "localhost:8080", "http://user@farm:8080/", "http://", ""} {
		if err := settings.CheckLocalManagerURL(bad); err != settings.ErrLocalManagerURL {
			t.Errorf("CheckLocalManagerURL(%q) = %v, want ErrLocalManagerURL", bad, err)
		}
	}
	for _, good := range []string{"http://localhost:8080/", " https://farm.studio.lan/flamenco/ ", "http://[::1]:8080"} {
		if err := settings.CheckLocalManagerURL(good); err != nil {
			t.Errorf("CheckLocalManagerURL(%q) = %v", good, err)
		}
	}
	if err := settings.Defaults().Lending.Validate(); err != nil {
		t.Errorf("the default lending: %v", err)
	}
}

func TestRememberManagerKeepsNewestFirstAndBounded(t *testing.T) {
	s := store(t)
	for i := range settings.MaxKnownManagers + 5 {
		settings.RememberManager(s, "http://10.0.0."+string(rune('a'+i))+":8080/")
	}
	settings.RememberManager(s, "http://10.0.0.c:8080/")
	known := settings.KnownManagers(s)
	if len(known) != settings.MaxKnownManagers || known[0] != "http://10.0.0.c:8080/" || slices.Index(known[1:], "http://10.0.0.c:8080/") >= 0 {
		t.Errorf("known = %v", known)
	}
}

func TestRememberManagerKeepsOneHostFromCrowdingOutOthers(t *testing.T) {
	s := store(t)
	settings.RememberManager(s, "http://10.0.0.5:8080/")
	for port := 9000; port < 9016; port++ { // one machine answering on 16 ports
		settings.RememberManager(s, fmt.Sprintf("http://10.0.0.66:%d/", port))
	}
	want := []string{"http://10.0.0.66:9015/", "http://10.0.0.66:9014/", "http://10.0.0.5:8080/"}
	if known := settings.KnownManagers(s); !slices.Equal(known, want) {
		t.Errorf("known = %v, want %v", known, want)
	}
}

func TestManualManagersAreRememberedAndRemoved(t *testing.T) {
	s := store(t)
	if !settings.AddManualManager(s, "http://10.8.0.5:8080/") || settings.AddManualManager(s, "http://10.8.0.5:8080/") {
		t.Error("added once, refused twice: want true, false")
	}
	settings.AddManualManager(s, "http://farm:8080/")
	settings.RemoveManualManager(s, "http://10.8.0.5:8080/")
	if got := settings.ManualManagers(s); !slices.Equal(got, []string{"http://farm:8080/"}) {
		t.Errorf("manual managers %v", got)
	}
	for i := range settings.MaxManualManagers {
		settings.AddManualManager(s, fmt.Sprintf("http://10.9.0.%d:8080/", i))
	}
	if settings.AddManualManager(s, "http://one-too-many:8080/") || len(settings.ManualManagers(s)) != settings.MaxManualManagers {
		t.Errorf("%d Managers added by hand, want at most %d", len(settings.ManualManagers(s)), settings.MaxManualManagers)
	}
}

func TestManagerURLTakesWhatPeopleType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ typed, want string }{
		{"http://farm.example:8080/app/", "http://farm.example:8080/"},
		{" farm:8080 ", "http://farm:8080/"},
		{"10.8.0.5:8080", "http://10.8.0.5:8080/"},
		{"https://farm.example/", "https://farm.example:443/"},
		{"FARM.example:8080", "http://farm.example:8080/"},
		{"ftp://nas/", ""},
		{"", ""},
		{"http://user:pw@farm:8080/", ""},
	} {
		got, err := settings.ManagerURL(tt.typed)
		if got != tt.want || (err == nil) != (tt.want != "") || (err != nil && err != settings.ErrManagerURL) {
			t.Errorf("ManagerURL(%q) = %q, %v; want %q", tt.typed, got, err, tt.want)
		}
	}
}

func TestWatchedJobsKeepTheNewestPicks(t *testing.T) {
	s := store(t)
	var ids []string
	for i := range farm.MaxWatchedJobs + 3 {
		ids = append(ids, fmt.Sprint("job-", i))
	}
	settings.SetWatchedJobs(s, ids)
	got := settings.WatchedJobs(s)
	if len(got) != farm.MaxWatchedJobs || got[0] != "job-3" || got[len(got)-1] != ids[len(ids)-1] {
		t.Errorf("watched %d jobs, %q … %q", len(got), got[0], got[len(got)-1])
	}
}

func TestLendingSettings(t *testing.T) {
	s := store(t)
	if got := settings.Load(s).Lending; got != (settings.Lending{AfterMinutes: 10, WhenBack: "stop"}) {
		t.Errorf("default lending %+v", got)
	}
	want := settings.Lending{AfterMinutes: 15, Hours: "19:00-08:00 mon,tue,wed,thu,fri", LoadPercent: 40, WhenBack: "finish"}
	v := settings.Defaults()
	v.Lending = want
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	settings.Save(s, v)
	if got := settings.Load(s).Lending; got != want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	p := want.Policy(true)
	if !p.Enabled || p.AwayAfter != 15*time.Minute || p.Hours.String() != want.Hours || p.LoadLimit != 0.4 || p.WhenBack != "finish" {
		t.Errorf("policy %+v", p)
	}
	for _, bad := range []settings.Lending{
		{AfterMinutes: 0, WhenBack: "stop"},
		{AfterMinutes: 10, Hours: "7pm-8am", WhenBack: "stop"},
		{AfterMinutes: 10, LoadPercent: 150, WhenBack: "stop"},
		{AfterMinutes: 10, WhenBack: "later"},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	settings.SetLendTo(s, "http://farm:8080/", true)
	settings.SetLendTo(s, "http://night:8080/", true)
	settings.SetLendTo(s, "http://farm:8080/", false)
	if got := settings.LendTo(s); !slices.Equal(got, []string{"http://night:8080/"}) {
		t.Errorf("lend to %q", got)
	}
}
