//go:build linux

package farmstandin_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// capturedFrame is one line of socketio.txt: fromManager for "<" (the Manager sent it), else the
// client did.
type capturedFrame struct {
	fromManager bool
	frame       string
}

// loadSocketIO reads a version's capture of its event bus: "socketio" or
// "last-rendered-and-actions/socketio".
func loadSocketIO(t *testing.T, version, capture string) []capturedFrame {
	t.Helper()
	file, err := os.Open(filepath.Join(farmstandin.VersionCaptureDir(version), capture+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var frames []capturedFrame
	line := regexp.MustCompile(`^\s*[0-9.]+ ([<>]) (.*)$`)
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		m := line.FindStringSubmatch(scanner.Text())
		if m == nil {
			t.Fatalf("socketio.txt: %q", scanner.Text())
		}
		frames = append(frames, capturedFrame{fromManager: m[1] == "<", frame: m[2]})
	}
	return frames
}

// capturedEvent is a captured 42["name",{…}] frame, its payload read as either update.
type capturedEvent struct {
	name    string
	payload struct {
		ID, Name, Status, Type string
		PreviousStatus         string     `json:"previous_status"`
		StepsCompleted         *int       `json:"steps_completed"`
		StepsTotal             *int       `json:"steps_total"`
		LastSeen               *time.Time `json:"last_seen"`
		StatusChange           *struct {
			Status string
			Lazy   bool `json:"is_lazy"`
		} `json:"status_change"`
		Updated time.Time
	}
}

func parseEvent(t *testing.T, frame string) capturedEvent {
	t.Helper()
	var parts []json.RawMessage
	var e capturedEvent
	if !strings.HasPrefix(frame, "42") || json.Unmarshal([]byte(frame[2:]), &parts) != nil || len(parts) != 2 ||
		json.Unmarshal(parts[0], &e.name) != nil || json.Unmarshal(parts[1], &e.payload) != nil {
		t.Fatalf("not a Socket.IO event: %q", frame)
	}
	return e
}

// busReplay drives a stand-in through a captured event-bus session: for each captured /jobs and
// /workers frame, the change the real Manager told, at the captured times.
type busReplay struct {
	t        *testing.T
	version  string
	clock    *seqClock
	farm     *farmstandin.Farm
	srv      *farmstandin.Server
	client   *busClient
	jobs     map[string]time.Time // when each job was last saved, as the stand-in's clock said
	lastSeen time.Time            // of the Worker, as last told
	status   []string             // the stand-in's /status frames, in order
}

// The stand-in's event bus sends what the real Managers sent (testdata/flamenco-api/*/socketio.txt),
// byte for byte: the /jobs and /workers frames in order, the /status frames (3.5+ only) in order.
// What cannot be the same, and is not compared:
//   - the open packet's sid, drawn at random (its shape is checked);
//   - the order of a /status frame among the frames of the same change: the real Manager evaluates the
//     farm state in a goroutine of its own, so its /status comes just before or just after the /jobs
//     or /workers frame of the change (3.8.5 at 2.732 and 18.487), where the stand-in's comes after;
//   - "waiting" after a submission while a Worker is awake: the real Manager polls its farm state,
//     and the job was active before its next poll; the stand-in tells every change of state;
//   - requests of the Worker's the real Manager took without telling (a /workers frame whose
//     last_seen is newer than the last told, before a setstatus): the stand-in's check-in for them
//     tells, and that frame is read and dropped;
//   - from 3.5 on, a job saved without telling: a status change's frame carries the time of the
//     job's previous save, which was not always told (3.8.5's failed and cancel-requested frames
//     carry a time some milliseconds after the last progress frame). The stand-in saves the job then
//     with its progress as it was (SetJobSteps, which tells: that frame is read and dropped).
func TestEventBusSendsWhatTheRealManagerSent(t *testing.T) {
	for _, version := range captureVersions {
		t.Run(version, func(t *testing.T) {
			r := &busReplay{t: t, version: version, clock: &seqClock{}, jobs: map[string]time.Time{}}
			r.clock.Set(time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC))
			r.farm = farmstandin.New("Capture Farm", farmstandin.WithVersion(version), farmstandin.WithClock(r.clock.Now))
			workerID := importVersionWorkers(t, r.farm, version, "workers-awake")
			var listed struct {
				Workers []struct {
					LastSeen time.Time `json:"last_seen"`
				}
			}
			json.Unmarshal(loadVersionCapture(t, version, "workers-awake").Body, &listed)
			r.lastSeen = listed.Workers[0].LastSeen
			r.srv = farmstandin.Serve(t, r.farm)
			r.client = dialBus(t, r.srv)

			var wantStatus []string
			captured := loadSocketIO(t, version, "socketio")
			r.handshake(captured[0].frame, captured[1].frame)
			unsynced := false
			for _, c := range captured[2:] {
				switch {
				case !c.fromManager:
					r.client.send(c.frame) // the subscriptions, as the web UI spaces them, and pings
					unsynced = c.frame != "2"
				case c.frame == "3":
					if got := r.client.next(); got != "3" {
						t.Errorf("ping answered %q", got)
					}
				case strings.HasPrefix(c.frame, `42["/status"`):
					wantStatus = append(wantStatus, c.frame)
				default:
					if unsynced { // the subscriptions taken before the change, not racing it
						r.client.sync()
						unsynced = false
					}
					r.reproduce(c.frame, workerID)
				}
			}
			if !slices.Equal(r.status, wantStatus) {
				t.Errorf("/status frames\n got  %q\n want %q", r.status, wantStatus)
			}
			if version == "3.3.1" && len(wantStatus)+len(r.status) != 0 {
				t.Errorf("a 3.3 Manager told its farm's state")
			}
		})
	}
}

// handshake checks the open packet's shape (the sid is random) and the namespace's connect.
func (r *busReplay) handshake(capturedOpen, capturedConnect string) {
	r.t.Helper()
	shape := regexp.MustCompile(`"sid":"[A-Za-z0-9_-]{20}"`)
	open := r.client.handshake()
	if !shape.MatchString(capturedOpen) || shape.ReplaceAllString(open, "") != shape.ReplaceAllString(capturedOpen, "") {
		r.t.Errorf("open packet %q, the real Manager's %q", open, capturedOpen)
	}
	if capturedConnect != "40" {
		r.t.Fatalf("captured connect %q", capturedConnect)
	}
}

// reproduce makes the change a captured /jobs or /workers frame tells and checks the frame the
// stand-in sends for it.
func (r *busReplay) reproduce(frame, workerID string) {
	r.t.Helper()
	e := parseEvent(r.t, frame)
	p := e.payload
	var do func()
	switch {
	case e.name == "/jobs" && r.jobs[p.ID].IsZero():
		do = func() {
			r.clock.Set(p.Updated)
			r.farm.SubmitJob(farmstandin.JobSpec{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status})
		}
	case e.name == "/jobs" && p.PreviousStatus != "":
		if tellsPreviousSave(r.version) && !p.Updated.Equal(r.jobs[p.ID]) {
			framesOf(r.farm, func() {
				r.clock.Set(p.Updated)
				r.must(r.farm.SetJobSteps(p.ID, *p.StepsCompleted, *p.StepsTotal))
			}, r.client)
		}
		do = func() { r.clock.Set(p.Updated); r.must(r.farm.SetJobStatus(p.ID, p.Status, "capture")) }
	case e.name == "/jobs":
		do = func() { r.clock.Set(p.Updated); r.must(r.farm.SetJobSteps(p.ID, *p.StepsCompleted, *p.StepsTotal)) }
	case e.name == "/workers":
		requested := ""
		if p.StatusChange != nil {
			requested = p.StatusChange.Status
		}
		do = r.workerChange(p.ID, p.PreviousStatus, requested, *p.LastSeen, p.Updated)
	default:
		r.t.Fatalf("captured event %s", e.name)
	}
	if e.name == "/jobs" {
		r.jobs[p.ID] = p.Updated // the clock's time for the change, whatever the frame tells
	}
	got := framesOf(r.farm, do, r.client)[0]
	var others []string
	for _, g := range got {
		if strings.HasPrefix(g, `42["/status"`) {
			r.status = append(r.status, g)
			if g == `42["/status",{"status":"waiting"}]` && e.name == "/jobs" && p.PreviousStatus == "" {
				r.status = r.status[:len(r.status)-1] // see the test's comment
			}
			continue
		}
		others = append(others, g)
	}
	if len(others) != 1 || others[0] != frame {
		r.t.Errorf("for %s the stand-in sent\n %q\nthe real Manager\n %q", frame, others, frame)
	}
}

// workerChange returns the change of the Worker's a /workers frame tells: a status the Worker went
// to (previous_status), a status requested of it (a new status_change: the Manager's setstatus), or
// a check-in. Times: last_seen, then (3.3's second clock reading) updated.
func (r *busReplay) workerChange(id, previous, requested string, lastSeen, updated time.Time) func() {
	pending, _, _ := r.farm.RequestedStatus(id)
	defer func() { r.lastSeen = lastSeen }()
	switch {
	case previous != "":
		return func() { r.clock.Set(lastSeen, updated); r.must(r.farm.ApplyStatusChange(id)) }
	case requested != "" && requested != pending:
		if !lastSeen.Equal(r.lastSeen) {
			// A request the real Manager took without telling; the stand-in's tells, dropped here.
			framesOf(r.farm, func() { r.clock.Set(lastSeen); r.must(r.farm.CheckIn(id)) }, r.client)
		}
		return func() {
			r.clock.Set(updated)
			resp, body := send(r.t, "POST", r.srv.URL+"api/v3/worker-mgt/workers/"+id+"/setstatus",
				`{"status":"`+requested+`","is_lazy":false}`)
			if resp.StatusCode != 204 {
				r.t.Fatalf("setstatus: %d %s", resp.StatusCode, body)
			}
		}
	default:
		return func() { r.clock.Set(lastSeen, updated); r.must(r.farm.CheckIn(id)) }
	}
}

func (r *busReplay) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// tellsPreviousSave says whether a captured version's status-change frames carry the time of the
// job's previous save (3.5 on) rather than of the change.
func tellsPreviousSave(version string) bool { return version != "3.3.1" }
