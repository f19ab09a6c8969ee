package app

import (
	"errors"
	"fmt"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// ErrDisplayUnavailable is returned when the desktop session named by DISPLAY (or WAYLAND_DISPLAY)
// cannot be opened: an X server that is gone (a stale DISPLAY in tmux or over ssh), or refuses.
var ErrDisplayUnavailable = errors.New("cannot open the display")

// openDisplay initialises GLFW, Fyne's driver, before Fyne does, and says whether that worked (Fyne
// only logs it, then panics at its first window). glfw.Init returns nil on failure, so success is
// read from a call that panics without an initialised GLFW. It must run on the main thread.
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
