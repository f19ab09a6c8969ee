//go:build linux

package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
	ws "github.com/flamenco-tray/flamenco-tray/internal/testkit/workerstandin"
)

// workerHome keeps the command's Worker directories and log in the test's own directories.
func workerHome(t *testing.T) (dataDir, logDir string) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	return filepath.Join(os.Getenv("XDG_DATA_HOME"), "flamenco-tray", "workers"), filepath.Join(os.Getenv("XDG_CACHE_HOME"), "flamenco-tray")
}

type workerRun struct {
	cancel      context.CancelFunc
	done        chan int
	out, errOut *testio.SyncBuffer
}

func startWorkerCommand(t *testing.T, args ...string) *workerRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &workerRun{cancel: cancel, done: make(chan int, 1), out: &testio.SyncBuffer{}, errOut: &testio.SyncBuffer{}}
	go func() { r.done <- Run(ctx, append([]string{"worker"}, args...), r.out, r.errOut, testVersion) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
			t.Error("the worker command did not end")
		}
	})
	return r
}

func (r *workerRun) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // for the cleanup
		return code
	case <-time.After(within):
		t.Fatalf("the worker command still runs after %v; stdout:\n%s\nstderr:\n%s", within, r.out.String(), r.errOut.String())
		return 0
	}
}

func TestWorkerCommandCtrlCSignsWorkerOff(t *testing.T) {
	dataDir, logDir := workerHome(t)
	mgr := ws.NewManager(t)
	bin := ws.Install(t, t.TempDir(), ws.Poll(50*time.Millisecond))

	r := startWorkerCommand(t, "--manager", mgr.URL, "--worker-bin", bin)
	testio.WaitFor(t, 20*time.Second, func() bool { return strings.Contains(r.out.String(), "  awake\n") })
	r.cancel() // Ctrl+C
	if code := r.exitCode(t, 60*time.Second); code != 0 {
		t.Fatalf("exit %d after Ctrl+C; stdout:\n%s\nstderr:\n%s", code, r.out.String(), r.errOut.String())
	}

	events := mgr.Events()
	id := ""
	for _, e := range events {
		if e.Kind == "register" {
			id = e.WorkerID
		}
	}
	if got := mgr.EventsOf(id); !slices.Contains(got, "setstatus:offline") || !slices.Contains(got, "sign-off:") {
		t.Errorf("the Manager saw %v; want setstatus offline and a sign-off", got)
	}
	if status := mgr.WorkerStatus(id); status != "offline" {
		t.Errorf("the Manager lists the Worker %s", status)
	}
	name, _ := localworker.DirName(mgr.URL)
	out := r.out.String()
	for _, want := range []string{filepath.Join(dataDir, name), filepath.Join(logDir, "flamenco-worker-"+name+".log"), bin,
		"Signing the Worker off", "  offline\n", "The Worker signed off; the Manager lists it offline."} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if saved, _ := localworker.ReadWorkerID(filepath.Join(dataDir, name)); saved != id {
		t.Errorf("credentials hold %q, the Manager registered %q", saved, id)
	}
}

func TestWorkerCommandEndsWhenManagerSetsWorkerOffline(t *testing.T) {
	workerHome(t)
	mgr := ws.NewManager(t)
	bin := ws.Install(t, t.TempDir(), ws.Poll(50*time.Millisecond))

	r := startWorkerCommand(t, "--manager", mgr.URL, "--worker-bin", bin)
	mgr.WaitFor(t, 20*time.Second, "the Worker awake", func(events []farmstandin.Event) bool {
		return farmstandin.Has(events, "state-changed", "", "awake")
	})
	id := mgr.Events()[0].WorkerID
	if err := managerapi.NewClient(mgr.URL).SetWorkerStatus(context.Background(), id, managerapi.WorkerOffline, false); err != nil {
		t.Fatal(err)
	}
	if code := r.exitCode(t, 30*time.Second); code != 0 || !strings.Contains(r.out.String(), "The Manager set the Worker offline") {
		t.Errorf("exit %d; stdout:\n%s\nstderr:\n%s", code, r.out.String(), r.errOut.String())
	}
	if n := farmstandin.Count(mgr.Events(), "sign-on", id); n != 1 {
		t.Errorf("signed on %d times; a Worker set offline is not relaunched", n)
	}
}

func TestWorkerCommandErrors(t *testing.T) {
	workerHome(t)
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	mgr := ws.NewManager(t)
	missing := filepath.Join(t.TempDir(), "flamenco-worker")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no manager", nil, 2, "--manager URL is required"},
		{"bad URL", []string{"--manager", "ftp://farm/"}, 2, "only http and https"},
		{"manager not answering", []string{"--manager", "http://127.0.0.1:1/", "--worker-bin", missing}, 1, "no Flamenco Manager answers at http://127.0.0.1:1"},
		{"no worker binary", []string{"--manager", mgr.URL, "--worker-bin", missing}, 1, "flamenco-worker not found at " + missing},
		// Safe by default: where idle cannot be read, the computer is not lent, and no Worker runs.
		{"when away without a desktop", []string{"--manager", mgr.URL, "--worker-bin", missing, "--when-away", "10m"}, 1,
			"cannot lend this computer: idle time cannot be read on this desktop: no desktop session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCommand(context.Background(), append([]string{"worker"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q (stdout %q)", code, errOut, tc.code, tc.want, out)
			}
		})
	}
	if len(mgr.Events()) != 0 {
		t.Errorf("the Manager saw %v", mgr.Events())
	}
}
