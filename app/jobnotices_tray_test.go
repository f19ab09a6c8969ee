package app

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/rs/zerolog"
)

// notificationRecorder is a Fyne app that keeps every notification sent (Fyne's test app keeps the
// last one).
type notificationRecorder struct {
	fyne.App
	mu   sync.Mutex
	sent []string
}

func (r *notificationRecorder) SendNotification(n *fyne.Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n.Title+": "+n.Content)
}

func (r *notificationRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// The tray sends what is within the budget at once and what is held once the budget allows, as one
// notification; none once job notifications were turned off meanwhile.
func TestTraySendsHeldJobNotificationsLater(t *testing.T) {
	for _, turnOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("turned off %v", turnOff), func(t *testing.T) {
			app := &notificationRecorder{App: test.NewTempApp(t)}
			tr := newTray(app, Options{Logger: zerolog.New(zerolog.NewTestWriter(t))})
			ctx, cancel := context.WithCancel(context.Background())
			tr.ctx = ctx
			t.Cleanup(func() { cancel(); tr.wg.Wait() })
			window := 2 * time.Second // far longer than a goroutine takes to send the first
			tr.jobNotices.limit = &notifyLimit{window: window, max: 1}

			studio := manager("Studio Farm", true)
			sentAt := time.Now()
			for i, status := range []managerapi.JobStatus{managerapi.JobCompleted, managerapi.JobFailed, managerapi.JobCompleted} {
				tr.notifyJob(studio, jobEnd(fmt.Sprint(i), fmt.Sprintf("shot %d", i), status, sentAt))
			}
			for len(app.all()) == 0 && time.Since(sentAt) < 5*time.Second { // sent from a goroutine
				time.Sleep(10 * time.Millisecond)
			}
			if got := app.all(); !slices.Equal(got, []string{"Job finished: “shot 0” on Studio Farm — 3.3.1"}) {
				t.Fatalf("sent at once: %q", got)
			}
			if turnOff {
				settings := tr.settings
				settings.JobNotifications = false
				tr.mu.Lock()
				tr.settings = settings
				tr.mu.Unlock()
			}
			deadline := time.Now().Add(10 * time.Second)
			for len(app.all()) < 2 && time.Now().Before(deadline) && (!turnOff || time.Since(sentAt) < 3*window) {
				time.Sleep(20 * time.Millisecond)
			}
			want := []string{"Job finished: “shot 0” on Studio Farm — 3.3.1", "2 jobs ended, 1 failed: 1 failed, 1 finished: “shot 1”, “shot 2”"}
			if turnOff {
				want = want[:1]
			}
			if got := app.all(); !slices.Equal(got, want) {
				t.Errorf("sent %q, want %q", got, want)
			}
		})
	}
}
