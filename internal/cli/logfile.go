package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/rotatinglog"
)

// maxLogSize caps the log file: past it, the file becomes flamenco-tray.log.1 (replacing the one
// before) and a new one starts.
const maxLogSize = 5 << 20

// openLogFile opens flamenco-tray.log in the user's cache directory, private to the user as it names
// the Managers and addresses seen (%LocalAppData%, the user's profile, on Windows). Only the one
// running tray opens it (see runTray), so it is rotated by the process that writes it, never under
// another: at start when it is over the limit, and while running as soon as a line would take it
// over. Lines are written whole (zerolog writes one event per Write).
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
