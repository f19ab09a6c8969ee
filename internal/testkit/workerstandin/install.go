//go:build linux

package workerstandin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Option changes how an installed stand-in Worker behaves.
type Option func(env map[string]string)

// Poll replaces each of the real Worker's waits (20 s between asking for work, 3 s asleep, 10 s
// between "may I keep running") with d, so tests run fast.
func Poll(d time.Duration) Option { return func(env map[string]string) { env[envPoll] = d.String() } }

// ShutdownLimit replaces the 20 s after which the Worker forces its own shutdown.
func ShutdownLimit(d time.Duration) Option {
	return func(env map[string]string) { env[envShutdownLimit] = d.String() }
}

// SlowSignOff makes its sign-off take d.
func SlowSignOff(d time.Duration) Option {
	return func(env map[string]string) { env[envSignOffDelay] = d.String() }
}

// IgnoreInterrupt makes it ignore SIGINT and SIGTERM (saying so in its log), as a hung Worker would.
func IgnoreInterrupt() Option { return func(env map[string]string) { env[envIgnoreInterrupt] = "1" } }

// Install writes dir/flamenco-worker: a script that runs this test binary as a stand-in Worker
// (its TestMain must call MaybeRun), and returns its path.
func Install(tb testing.TB, dir string, opts ...Option) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	env := map[string]string{envWorker: "1"}
	for _, opt := range opts {
		opt(env)
	}
	var script strings.Builder
	script.WriteString("#!/bin/sh\n# A stand-in Flamenco Worker for tests: the test binary, re-executed.\n")
	for k, v := range env {
		fmt.Fprintf(&script, "export %s=%s\n", k, shellQuote(v))
	}
	// exec: the Worker's pid is the one the supervisor started, and its signals reach the test binary.
	fmt.Fprintf(&script, "exec %s -test.run='^$' \"$@\"\n", shellQuote(exe))
	path := filepath.Join(dir, "flamenco-worker")
	if err := os.WriteFile(path, []byte(script.String()), 0o755); err != nil {
		tb.Fatal(err)
	}
	return path
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
