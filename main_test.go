//go:build linux

package main

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

// The tests here build and run the program itself, end to end: the tray in a test panel on Xvfb
// with a real session bus, stand-in Managers and Workers in harness namespaces. The commands' own
// tests are in internal/cli.
func TestMain(m *testing.M) {
	standin.MaybeRun()
	workerstandin.MaybeRun()
	netns.Main(m)
}
