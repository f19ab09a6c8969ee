//go:build windows

package app

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

const (
	toastTimeout   = 30 * time.Second // PowerShell takes a second or two to start
	createNoWindow = 0x08000000       // CREATE_NO_WINDOW: no console flashes up
)

func newNoticeSender(log zerolog.Logger, appID string) noticeSender {
	return &toastNotifier{log: log, appID: appID}
}

// toastNotifier shows toasts with the frame through PowerShell and the WinRT toast API, as Fyne
// does without an image (and with texts that “ ” or $ break: see toastScript). A click does nothing:
// an unpackaged app is told of clicks only through a registered COM activator.
//
// Concurrency: notify may be called from any goroutine; mu keeps one writer in the frames'
// directory at a time.
type toastNotifier struct {
	log   zerolog.Logger
	appID string // the AppUserModelID the toast is shown under, the app id as with Fyne's
	mu    sync.Mutex
}

func (*toastNotifier) run(context.Context) {}

// notify shows n as a toast. errUnsent: PowerShell could not show it (it ends at the first error).
func (t *toastNotifier) notify(ctx context.Context, n desktopNotice) error {
	toastXML := toastXML(n.title, n.body, notificationIcon(), t.saveFrame(n.image))
	ctx, cancel := context.WithTimeout(ctx, toastTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-Command", toastScript(toastXML, t.appID))
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: createNoWindow}
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("showing a toast (it may still show): %w", ctx.Err())
	default:
		return fmt.Errorf("%w: PowerShell: %v: %s", errUnsent, err, cutRunes(string(out), 500))
	}
}

// saveFrame writes the frame for the toast to read, returning its path ("": none, or it is no
// JPEG or PNG, or cannot be written; the toast goes without).
func (t *toastNotifier) saveFrame(frame []byte) string {
	if frame == nil {
		return ""
	}
	var path string
	_, format, err := decodeFrame(frame)
	if dir := notificationDir(); err == nil && dir == "" {
		err = errors.New("no cache directory to write it in")
	} else if err == nil {
		t.mu.Lock()
		path, err = saveFrame(filepath.Join(dir, "frames"), frame, format)
		t.mu.Unlock()
	}
	if err != nil {
		t.log.Debug().Err(err).Int("bytes", len(frame)).Msg("the notification goes without its image")
	}
	return path
}
