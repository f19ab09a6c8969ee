//go:build linux

// Package workerstandin is the test harness of package localworker: a stand-in Flamenco Worker that
// runs as a process (this test binary, re-executed; install.go) and behaves as the real Worker 3.3.1
// does where the supervisor depends on it. The Manager it talks to is farmstandin's (NewManager).
package workerstandin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"
)

// The environment of a stand-in Worker (see Install).
const (
	envWorker          = "FLAMENCO_TRAY_STANDIN_WORKER"                  // "1": this process is a stand-in Worker
	envPoll            = "FLAMENCO_TRAY_STANDIN_WORKER_POLL"             // replaces each of the real Worker's waits (20 s, 3 s, 10 s, 2 s)
	envShutdownLimit   = "FLAMENCO_TRAY_STANDIN_WORKER_SHUTDOWN_LIMIT"   // replaces the 20 s after which its shutdown is forced
	envSignOffDelay    = "FLAMENCO_TRAY_STANDIN_WORKER_SIGN_OFF_DELAY"   // makes its sign-off slow (to force its shutdown)
	envIgnoreInterrupt = "FLAMENCO_TRAY_STANDIN_WORKER_IGNORE_INTERRUPT" // "1": it ignores SIGINT and SIGTERM, saying so
)

// The real Worker's waits (internal/worker of Flamenco 3.3).
const (
	realNoTaskWait       = 20 * time.Second // between asking for a task when there was none
	realFirstFetchWait   = 3 * time.Second  // before first asking for a task
	realTaskCompleteWait = 2 * time.Second  // after a task
	realSleepCheck       = 3 * time.Second  // while asleep
	realMayKeepRunning   = 10 * time.Second // while running a task
	realSignOnRetry      = 5 * time.Second  // signing on while the Manager does not answer
	realShutdownLimit    = 20 * time.Second // then its shutdown is forced: os.Exit(-2)
	signOffTimeout       = 3 * time.Second
)

// MaybeRun runs a stand-in Worker and exits when this process was started as one (see Install);
// otherwise it returns at once. Call it first thing in TestMain.
func MaybeRun() {
	if os.Getenv(envWorker) == "" {
		return
	}
	os.Exit(runWorker())
}

type workerOptions struct {
	noTaskWait, firstFetchWait, taskCompleteWait, sleepCheck, mayKeepRunning, signOnRetry time.Duration
	shutdownLimit, signOffDelay                                                           time.Duration
	ignoreInterrupt                                                                       bool
}

func optionsFromEnv() (workerOptions, error) {
	o := workerOptions{realNoTaskWait, realFirstFetchWait, realTaskCompleteWait, realSleepCheck, realMayKeepRunning,
		realSignOnRetry, realShutdownLimit, 0, os.Getenv(envIgnoreInterrupt) == "1"}
	duration := func(name string, into ...*time.Duration) error {
		v := os.Getenv(name)
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s=%q: %w", name, v, err)
		}
		for _, p := range into {
			*p = d
		}
		return nil
	}
	return o, errors.Join(
		duration(envPoll, &o.noTaskWait, &o.firstFetchWait, &o.taskCompleteWait, &o.sleepCheck, &o.mayKeepRunning, &o.signOnRetry),
		duration(envShutdownLimit, &o.shutdownLimit),
		duration(envSignOffDelay, &o.signOffDelay))
}

// workerConfig is flamenco-worker.yaml, as the real Worker reads it.
type workerConfig struct {
	WorkerName        string   `yaml:"worker_name" json:"WorkerName"`
	ConfiguredManager string   `yaml:"manager_url" json:"ConfiguredManager"`
	ManagerURL        string   `yaml:"-" json:"ManagerURL"`
	TaskTypes         []string `yaml:"task_types" json:"TaskTypes"`
	RestartExitCode   int      `yaml:"restart_exit_code" json:"RestartExitCode"`
}

type credentials struct {
	WorkerID string `yaml:"worker_id"`
	Secret   string `yaml:"worker_secret"`
}

// standinWorker is one stand-in Worker process.
type standinWorker struct {
	log    zerolog.Logger
	opts   workerOptions
	cfg    workerConfig
	home   string
	creds  credentials
	client *http.Client
}

// runWorker is the stand-in Worker's main; it returns the exit code.
func runWorker() int {
	// Like the real Worker: a console writer on stdout, in colour whatever stdout is.
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stdout, TimeFormat: time.RFC3339}).With().Timestamp().Logger()
	log.Info().Str("version", "3.3.1").Str("standin", "localworker").Int("pid", os.Getpid()).Msg("starting Flamenco Worker")
	opts, err := optionsFromEnv()
	if err != nil {
		log.Error().Err(err).Msg("stand-in Worker: bad options")
		return 3
	}
	w := &standinWorker{log: log, opts: opts, client: &http.Client{Timeout: 10 * time.Second}}
	w.home = os.Getenv("FLAMENCO_HOME")
	if w.home == "" {
		// The real Worker would use ~/.local/share/flamenco: outside the test's directories.
		log.Error().Msg("stand-in Worker: FLAMENCO_HOME is not set; refusing to write outside the test")
		return 3
	}
	if err := w.loadConfig(); err != nil {
		log.Error().Err(err).Msg("error loading worker configuration") // the real Worker's log.Fatal
		return 1
	}
	log.Info().Interface("config", w.cfg).Msg("loaded configuration")
	if w.cfg.ManagerURL == "" {
		// The real Worker would search the LAN for a Manager; the stand-in does not.
		log.Error().Msg("stand-in Worker: no manager_url in flamenco-worker.yaml, and it does not autodiscover")
		return 1
	}
	// It speaks plain HTTP to the test's stand-in Manager, never SSDP: it needs no network namespace,
	// but it must never talk to anything but this machine.
	if !onLoopback(w.cfg.ManagerURL) {
		fmt.Fprintln(os.Stderr, "stand-in Worker refused: manager_url", w.cfg.ManagerURL, "is not on loopback")
		return 3
	}

	// The real Worker handles signals only once signed on: before, SIGINT ends it by default.
	startup, code := w.registerOrSignOn()
	if code != 0 {
		return code
	}
	return w.run(startup)
}

func (w *standinWorker) loadConfig() error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	path := filepath.Join(cwd, "flamenco-worker.yaml")
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		w.log.Warn().Str("path", path).Msg("stand-in Worker: no flamenco-worker.yaml in its working directory; using defaults")
	case err != nil:
		return err
	default:
		if err := yaml.Unmarshal(data, &w.cfg); err != nil {
			return err
		}
		var keys map[string]any
		yaml.Unmarshal(data, &keys)
		for key := range keys {
			switch key {
			case "worker_name", "manager_url", "task_types", "restart_exit_code", "oom_score_adjust":
			default:
				w.log.Warn().Str("key", key).Msg("stand-in Worker: unknown key in flamenco-worker.yaml (the real Worker ignores it)")
			}
		}
	}
	if w.cfg.TaskTypes == nil {
		w.cfg.TaskTypes = []string{"blender", "ffmpeg", "file-management", "misc"}
	}
	w.cfg.ManagerURL = strings.TrimSpace(w.cfg.ConfiguredManager)
	return nil
}

func (w *standinWorker) credentialsPath() string {
	return filepath.Join(w.home, "flamenco-worker-credentials.yaml")
}

// registerOrSignOn signs on with the saved credentials, registering first when there are none or
// the Manager rejects them. It returns the status to start in, or an exit code.
func (w *standinWorker) registerOrSignOn() (string, int) {
	if data, err := os.ReadFile(w.credentialsPath()); err == nil && yaml.Unmarshal(data, &w.creds) == nil && w.creds.WorkerID != "" {
		w.log.Info().Str("filename", w.credentialsPath()).Msg("loaded credentials")
		for {
			startup, status, err := w.signOn()
			if err == nil {
				return startup, 0
			}
			if status != 0 { // the Manager answered, and rejected the credentials
				break
			}
			w.log.Warn().Err(err).Msg("unable to send sign-on request")
			time.Sleep(w.opts.signOnRetry) // the real Worker retries for ever
		}
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	w.creds = credentials{Secret: hex.EncodeToString(secret)}
	var registered struct {
		UUID string `json:"uuid"`
	}
	status, err := w.call(context.Background(), http.MethodPost, "api/v3/worker/register-worker", map[string]any{
		"name": w.name(), "platform": "linux", "secret": w.creds.Secret, "supported_task_types": w.cfg.TaskTypes,
	}, &registered)
	if err != nil || status != http.StatusOK || registered.UUID == "" {
		w.log.Error().Err(err).Int("code", status).Msg("error registering at Manager")
		return "", 1
	}
	w.log.Info().Int("code", status).Str("uuid", registered.UUID).Msg("registered at Manager")
	w.creds.WorkerID = registered.UUID
	if err := w.saveCredentials(); err != nil {
		w.log.Error().Err(err).Msg("unable to write credentials file")
		return "", 1
	}
	startup, _, err := w.signOn()
	if err != nil {
		w.log.Error().Err(err).Msg("unable to sign on after registering")
		return "", 1
	}
	return startup, 0
}

func (w *standinWorker) name() string {
	if name := strings.TrimSpace(w.cfg.WorkerName); name != "" {
		w.log.Info().Str("name", name).Msg("worker name obtained from worker configuration instead of using the hostname")
		return name
	}
	host, _ := os.Hostname()
	return host
}

// saveCredentials writes the credentials file as the real Worker does: YAML with a comment header,
// mode 0600, through a temporary file.
func (w *standinWorker) saveCredentials() error {
	body, err := yaml.Marshal(w.creds)
	if err != nil {
		return err
	}
	header := "# Credentials file for Flamenco Worker.\n#\n# This file is not meant to be manually edited. Removing this file is fine, and\n" +
		"# will cause the Worker to re-register as a new Worker.\n#\n\n"
	tmp := w.credentialsPath() + "~"
	if err := os.WriteFile(tmp, append([]byte(header), body...), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, w.credentialsPath()); err != nil {
		return err
	}
	w.log.Info().Str("filename", w.credentialsPath()).Msg("Saved configuration file")
	return nil
}

// signOn returns the status the Manager wants; status is the HTTP status when it answered.
func (w *standinWorker) signOn() (startup string, status int, err error) {
	w.log.Info().Str("manager", w.cfg.ManagerURL).Str("name", w.cfg.WorkerName).Msg("signing on at Manager")
	var answer struct {
		StatusRequested string `json:"status_requested"`
	}
	canRestart := w.cfg.RestartExitCode != 0
	status, err = w.call(context.Background(), http.MethodPost, "api/v3/worker/sign-on", map[string]any{
		"name": w.name(), "supported_task_types": w.cfg.TaskTypes, "software_version": "3.3.1", "can_restart": canRestart,
	}, &answer)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("sign-on answered %d", status)
	}
	if err != nil {
		return "", status, err
	}
	w.log.Info().Str("startup_state", answer.StatusRequested).Msg("manager accepted sign-on")
	return answer.StatusRequested, status, nil
}

// call sends one request to the Manager with the Worker's credentials; it decodes a 200 answer into out.
func (w *standinWorker) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var reader io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(w.cfg.ManagerURL, "/")+"/"+path, reader)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(w.creds.WorkerID, w.creds.Secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if out != nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusLocked) {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// shutdownReason is why the Worker stops, which its exit code tells.
type shutdownReason int

const (
	reasonInterrupted shutdownReason = iota // exit 1
	reasonOffline                           // exit 0
	reasonRestart                           // exit restart_exit_code
)

// run is the signed-on Worker until it shuts down; it returns the exit code.
func (w *standinWorker) run(startup string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range signals {
			if w.opts.ignoreInterrupt {
				w.log.Warn().Str("signal", sig.String()).Msg("stand-in Worker told to ignore signals: ignoring it")
				continue
			}
			w.log.Info().Str("signal", sig.String()).Msg("signal received, shutting down.")
			cancel()
		}
	}()

	reason := w.stateLoop(ctx, startup)
	done := make(chan struct{})
	go func() {
		// Sign off as the last step, as the real Worker does.
		w.log.Info().Str("state", "offline").Msg("signing off at Manager")
		if w.opts.signOffDelay > 0 {
			time.Sleep(w.opts.signOffDelay)
		}
		signOffCtx, cancelSignOff := context.WithTimeout(context.Background(), signOffTimeout)
		defer cancelSignOff()
		if status, err := w.call(signOffCtx, http.MethodPost, "api/v3/worker/sign-off", nil, nil); err != nil || status != http.StatusNoContent {
			w.log.Error().Err(err).Int("code", status).Msg("unable to sign off at Manager")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(w.opts.shutdownLimit):
		w.log.Error().Msg("shutdown forced, stopping process.")
		os.Exit(-2)
	}
	w.log.Warn().Msg("shutdown complete, stopping process.")
	switch reason {
	case reasonOffline:
		return 0
	case reasonRestart:
		return w.cfg.RestartExitCode
	}
	return 1
}

// stateLoop runs the Worker in the Manager's requested states until one ends it.
func (w *standinWorker) stateLoop(ctx context.Context, status string) shutdownReason {
	for {
		// The real Worker acknowledges awake and asleep; offline and restart it only signs off.
		if status == "awake" || status == "asleep" {
			w.log.Info().Str("newState", status).Msg("state change")
			w.ackState(ctx, status)
		}
		switch status {
		case "awake":
			status = w.awake(ctx)
		case "asleep":
			status = w.asleep(ctx)
		case "offline":
			return reasonOffline
		case "restart":
			return reasonRestart
		default:
			w.log.Error().Str("status", status).Msg("stand-in Worker: cannot go to this status; staying awake")
			status = w.awake(ctx)
		}
		if ctx.Err() != nil {
			return reasonInterrupted
		}
	}
}

func (w *standinWorker) ackState(ctx context.Context, status string) {
	code, err := w.call(ctx, http.MethodPost, "api/v3/worker/state-changed", map[string]string{"status": status}, nil)
	if err != nil || code != http.StatusNoContent {
		w.log.Warn().Err(err).Int("code", code).Msg("error notifying Manager of status change")
	}
}

// awake asks for tasks and runs them until the Manager requests another status (returned) or ctx ends.
func (w *standinWorker) awake(ctx context.Context) string {
	wait := w.opts.firstFetchWait
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(wait):
		}
		var answer struct {
			// A task (200) or a status change (423).
			UUID     string `json:"uuid"`
			Job      string `json:"job"`
			Commands []struct {
				Name       string         `json:"name"`
				Parameters map[string]any `json:"parameters"`
			} `json:"commands"`
			StatusRequested string `json:"status_requested"`
		}
		code, err := w.call(ctx, http.MethodPost, "api/v3/worker/task", nil, &answer)
		switch {
		case ctx.Err() != nil:
			return ""
		case err != nil:
			w.log.Error().Err(err).Msg("error obtaining task")
			wait = w.opts.noTaskWait
		case code == http.StatusLocked:
			w.log.Info().Str("requestedStatus", answer.StatusRequested).Msg("Manager requests status change")
			return answer.StatusRequested
		case code == http.StatusNoContent:
			wait = w.opts.noTaskWait
		case code == http.StatusOK:
			w.log.Info().Str("task", answer.UUID).Str("job", answer.Job).Msg("obtained task")
			seconds := 0.0
			for _, c := range answer.Commands {
				if c.Name == "sleep" {
					seconds, _ = c.Parameters["duration_in_seconds"].(float64)
				}
			}
			if requested := w.runTask(ctx, answer.UUID, time.Duration(seconds*float64(time.Second))); requested {
				wait = 0 // ask now: the Manager answers with the status it wants
			} else {
				wait = w.opts.taskCompleteWait
			}
		default:
			w.log.Warn().Int("code", code).Msg("unable to obtain task for unknown reason")
			wait = w.opts.noTaskWait
		}
	}
}

// runTask sleeps for d, asking the Manager whether it may keep running; it reports the task
// completed, or says that it stopped because a status change was requested.
func (w *standinWorker) runTask(ctx context.Context, taskID string, d time.Duration) (statusChangeRequested bool) {
	done := time.After(d)
	for {
		select {
		case <-ctx.Done():
			w.log.Warn().Str("task", taskID).Msg("task aborted due to context being closed")
			return false
		case <-done:
			code, err := w.call(ctx, http.MethodPost, "api/v3/worker/task/"+taskID,
				map[string]string{"task_status": "completed", "activity": "Task completed"}, nil)
			if err != nil || code != http.StatusNoContent {
				w.log.Error().Err(err).Int("code", code).Msg("error sending task update")
			}
			return false
		case <-time.After(w.opts.mayKeepRunning):
			var answer struct {
				MayKeepRunning        bool   `json:"may_keep_running"`
				Reason                string `json:"reason"`
				StatusChangeRequested bool   `json:"status_change_requested"`
			}
			code, err := w.call(ctx, http.MethodGet, "api/v3/worker/task/"+taskID+"/may-i-run", nil, &answer)
			if err != nil || code != http.StatusOK || answer.MayKeepRunning {
				continue
			}
			w.log.Warn().Str("task", taskID).Str("reason", answer.Reason).Msg("task aborted by request of Manager")
			return answer.StatusChangeRequested
		}
	}
}

// asleep checks for a requested status until one comes (returned) or ctx ends.
func (w *standinWorker) asleep(ctx context.Context) string {
	w.log.Info().Str("workerStatus", "asleep").Msg("sleeping")
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(w.opts.sleepCheck):
		}
		var answer struct {
			StatusRequested string `json:"status_requested"`
		}
		code, err := w.call(ctx, http.MethodGet, "api/v3/worker/state", nil, &answer)
		if err == nil && code == http.StatusOK && answer.StatusRequested != "" && answer.StatusRequested != "asleep" {
			w.log.Info().Str("requestedStatus", answer.StatusRequested).Msg("Manager requests status change")
			return answer.StatusRequested
		}
	}
}

// onLoopback says whether rawURL names this machine by a loopback address or "localhost".
func onLoopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	return err == nil && ip.IsLoopback()
}
