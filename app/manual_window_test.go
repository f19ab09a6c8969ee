//go:build linux

package app

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
)

// The window asks the address like a discovered Manager's, through a real HTTP stand-in, and keeps
// only what answers.
func TestManualWindowAddsOnlyWhatAnswersAsAManager(t *testing.T) {
	a := test.NewTempApp(t)
	manager := httptest.NewServer(standin.Handler("VPN Farm"))
	defer manager.Close()
	notAManager := httptest.NewServer(nil) // 404 everywhere
	defer notAManager.Close()

	var mu sync.Mutex
	var added, removed []string
	var wg sync.WaitGroup
	checker := discovery.NewAdvertiser(zerolog.Nop())
	w := newManualWindow(context.Background(), a, []string{"http://old:8080/"}, manualActions{
		Go:     func(fn func()) { wg.Add(1); go func() { defer wg.Done(); fn() }() },
		Verify: checker.Check,
		Add:    func(url string) { mu.Lock(); added = append(added, url); mu.Unlock() },
		Remove: func(url string) { mu.Lock(); removed = append(removed, url); mu.Unlock() },
	})
	entry, _ := findWidget[*widget.Entry](w.Content())
	addButton, ok := findButton(w.Content(), "Add")
	if !ok {
		t.Fatal("no Add button")
	}
	status := func() string {
		var text string
		fyne.DoAndWait(func() { all := labelTexts(w.Content()); text = all[len(all)-1] })
		return text
	}
	submit := func(typed string) {
		t.Helper()
		entry.SetText(typed)
		test.Tap(addButton)
		wg.Wait()
		deadline := time.Now().Add(5 * time.Second)
		for strings.HasPrefix(status(), "Asking") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // the result is applied through fyne.Do
		}
	}

	submit("ftp://nas/")
	if !strings.Contains(status(), "not a Manager address") {
		t.Errorf("an ftp URL: status %q", status())
	}
	submit(notAManager.URL)
	if !strings.Contains(status(), "No Flamenco Manager answers") {
		t.Errorf("not a Manager: status %q", status())
	}
	submit(manager.URL)
	if !strings.Contains(status(), "Added “VPN Farm”") {
		t.Errorf("a Manager: status %q", status())
	}
	remove, ok := findButton(w.Content(), "Remove") // the first: http://old:8080/
	if !ok {
		t.Fatal("no Remove button")
	}
	test.Tap(remove)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{manager.URL + "/"}; !slices.Equal(added, want) {
		t.Errorf("added %v, want %v", added, want)
	}
	if want := []string{"http://old:8080/"}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
}

// The Managers IT set are listed apart, with no "Remove", with what of IT's list was skipped and
// where an administrator changes it; adding one of them again is refused without asking it.
func TestManualWindowListsTheManagersSetByITReadOnly(t *testing.T) {
	a := test.NewTempApp(t)
	var verified []string
	it := machineconfig.ParseFile("/etc/flamenco-tray/managers", "http://farm.studio.lan:8080/\nftp://nas/\n")
	w := newManualWindow(context.Background(), a, []string{"http://10.8.0.5:8080/"}, manualActions{
		Go: func(fn func()) { fn() },
		Verify: func(_ context.Context, url string) (discovery.VersionInfo, error) {
			verified = append(verified, url)
			return discovery.VersionInfo{}, nil
		},
		Add: func(string) {}, Remove: func(string) {},
		SetByIT: it,
	})
	texts := labelTexts(w.Content())
	for _, want := range []string{
		"Set for this computer by your IT",
		"http://farm.studio.lan:8080/",
		`/etc/flamenco-tray/managers line 2: "ftp://nas/": not a Manager address: use http://host:port/, like http://farm.example:8080/; skipped`,
		"Only an administrator can change these, in /etc/flamenco-tray/managers.",
		"Added by hand",
		"http://10.8.0.5:8080/",
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("the window lacks %q:\n%q", want, texts)
		}
	}
	if n := countButtons(w.Content(), "Remove"); n != 1 {
		t.Errorf("%d Remove buttons, want 1: the Manager added by hand's", n)
	}

	entry, _ := findWidget[*widget.Entry](w.Content())
	addButton, _ := findButton(w.Content(), "Add")
	entry.SetText("farm.studio.lan:8080")
	test.Tap(addButton)
	if texts := labelTexts(w.Content()); texts[len(texts)-1] != "http://farm.studio.lan:8080/ is set for this computer by your IT already." || len(verified) != 0 {
		t.Errorf("adding IT's Manager: status %q, asked %q", texts[len(texts)-1], verified)
	}

	plain := newManualWindow(context.Background(), a, nil, manualActions{})
	if texts := labelTexts(plain.Content()); slices.Contains(texts, "Set for this computer by your IT") {
		t.Errorf("without Managers set by IT: %q", texts)
	}
}

// countButtons counts the buttons labelled text in o.
func countButtons(o fyne.CanvasObject, text string) int {
	if b, ok := o.(*widget.Button); ok && b.Text == text {
		return 1
	}
	n := 0
	if c, ok := o.(*fyne.Container); ok {
		for _, child := range c.Objects {
			n += countButtons(child, text)
		}
	}
	return n
}

// labelTexts returns the texts of the labels in o, in order.
func labelTexts(o fyne.CanvasObject) []string {
	if l, ok := o.(*widget.Label); ok {
		return []string{l.Text}
	}
	var texts []string
	if c, ok := o.(*fyne.Container); ok {
		for _, child := range c.Objects {
			texts = append(texts, labelTexts(child)...)
		}
	}
	return texts
}
