// Command flamenco-tray lists the Flamenco Managers on the LAN in the system tray, opens their web
// UI, and can advertise a Manager that runs on this machine. Its subcommands do the same without a
// display; see usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/localeenv"
	"github.com/flamenco-tray/flamenco-tray/internal/singleinstance"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `Usage:
  flamenco-tray                         start the tray
  flamenco-tray discover [--timeout 3s] [--json] [--watch] [--known URL]... [--manager URL]...
                                        list the Flamenco Managers on the LAN (--watch: follow changes;
                                        --manager: one multicast cannot reach, which must answer)
  flamenco-tray status [--manager URL]... [--user NAME] [--key KEY] [--json] [--timeout 3s]
                                        the farm of every Manager (found, remembered, or only those
                                        given): its state, Workers and jobs by status, and my jobs
  flamenco-tray status --watch [--json] [--manager URL]...
                                        one line per change of my jobs and of the farm state, until
                                        interrupted
  flamenco-tray advertise [--manager URL]
                                        advertise the Manager on this machine over SSDP until interrupted
  flamenco-tray worker --manager URL [--worker-bin PATH]
                                        run a Flamenco Worker for that Manager here until Ctrl+C, which
                                        signs it off
  flamenco-tray autostart on|off|status
                                        start this program when the user logs in, or not (status: where)
  flamenco-tray version                 print the version

Every command takes --debug for detailed logs.
`

func main() {
	localeenv.Restore() // after Fyne's initialisation, before anything else
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	command := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		command, args = args[0], args[1:]
	}
	var err error
	switch command {
	case "":
		err = runTray(ctx, args, stderr)
	case "discover":
		err = runDiscover(ctx, args, stdout, stderr)
	case "advertise":
		err = runAdvertise(ctx, args, stdout, stderr)
	case "status":
		err = runStatus(ctx, args, stdout, stderr)
	case "worker":
		err = runWorker(ctx, args, stdout, stderr)
	case "autostart":
		err = runAutostart(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "flamenco-tray %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError(fmt.Sprintf("unknown command %q", command))
	}
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if exit.message != "" {
			fmt.Fprintln(stderr, exit.message)
		}
		return exit.code
	default:
		fmt.Fprintln(stderr, "flamenco-tray:", err)
		return 1
	}
}

// exitError ends a command with a given exit code and message.
type exitError struct {
	code    int
	message string
}

func (e exitError) Error() string { return e.message }

func usageError(message string) error {
	return exitError{code: 2, message: "flamenco-tray: " + message + "\n\n" + usage}
}

func newLogger(stderr io.Writer, debug bool) zerolog.Logger {
	level := zerolog.InfoLevel
	if debug || os.Getenv("FLAMENCO_TRAY_DEBUG") != "" {
		level = zerolog.DebugLevel
	}
	// Commands log from several goroutines at once (status asks every Manager together): one whole
	// line at a time, whatever stderr is.
	return zerolog.New(zerolog.SyncWriter(consoleWriter(stderr))).Level(level).With().Timestamp().Logger()
}

func consoleWriter(stderr io.Writer) zerolog.ConsoleWriter {
	noColor := true
	if f, ok := stderr.(*os.File); ok {
		noColor = !isatty.IsTerminal(f.Fd())
	}
	return zerolog.ConsoleWriter{Out: stderr, TimeFormat: "15:04:05", NoColor: noColor}
}

// handoverTimeout bounds how long a second launch of the tray waits for the first to answer.
const handoverTimeout = time.Second

func runTray(ctx context.Context, args []string, stderr io.Writer) error {
	debug := false
	for _, arg := range args {
		if arg != "--debug" {
			return usageError(fmt.Sprintf("unexpected argument %q", arg))
		}
		debug = true
	}
	logger := newLogger(stderr, debug)
	if err := app.CheckDisplay(); err != nil {
		return err
	}
	// One tray per user and desktop session, decided before the log file is opened: only the tray
	// that runs writes to it and rotates it.
	asked := time.Now()
	handoverCtx, cancel := context.WithTimeout(ctx, handoverTimeout)
	instance, err := singleinstance.Acquire(handoverCtx, app.ID)
	cancel()
	var showRequests <-chan struct{}
	var quitting func()
	switch {
	case errors.Is(err, singleinstance.ErrAlreadyRunning):
		logger.Info().Dur("took", time.Since(asked)).Msg("Flamenco Tray is already running; asked it to show itself")
		return nil
	case errors.Is(err, singleinstance.ErrNotAnswering):
		return exitError{code: 1, message: "flamenco-tray: Flamenco Tray is already running in this session but does not " +
			"answer; if it hangs, end it and start it again (" + err.Error() + ")"}
	case err != nil:
		logger.Warn().Err(err).Msg("cannot tell whether Flamenco Tray is already running; starting anyway")
	default:
		defer instance.Close()
		showRequests = instance.ShowRequests()
		quitting = func() { instance.Close() }
		logger.Debug().Str("means", instance.Means).Msg("the one Flamenco Tray of this session")
	}

	logFile, err := openLogFile()
	if err != nil {
		logger.Warn().Err(err).Msg("cannot write a log file; logging to stderr only")
	} else {
		defer logFile.Close()
		logger = logger.Output(zerolog.MultiLevelWriter(consoleWriter(stderr), logFile))
		logger.Info().Str("path", logFile.Path()).Str("version", version).Msg("Flamenco Tray starting")
	}
	// Fyne and its tray library report errors through the standard logger: into the log, not lost on
	// a stderr nobody reads.
	log.SetFlags(0)
	log.SetOutput(logger.With().Str("component", "fyne").Logger())
	var logPath string
	if logFile != nil {
		logPath = logFile.Path()
	}
	return app.Run(ctx, app.Options{Logger: logger, Version: version, LogPath: logPath, ShowRequests: showRequests,
		Quitting: quitting})
}
