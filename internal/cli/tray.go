package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/singleinstance"
)

// handoverTimeout bounds how long a second launch of the tray waits for the first to answer.
const handoverTimeout = time.Second

// runTray starts the tray: one per user and desktop session.
func runTray(ctx context.Context, args []string, stderr io.Writer, version string) error {
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
