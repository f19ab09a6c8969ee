package localworker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/flamenco-tray/flamenco-tray/internal/atomicfile"
)

// The Worker's files in its directory.
const (
	ConfigFile      = "flamenco-worker.yaml"             // read from its working directory
	CredentialsFile = "flamenco-worker-credentials.yaml" // written into $FLAMENCO_HOME
)

// DefaultRestartExitCode is the restart_exit_code written for the Worker (Flamenco's documentation
// uses 47): non-zero marks it restartable at the Manager.
const DefaultRestartExitCode = 47

const configHeader = `# Configuration file for Flamenco Worker, written by Flamenco Tray.
# manager_url, worker_name and restart_exit_code are set each time it starts the Worker; other keys
# (task_types, oom_score_adjust; see https://flamenco.blender.org/usage/worker-configuration/) are kept.
`

// WriteConfig writes flamenco-worker.yaml into dir: the Manager's URL, the Worker's name and
// DefaultRestartExitCode, keeping other keys (a user's task_types), and replacing the file at once
// so the Worker never reads half of one.
func WriteConfig(dir, managerURL, workerName string) error {
	path := filepath.Join(dir, ConfigFile)
	values := map[string]any{}
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	default:
		if err := yaml.Unmarshal(old, &values); err != nil {
			return fmt.Errorf("%s is not valid YAML (%v): fix or remove it", path, err)
		}
		if values == nil { // an empty file
			values = map[string]any{}
		}
	}
	values["manager_url"] = managerURL
	values["worker_name"] = workerName
	values["restart_exit_code"] = DefaultRestartExitCode
	body, err := yaml.Marshal(values)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, append([]byte(configHeader), body...), 0o600)
}

// ReadWorkerID returns the Worker's id at its Manager from the credentials file in dir; "" without
// an error when the Worker has not registered yet (no file).
func ReadWorkerID(dir string) (string, error) {
	path := filepath.Join(dir, CredentialsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	var creds struct {
		WorkerID string `yaml:"worker_id"`
	}
	if err := yaml.Unmarshal(data, &creds); err != nil {
		return "", fmt.Errorf("%s is not valid YAML: %w", path, err)
	}
	if strings.TrimSpace(creds.WorkerID) == "" {
		return "", fmt.Errorf("%s has no worker_id", path)
	}
	return strings.TrimSpace(creds.WorkerID), nil
}
