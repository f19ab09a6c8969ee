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
	"github.com/rs/zerolog"
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

// newAboutWindow shows aboutLines, how each Manager's changes arrive (connectionLines) and, when
// there is a log file, a button that opens its folder.
func newAboutWindow(a fyne.App, log zerolog.Logger, version, logPath string, connections []string) fyne.Window {
	w := a.NewWindow("About Flamenco Tray")
	build, _ := debug.ReadBuildInfo()
	box := container.NewVBox()
	for i, line := range append(aboutLines(version, build, logPath), connections...) {
		label := widget.NewLabel(line)
		label.Wrapping = fyne.TextWrapBreak
		if i == 0 {
			label.TextStyle.Bold = true
		}
		box.Add(label)
	}
	if logPath != "" {
		folder := folderURL(logPath)
		box.Add(widget.NewButton("Open log folder", func() {
			if err := a.OpenURL(folder); err != nil {
				log.Error().Err(err).Stringer("folder", folder).Msg("cannot open the log folder")
			}
		}))
	}
	box.Add(widget.NewButton("Close", w.Close))
	w.SetContent(container.NewPadded(box))
	w.Resize(fyne.NewSize(460, 0))
	return w
}

// folderURL is the file:// URL of the folder that holds path ("C:\Users\…" becomes file:///C:/Users/…).
func folderURL(path string) *url.URL {
	dir := filepath.ToSlash(filepath.Dir(path))
	if !strings.HasPrefix(dir, "/") {
		dir = "/" + dir
	}
	return &url.URL{Scheme: "file", Path: dir}
}
