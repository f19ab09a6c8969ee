package app

import (
	"errors"
	"fmt"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// ErrDisplayUnavailable is returned when the desktop session named by DISPLAY (or WAYLAND_DISPLAY)
// cannot be opened: an X server that is gone (a stale DISPLAY in tmux or over ssh), or refuses.
var ErrDisplayUnavailable = errors.New("cannot open the display")

// openDisplay initialises GLFW, Fyne's driver, before Fyne does, and says whether that worked:
// Fyne only logs a display that cannot be opened, then panics at its first window. go-gl/glfw's
// Init logs that failure and returns nil, so success is read from the first call that needs an
// initialised GLFW, which panics with NotInitialized otherwise. Fyne's own Init later does
// nothing more. It must run on the main thread, as Fyne's loop does.
func openDisplay() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (%v; the log says why); on a machine without a desktop session, use "+
				"\"flamenco-tray discover --watch\" and \"flamenco-tray advertise\"", ErrDisplayUnavailable, r)
		}
	}()
	if err := glfw.Init(); err != nil {
		return fmt.Errorf("%w: %v", ErrDisplayUnavailable, err)
	}
	glfw.GetTime()
	return nil
}
