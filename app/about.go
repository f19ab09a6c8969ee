package app

import (
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// aboutLines is what "About" says: the version, the build, and where the log is.
func aboutLines(version string, build *debug.BuildInfo, logPath string) []string {
	buildLine := fmt.Sprintf("Built with %s for %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if build != nil {
		settings := make(map[string]string)
		for _, s := range build.Settings {
			settings[s.Key] = s.Value
		}
		if revision := settings["vcs.revision"]; revision != "" {
			if len(revision) > 12 {
				revision = revision[:12]
			}
			if settings["vcs.modified"] == "true" {
				revision += " (modified)"
			}
			buildLine += ", revision " + revision
		}
	}
	logLine := "No log file: logging to the terminal only."
	if logPath != "" {
		logLine = "Log file: " + logPath
	}
	return []string{"Flamenco Tray " + version, buildLine, logLine}
}

// ShowAbout opens the About window: aboutLines, how each Manager's changes arrive
// (connectionLines) and, when there is a log file, a button that opens its folder.
func (w *windows) ShowAbout() {
	w.showOnce("about", func() fyne.Window {
		win := w.app.NewWindow("About Flamenco Tray")
		build, _ := debug.ReadBuildInfo()
		box := container.NewVBox()
		for i, line := range append(aboutLines(w.version, build, w.logPath), w.with.Connections()...) {
			label := widget.NewLabel(line)
			label.Wrapping = fyne.TextWrapBreak
			label.TextStyle.Bold = i == 0
			box.Add(label)
		}
		if w.logPath != "" {
			folder := folderURL(w.logPath)
			box.Add(widget.NewButton("Open log folder", func() {
				if err := w.app.OpenURL(folder); err != nil {
					w.log.Error().Err(err).Stringer("folder", folder).Msg("cannot open the log folder")
				}
			}))
		}
		box.Add(widget.NewButton("Close", win.Close))
		win.SetContent(container.NewPadded(box))
		win.Resize(fyne.NewSize(460, 0))
		return win
	})
}

// folderURL is the file:// URL of the folder that holds path ("C:\Users\…" becomes file:///C:/Users/…).
func folderURL(path string) *url.URL {
	dir := filepath.ToSlash(filepath.Dir(path))
	if !strings.HasPrefix(dir, "/") {
		dir = "/" + dir
	}
	return &url.URL{Scheme: "file", Path: dir}
}
