//go:build linux

package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/clock"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// Canceling a render is not undoable: only the window's "Cancel the job" cancels.
func TestCancelWindowCancelsOnlyWhenConfirmed(t *testing.T) {
	a := test.NewTempApp(t)
	canceled := 0
	keep := newCancelWindow(a, "shot-010", "Studio Farm", func() { canceled++ })
	button, ok := findButton(keep.Content(), "Keep rendering")
	if !ok {
		t.Fatal("no Keep rendering button")
	}
	test.Tap(button)
	if canceled != 0 {
		t.Fatal("Keep rendering canceled the job")
	}
	confirm := newCancelWindow(a, "shot-010", "Studio Farm", func() { canceled++ })
	if texts := strings.Join(labelTexts(confirm.Content()), " "); !strings.Contains(texts, "“shot-010” on Studio Farm") {
		t.Errorf("the window says %q: not which job on which Manager", texts)
	}
	button, _ = findButton(confirm.Content(), "Cancel the job")
	test.Tap(button)
	if canceled != 1 {
		t.Fatalf("Cancel the job canceled %d times, want once", canceled)
	}
}

// A pause that a 3.3.1 Manager refuses (it has no pause) is shown in the Manager's words, once:
// nothing is retried.
func TestJobActionTheManagerRefusesIsShownInItsWords(t *testing.T) {
	a := test.NewTempApp(t)
	stand := farmstandin.New("Studio Farm", farmstandin.WithVersion("3.3.1"))
	job := stand.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice", Status: "active"})
	server := farmstandin.Serve(t, stand)
	ctx, cancel := context.WithCancel(t.Context())
	o := newOwner(ctx)
	tr := &tray{app: a, log: zerolog.New(zerolog.NewTestWriter(t)), owner: o,
		windows: newWindows(ctx, a, zerolog.Nop(), "test", "", windowActions{}),
		frames:  newJobFrames(zerolog.Nop(), o, clock.System{}, func() {})}
	tr.settings.Store(&Settings{})
	defer func() { cancel(); tr.owner.wait() }()

	m := discovery.Manager{ID: "studio", Name: "Studio Farm", Version: "3.3.1", URL: server.URL, Reachable: true}
	tr.sendJobAction(m, job, "shot-010", farm.Pause)
	var refusal fyne.Window
	deadline := time.Now().Add(20 * time.Second)
	for refusal == nil && time.Now().Before(deadline) {
		fyne.DoAndWait(func() {
			i := slices.IndexFunc(a.Driver().AllWindows(), func(w fyne.Window) bool { return w.Title() == "Could not pause “shot-010”" })
			if i >= 0 {
				refusal = a.Driver().AllWindows()[i]
			}
		})
		time.Sleep(10 * time.Millisecond)
	}
	if refusal == nil {
		t.Fatal("no window said the pause was refused")
	}
	words := strings.Join(labelTexts(refusal.Content()), " ")
	if !strings.Contains(words, "Studio Farm — 3.3.1") || !strings.Contains(words, `value is not one of the allowed values`) {
		t.Errorf("the window says %q, want the Manager's own message", words)
	}
	if got := stand.JobStatusRequests(); len(got) != 1 || got[0].Status != "pause-requested" || got[0].Code != 400 {
		t.Errorf("the Manager was sent %+v, want the one refused pause", got)
	}
}

// A Cancel window left open while the job went on cancels only what is still cancelable: the
// Manager would cancel even a completed job.
func TestAConfirmedCancelLooksAtTheJobAgain(t *testing.T) {
	cases := []struct {
		status managerapi.JobStatus
		listed bool
		want   string
	}{
		{managerapi.JobActive, true, ""},
		{managerapi.JobPaused, true, ""},
		{managerapi.JobCompleted, true, "It is completed now."},
		{managerapi.JobCanceled, true, "It is canceled now."},
		{"", false, "It is no longer listed under its Manager."},
	}
	for _, c := range cases {
		if got := stillCancelable(job("a1", "shot-010", c.status), c.listed); got != c.want {
			t.Errorf("%s (listed %t): %q, want %q", c.status, c.listed, got, c.want)
		}
	}
}
