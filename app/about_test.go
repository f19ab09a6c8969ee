package app

import (
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestAboutSaysVersionBuildAndLog(t *testing.T) {
	t.Parallel()
	build := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
	}}
	got := aboutLines("1.2.3", build, "/home/ann/.cache/flamenco-tray/flamenco-tray.log")
	want := []string{
		"Flamenco Tray 1.2.3",
		"Built with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH + ", revision 0123456789ab (modified)",
		"Log file: /home/ann/.cache/flamenco-tray/flamenco-tray.log",
	}
	if !slices.Equal(got, want) {
		t.Errorf("about:\n got %q\nwant %q", got, want)
	}
	if got := aboutLines("dev", nil, ""); !strings.Contains(got[2], "No log file") {
		t.Errorf("without a log file: %q", got)
	}
}

func TestFolderURL(t *testing.T) {
	t.Parallel()
	if got := folderURL("/home/ann/.cache/flamenco-tray/flamenco-tray.log").String(); got != "file:///home/ann/.cache/flamenco-tray" {
		t.Errorf("folderURL = %q", got)
	}
}
