package app

import "github.com/go-gl/glfw/v3.3/glfw"

// A tray app has no Dock icon (LSUIElement in its Info.plist), but GLFW, Fyne's driver, makes the app
// a regular one with a Dock icon when AppKit finishes launching, unless told not to build its default
// menu bar. Fyne initialises GLFW only when it first needs it, after this.
func init() {
	glfw.InitHint(glfw.CocoaMenubar, glfw.False)
}
