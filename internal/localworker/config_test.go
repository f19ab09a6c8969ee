package localworker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// ReadConfig reads the keys of flamenco-worker.yaml in dir, as the Worker does. Exported for the
// package's external tests too.
func ReadConfig(dir string) (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	var values map[string]any
	err = yaml.Unmarshal(data, &values)
	return values, err
}

func TestWriteConfigSetsItsKeysAndKeepsOthers(t *testing.T) {
	t.Parallel()
	dir := ostest.TempDir(t)
	user := "manager_url: http://old:8080/\ntask_types: [blender, misc]\noom_score_adjust: 500\n"
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(user), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteConfig(dir, "http://farm:8080/", "ann's pc: 2-tray"); err != nil {
		t.Fatal(err)
	}
	got, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got["manager_url"] != "http://farm:8080/" || got["worker_name"] != "ann's pc: 2-tray" || got["restart_exit_code"] != 47 ||
		got["oom_score_adjust"] != 500 || len(got["task_types"].([]any)) != 2 {
		t.Errorf("config after writing: %v", got)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	if !strings.HasPrefix(string(data), "# Configuration file for Flamenco Worker") {
		t.Errorf("no header:\n%s", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestWriteConfigRefusesBrokenFile(t *testing.T) {
	t.Parallel()
	dir := ostest.TempDir(t)
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("manager_url: [unclosed\n"), 0o600)
	err := WriteConfig(dir, "http://farm:8080/", "w")
	if err == nil || !strings.Contains(err.Error(), "fix or remove it") {
		t.Errorf("WriteConfig over broken YAML: %v", err)
	}
}

func TestReadWorkerID(t *testing.T) {
	t.Parallel()
	dir := ostest.TempDir(t)
	if id, err := ReadWorkerID(dir); id != "" || err != nil {
		t.Errorf("no credentials yet: %q, %v", id, err)
	}
	// As the real Worker writes it (yaml.v2, with its comment header).
	creds := "# Credentials file for Flamenco Worker.\n#\n# This file is not meant to be manually edited.\n\n" +
		"worker_id: 0fb15e79-a2e0-49ce-9b5d-3727b7424391\nworker_secret: 5e0d1c\n"
	os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(creds), 0o600)
	if id, err := ReadWorkerID(dir); id != "0fb15e79-a2e0-49ce-9b5d-3727b7424391" || err != nil {
		t.Errorf("ReadWorkerID: %q, %v", id, err)
	}
	os.WriteFile(filepath.Join(dir, CredentialsFile), []byte("worker_secret: x\n"), 0o600)
	if _, err := ReadWorkerID(dir); err == nil || !strings.Contains(err.Error(), "no worker_id") {
		t.Errorf("credentials without an id: %v", err)
	}
}
