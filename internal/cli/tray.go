package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/rotatinglog"
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
		return fmt.Errorf("Flamenco Tray is already running in this session but does not answer; if it hangs, end it and "+
			"start it again (%w)", err)
	case err != nil:
		logger.Warn().Err(err).Msg("cannot tell whether Flamenco Tray is already running; starting anyway")
	default:
		defer instance.Close()
		showRequests = instance.ShowRequests()
		quitting = func() { instance.Close() }
		logger.Debug().Str("means", instance.Means).Msg("the one Flamenco Tray of this session")
	}

	var logPath string
	logFile, err := openLogFile()
	if err != nil {
		logger.Warn().Err(err).Msg("cannot write a log file; logging to stderr only")
	} else {
		defer logFile.Close()
		logPath = logFile.Path()
		logger = logger.Output(zerolog.MultiLevelWriter(consoleWriter(stderr), logFile))
		logger.Info().Str("path", logPath).Str("version", version).Msg("Flamenco Tray starting")
	}
	// Fyne and its tray library report errors through the standard logger: into the log, not lost on
	// a stderr nobody reads.
	log.SetFlags(0)
	log.SetOutput(logger.With().Str("component", "fyne").Logger())
	return app.Run(ctx, app.Options{Logger: logger, Version: version, LogPath: logPath, ShowRequests: showRequests,
		Quitting: quitting})
}

// maxLogSize caps the log file: past it, the file becomes flamenco-tray.log.1 (replacing the one
// before) and a new one starts.
const maxLogSize = 5 << 20

// openLogFile opens flamenco-tray.log in the user's cache directory, private to the user as it names
// the Managers seen. Only the one running tray opens it, so no other process rotates it.
func openLogFile() (*rotatinglog.File, error) {
	dir, err := localworker.DefaultLogDir() // the Workers' logs go beside it
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return rotatinglog.Open(filepath.Join(dir, "flamenco-tray.log"), maxLogSize, logNotice)
}

// logNotice is a line of the log file's own (a rotation that failed), in zerolog's JSON as the
// tray's other lines are.
func logNotice(at time.Time, text string) []byte {
	line, _ := json.Marshal(map[string]string{"level": "warn", "time": at.Format(time.RFC3339), "message": text})
	return append(line, '\n')
}
