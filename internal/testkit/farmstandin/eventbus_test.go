//go:build linux

package farmstandin_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// The handshake is golang-socketio's: the open packet (a 20-character sid, the ping interval and
// timeout the Option gives, 30 s and 60 s by default as captured), then "40"; a ping is answered.
func TestEventBusHandshakeAndPing(t *testing.T) {
	for _, tc := range []struct {
		opts []farmstandin.Option
		want string
	}{
		{nil, `"pingInterval":30000,"pingTimeout":60000}`},
		{[]farmstandin.Option{farmstandin.WithEventBusPing(2*time.Second, 5*time.Second)}, `"pingInterval":2000,"pingTimeout":5000}`},
	} {
		srv := farmstandin.Serve(t, farmstandin.New("Bus Farm", tc.opts...))
		c := dialBus(t, srv)
		open := c.handshake()
		if !regexp.MustCompile(`^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":\[\],` + regexp.QuoteMeta(tc.want) + `$`).MatchString(open) {
			t.Errorf("open packet %q", open)
		}
		if frames := c.sync(); len(frames) != 0 {
			t.Errorf("before the pong: %q", frames)
		}
		other := dialBus(t, srv)
		if again := other.handshake(); again[:30] == open[:30] {
			t.Errorf("two connections with one sid: %q", open)
		}
	}
}

// A client that sends nothing for the ping timeout, not even a ping, is closed, as golang-socketio
// closes one whose read times out.
func TestEventBusClosesASilentClient(t *testing.T) {
	farm := farmstandin.New("Bus Farm", farmstandin.WithEventBusPing(100*time.Millisecond, 200*time.Millisecond))
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	c.closed()
}

// Each kind of update reaches the subscribers of its kind only; /status (3.5+) every client; an
// unsubscription ends a kind. Frames are the stand-in's for the farm's changes: a submission, a
// change of progress, a deletion, a Worker's removal.
func TestEventBusSubscriptions(t *testing.T) {
	farm := farmstandin.New("Bus Farm", farmstandin.WithVersion("3.8.5"))
	worker := farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01"})
	srv := farmstandin.Serve(t, farm)
	jobs, workers, none := dialBus(t, srv), dialBus(t, srv), dialBus(t, srv)
	for _, c := range []*busClient{jobs, workers, none} {
		c.handshake()
	}
	jobs.subscribe("subscribe", "allJobs", "allLastRendered")
	workers.subscribe("subscribe", "allWorkers")
	if got := farm.EventBusStats().Subscriptions; got["allJobs"] != 1 || got["allWorkers"] != 1 || got["allLastRendered"] != 1 {
		t.Errorf("subscriptions %v", got)
	}

	all := []*busClient{jobs, workers, none}
	var id string
	got := framesOf(farm, func() { id = farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", Steps: 3}) }, all...)
	waiting := `42["/status",{"status":"waiting"}]`
	if len(got[0]) != 2 || !strings.HasPrefix(got[0][0], `42["/jobs",{"id":"`+id+`","name":"shot-010","priority":50,"refresh_tasks":false,"status":"queued","steps_completed":0,"steps_total":3,`) ||
		got[0][1] != waiting || !slices.Equal(got[1], []string{waiting}) || !slices.Equal(got[2], []string{waiting}) {
		t.Errorf("a submission: %q", got)
	}
	got = framesOf(farm, func() { farm.SetJobProgress(id, 2) }, all...)
	if len(got[0]) != 1 || !strings.Contains(got[0][0], `"status":"queued","steps_completed":2,"steps_total":3,`) ||
		len(got[1])+len(got[2]) != 0 {
		t.Errorf("progress: %q", got)
	}
	got = framesOf(farm, func() { farm.CheckIn(worker) }, all...)
	if len(got[0])+len(got[2]) != 0 || len(got[1]) != 1 ||
		!strings.HasPrefix(got[1][0], `42["/workers",{"can_restart":false,"id":"`+worker+`","last_seen":"`) {
		t.Errorf("a check-in: %q", got)
	}
	idle := `42["/status",{"status":"idle"}]`
	got = framesOf(farm, func() { farm.DeleteJob(id) }, all...)
	if len(got[0]) != 2 || !strings.HasSuffix(got[0][0], `,"was_deleted":true}]`) || got[0][1] != idle ||
		!slices.Equal(got[1], []string{idle}) || !slices.Equal(got[2], []string{idle}) {
		t.Errorf("a deletion: %q", got)
	}
	inoperative := `42["/status",{"status":"inoperative"}]`
	got = framesOf(farm, func() { farm.RemoveWorker(worker) }, all...)
	if len(got[1]) != 2 || !strings.Contains(got[1][0], `{"can_restart":false,"deleted_at":"`) || got[1][1] != inoperative ||
		!slices.Equal(got[0], []string{inoperative}) || !slices.Equal(got[2], []string{inoperative}) {
		t.Errorf("a Worker's removal: %q", got)
	}

	jobs.subscribe("unsubscribe", "allJobs")
	got = framesOf(farm, func() { farm.SubmitJob(farmstandin.JobSpec{Name: "shot-020"}) }, all...)
	if len(got[0])+len(got[1])+len(got[2]) != 0 {
		t.Errorf("after unsubscribing: %q", got)
	}
	if got := farm.EventBusStats().Subscriptions; got["allJobs"] != 0 || got["allLastRendered"] != 1 || got["allWorkers"] != 1 {
		t.Errorf("subscriptions %v", got)
	}
}

// /status exists from 3.5 on: a 3.3 Manager tells no farm state, whatever changes.
func TestEventBusTellsTheFarmStateFrom35(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string
	}{
		{"3.3.1", nil},
		{"3.4.0", nil},
		{"3.5.0", []string{`42["/status",{"status":"waiting"}]`, `42["/status",{"status":"active"}]`}},
	} {
		farm := farmstandin.New("Bus Farm", farmstandin.WithVersion(tc.version))
		farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01"})
		srv := farmstandin.Serve(t, farm)
		c := dialBus(t, srv)
		c.handshake()
		got := framesOf(farm, func() {
			id := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010"})
			farm.SetJobStatus(id, "active", "")
		}, c)[0]
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.version, got, tc.want)
		}
		srv.Down()
	}
}

// A real Worker's requests are check-ins: each tells allWorkers subscribers once, a change of status
// with previous_status.
func TestEventBusTellsAWorkersRequests(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	c.subscribe("subscribe", "allWorkers")
	var id string
	worker := func(method, path, body string) {
		if resp, data := sendSigned(t, id, "s3cret", method, srv.URL+path, body); resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	got := framesOf(farm, func() {
		_, registered := send(t, "POST", srv.URL+"api/v3/worker/register-worker",
			`{"name":"render-01","platform":"linux","secret":"s3cret","supported_task_types":["misc"]}`)
		id = regexp.MustCompile(`"uuid":"([^"]+)"`).FindStringSubmatch(string(registered))[1]
		worker("POST", "api/v3/worker/sign-on", `{"name":"render-01","supported_task_types":["misc"],"software_version":"3.3.1","can_restart":false}`)
		worker("POST", "api/v3/worker/state-changed", `{"status":"awake"}`)
		worker("POST", "api/v3/worker/task", "")
		worker("POST", "api/v3/worker/task", "")
	}, c)[0]
	var statuses []string
	for _, frame := range got {
		status := regexp.MustCompile(`("previous_status":"[a-z]*",)?"status":"[a-z]*"`).FindString(frame)
		statuses = append(statuses, status)
	}
	want := []string{`"status":""`, `"status":"starting"`, `"previous_status":"starting","status":"awake"`, `"status":"awake"`, `"status":"awake"`}
	if !slices.Equal(statuses, want) {
		t.Errorf("a Worker's requests told\n %q\nwant\n %q", got, want)
	}
}

// A flood reaches a client that keeps up, every frame, without overflowing its queue.
func TestEventBusFlood(t *testing.T) {
	farm := farmstandin.New("Bus Farm", farmstandin.WithVersion("3.8.5"))
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	c.subscribe("subscribe", "allJobs")
	const n = 3000
	got := framesOf(farm, func() { go farm.FloodJobEvents(n, 0) }, c)
	frames := len(got[0])
	for frames < n+1 { // the flood's job's submission, then its updates
		if frame := c.next(); strings.HasPrefix(frame, `42["/jobs"`) {
			frames++
		}
	}
	stats := farm.EventBusStats()
	if stats.Overflows != 0 || stats.Open != 1 || stats.FramesByEvent["/jobs"] != n+1 || len(stats.Conns) != 1 ||
		stats.Conns[0].Frames < n+1 || stats.Conns[0].Bytes < stats.Conns[0].Frames*100 {
		t.Errorf("after a flood of %d: %+v", n, stats)
	}
}

func TestEventBusMisbehaves(t *testing.T) {
	t.Run("drop", testEventBusDrop)
	t.Run("refuse", testEventBusRefuse)
	t.Run("stall", testEventBusStall)
	t.Run("overflow", testEventBusOverflow)
	t.Run("restart", testEventBusRestart)
	t.Run("raw frames", testEventBusRawFrames)
}

// DropEventBus closes every connection at once; the bus takes new ones.
func testEventBusDrop(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	a, b := dialBus(t, srv), dialBus(t, srv)
	a.handshake()
	b.handshake()
	farm.DropEventBus()
	if stats := farm.EventBusStats(); stats.Open != 0 || stats.Total != 2 {
		t.Errorf("after the drop: %+v", stats)
	}
	a.closed()
	b.closed()
	dialBus(t, srv).handshake()
}

// RefuseEventBus answers the upgrade with a status; 0 accepts again. Connections open stay.
func testEventBusRefuse(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	open := dialBus(t, srv)
	open.handshake()
	for _, status := range []int{400, 502} {
		farm.RefuseEventBus(status)
		if _, err := tryDialBus(srv); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("status %d", status)) {
			t.Errorf("refused with %d: %v", status, err)
		}
	}
	farm.RefuseEventBus(0)
	dialBus(t, srv).handshake()
	open.sync()
	if stats := farm.EventBusStats(); stats.Refused != 2 || stats.Open != 2 {
		t.Errorf("%+v", stats)
	}
}

// A stalled bus sends nothing, pongs included, and does not close: what waited comes when it resumes.
func testEventBusStall(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	before := farm.EventBusStats()
	farm.StallEventBus(true)
	c.send("2")
	for deadline := time.Now().Add(5 * time.Second); farm.EventBusStats().Received == before.Received; {
		if time.Now().After(deadline) {
			t.Fatal("the ping did not reach the stand-in")
		}
		time.Sleep(time.Millisecond)
	}
	farm.SendRawFrame("during the stall") // after the pong, in the queue
	if stats := farm.EventBusStats(); stats.Frames != before.Frames || stats.Open != 1 {
		t.Errorf("sent while stalled: %+v, before %+v", stats, before)
	}
	farm.StallEventBus(false)
	if got := c.until("during the stall"); !slices.Equal(got, []string{"3"}) {
		t.Errorf("after the stall: %q", got)
	}
}

// A connection whose queue of 500 frames overflows is closed, as golang-socketio closes it.
func testEventBusOverflow(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	farm.StallEventBus(true)
	defer farm.StallEventBus(false)
	for i := range 500 { // the queue's size: no overflow
		farm.SendRawFrame(fmt.Sprint("frame ", i))
	}
	if stats := farm.EventBusStats(); stats.Overflows != 0 || stats.Open != 1 {
		t.Fatalf("after 500 frames: %+v", stats)
	}
	farm.SendRawFrame("501") // the writer holds at most one, waiting for the stall's end
	farm.SendRawFrame("502")
	if stats := farm.EventBusStats(); stats.Overflows != 1 || stats.Open != 0 {
		t.Errorf("after 502 frames: %+v", stats)
	}
	c.closed()
}

// A restart (Down, Up) drops the websockets; the bus takes new ones where it was.
func testEventBusRestart(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	c.closed()
	dialBus(t, srv).handshake()
	if stats := farm.EventBusStats(); stats.Open != 1 || stats.Total != 2 {
		t.Errorf("%+v", stats)
	}
}

// SendRawFrame sends what it is given, malformed or not, to every client, subscribed or not.
func testEventBusRawFrames(t *testing.T) {
	farm := farmstandin.New("Bus Farm")
	srv := farmstandin.Serve(t, farm)
	c := dialBus(t, srv)
	c.handshake()
	bad := []string{`42["/jobs",{"id":`, `4x`, `42["/status",{}]`, ""}
	got := framesOf(farm, func() {
		for _, frame := range bad {
			farm.SendRawFrame(frame)
		}
	}, c)[0]
	if !slices.Equal(got, bad) {
		t.Errorf("%q, want %q", got, bad)
	}
}

// Down ends every goroutine of the stand-in's, its event bus's included (an http.Server's Close
// leaves websockets open).
func TestEventBusLeavesNoGoroutine(t *testing.T) {
	noStandInGoroutines(t)
	farm := farmstandin.New("Bus Farm", farmstandin.WithVersion("3.8.5"))
	farm.AddWorker(farmstandin.WorkerSpec{Name: "render-01"})
	srv := farmstandin.Serve(t, farm)
	var clients []*busClient
	for range 3 {
		c := dialBus(t, srv)
		c.handshake()
		c.subscribe("subscribe", "allJobs", "allWorkers")
		clients = append(clients, c)
	}
	framesOf(farm, func() { farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010"}) }, clients...)
	farm.StallEventBus(true) // a writer waiting on the stall ends too
	farm.SubmitJob(farmstandin.JobSpec{Name: "shot-020"})
	if n := len(standInGoroutines()); n < 2*len(clients) {
		t.Errorf("%d goroutines for %d connections", n, len(clients))
	}
	srv.Down()
	noStandInGoroutines(t)
	for _, c := range clients {
		c.closed()
	}
}
