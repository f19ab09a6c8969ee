//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/itconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/standin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/testio"
)

// The commands with a Manager IT set for every user: one multicast does not reach (here, a stand-in
// that never advertises, served on loopback), in a real file. They search too: the namespace keeps
// their packets in.

// skippedWarning is the warning for line 2 of the file at path, "ftp://nas/", as IT reads it.
func skippedWarning(path string) string {
	return `flamenco-tray: warning: Managers set by IT for every user: ` + path + ` line 2: "ftp://nas/": not a Manager address`
}

// status lists a Manager IT set as it lists those added by hand, and says which line it skipped.
func TestStatusIncludesTheManagersSetByIT(t *testing.T) {
	netns.RequireIsolated(t)
	srv, _ := studioFarm(t)
	path := itconfig.ManagersFile(t, "# for every user\nftp://nas/\n"+srv.URL+"\n")
	trayHome(t) // no tray settings
	code, out, errOut := runCommand(context.Background(), "status", "--json", "--timeout", "2s", "--user", "alice")
	var list []statusOutput
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("exit %d, output %v:\n%s\n%s", code, err, out, errOut)
	}
	if code != 0 || list[0].Name != "Studio Farm" || list[0].URL != srv.URL || len(list[0].MyJobs) != 2 {
		t.Errorf("exit %d, %+v; stderr:\n%s", code, list[0], errOut)
	}
	if !strings.Contains(errOut, skippedWarning(path)) {
		t.Errorf("stderr lacks the skipped line:\n%s", errOut)
	}
}

// discover lists a Manager IT set, marked so, and still searches the LAN (a Browser given Managers
// that answer would put its first search off); one IT set that does not answer is not an error.
func TestDiscoverListsTheManagersSetByIT(t *testing.T) {
	_, lanAddr := standin.OnLAN(t, "LAN Farm")
	srv, _ := studioFarm(t)
	path := itconfig.ManagersFile(t, srv.URL+"\nftp://nas/\nhttp://127.0.0.1:1/\n")
	code, out, errOut := runCommand(context.Background(), "discover", "--json", "--timeout", "5s")
	var managers []struct {
		Name, URL         string
		Manual, Reachable bool
		SetByIT           bool `json:"set_by_it"`
	}
	if err := json.Unmarshal([]byte(out), &managers); err != nil {
		t.Fatalf("exit %d, output %v:\n%s\n%s", code, err, out, errOut)
	}
	lanURL := fmt.Sprintf("http://%s:8080/", lanAddr)
	if code != 0 || len(managers) != 2 || managers[0].Name != "LAN Farm" || managers[0].URL != lanURL || managers[0].SetByIT ||
		managers[1].Name != "Studio Farm" || managers[1].URL != srv.URL || !managers[1].SetByIT || !managers[1].Manual || !managers[1].Reachable {
		t.Errorf("exit %d, %+v; stderr:\n%s", code, managers, errOut)
	}
	if !strings.Contains(errOut, skippedWarning(path)) {
		t.Errorf("stderr lacks the skipped line:\n%s", errOut)
	}
	code, out, errOut = runCommand(context.Background(), "discover", "--timeout", "5s")
	if code != 0 || !strings.Contains(out, "Studio Farm (127.0.0.1)\t3.3.1\t"+srv.URL+"\taddresses: "+strings.TrimSuffix(srv.URL, "/")+"\t(set by your IT)\n") {
		t.Errorf("text output (exit %d):\n%s\n%s", code, out, errOut)
	}
}

// status --watch follows a Manager IT set: its farm is read, as the tray's is.
func TestStatusWatchFollowsTheManagersSetByIT(t *testing.T) {
	netns.RequireIsolated(t)
	srv, _ := studioFarm(t)
	itconfig.ManagersFile(t, srv.URL+"\n")
	trayHome(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testio.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"status", "--watch", "--json", "--user", "alice"}, &out, &errOut, testVersion)
	}()
	testio.WaitFor(t, 15*time.Second, func() bool { return srv.Farm.Stats().ByRoute["GET /api/v3/worker-mgt/workers"] >= 1 })
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after interrupt; stderr:\n%s", code, errOut.String())
	}
}
