// Command flamenco-tray lists the Flamenco Managers on the LAN in the system tray, opens their web
// UI, and can advertise a Manager that runs on this machine. Its subcommands do the same without a
// display: see internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/flamenco-tray/flamenco-tray/internal/cli"
	"github.com/flamenco-tray/flamenco-tray/internal/localeenv"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	localeenv.Restore() // after Fyne's initialisation, before anything else
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, version)
	stop()
	os.Exit(code)
}
