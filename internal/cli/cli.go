// Package cli is flamenco-tray's command line: each command (discover, advertise, status, job,
// worker, autostart, version, and the tray itself) in its own file, sharing one way to find Managers
// (find.go: a Browser's first search, and a probe of each URL once) and the tray's farm.Fleet.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

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
  flamenco-tray job pause|resume|requeue|cancel JOB_ID [--manager URL]
                                        act on one job, as the menu does: the Manager given, else the
                                        one found that has the job; exit 1 with the Manager's words
                                        when it refuses
  flamenco-tray advertise [--manager URL]
                                        advertise the Manager on this machine over SSDP until interrupted
  flamenco-tray worker --manager URL [--worker-bin PATH] [--when-away DURATION [--when-back stop|finish]
                       [--hours "19:00-08:00 mon,tue"] [--load-limit PERCENT]]
                                        run a Flamenco Worker for that Manager here until Ctrl+C, which
                                        signs it off (--when-away: only while nobody uses this computer)
  flamenco-tray autostart on|off|status
                                        start this program when the user logs in, or not (status: where)
  flamenco-tray version                 print the version

Every command takes --debug for detailed logs.
`

// Run executes one command line (without the program's name) and returns the exit code. version is
// the program's, as built.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, version string) int {
	command := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		command, args = args[0], args[1:]
	}
	var err error
	switch command {
	case "":
		err = runTray(ctx, args, stderr, version)
	case "discover":
		err = runDiscover(ctx, args, stdout, stderr)
	case "advertise":
		err = runAdvertise(ctx, args, stdout, stderr)
	case "status":
		err = runStatus(ctx, args, stdout, stderr)
	case "job":
		err = runJob(ctx, args, stdout, stderr)
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

// exitError ends a command with a given exit code and message; any other error exits 1 with
// "flamenco-tray: " before it.
type exitError struct {
	code    int
	message string
}

func (e exitError) Error() string { return e.message }

func usageError(message string) error {
	return exitError{code: 2, message: "flamenco-tray: " + message + "\n\n" + usage}
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// newFlagSet is a command's flags, with the --debug every command takes.
func newFlagSet(name string, stderr io.Writer) (fs *flag.FlagSet, debug *bool) {
	fs = flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, fs.Bool("debug", false, "log details")
}

// parseFlags parses the flags of a command that takes no other arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2} // the flag package has said what is wrong
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	return nil
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
