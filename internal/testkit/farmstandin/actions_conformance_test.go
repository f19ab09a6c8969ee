//go:build linux

package farmstandin_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

// actionsCapture is the second capture of each version (testdata/flamenco-api/*/
// last-rendered-and-actions): a job rendered a frame, was paused (3.6+), requeued and sent a bogus
// status. The times are the Manager's clock at each save, read from the capture: from the frames
// (3.3's carry the time of their change) and the answers of GET /api/v3/jobs/{id}; a 3.5+ frame
// carries the time of the save before it.
type actionsCapture struct {
	jobID                          string
	created, active, frame, paused time.Time
	requeued                       []time.Time // requeueing, then queued
}

var actionsCaptures = map[string]actionsCapture{
	"3.3.1": {jobID: "1abd303a-df88-4743-a0e4-4a1e7dedb463",
		created:  mustTime("2026-12-07T20:05:50.2644987Z"),
		active:   mustTime("2026-12-07T20:05:51.438814757Z"),
		frame:    mustTime("2026-12-07T20:05:52Z"), // headers-last-rendered-small.jpg.txt
		requeued: []time.Time{mustTime("2026-12-07T20:05:57.257037962Z"), mustTime("2026-12-07T20:05:57.257338637Z")}},
	"3.8.5": {jobID: "73cffb9d-c63f-4138-b174-2cb5b4b3ffd5",
		created:  mustTime("2026-12-07T20:05:00.75902853Z"),
		active:   mustTime("2026-12-07T20:05:02.10049909Z"),  // the pause-requested frame's
		frame:    mustTime("2026-12-07T20:05:02Z"),           // headers-last-rendered-small.jpg.txt
		paused:   mustTime("2026-12-07T20:05:07.034400688Z"), // the requeueing frame's, job-after-pause.txt
		requeued: []time.Time{mustTime("2026-12-07T20:05:08.091270493Z")}},
}

func mustTime(timestamp string) time.Time {
	at, err := time.Parse(time.RFC3339Nano, timestamp)
	if err != nil {
		panic(err)
	}
	return at
}

// The stand-in goes through the captured story and answers and tells as the real Manager did: the
// last-rendered answers (204, then where the frame is), setstatus's answers (3.3.1's refusal of
// pause-requested, the 204s, each version's refusal of a bogus status), the job after each change,
// byte for byte; the /jobs and /last-rendered frames in order, byte for byte, with 3.5+'s frames
// carrying the time of the job's save before theirs; the /status frames in order. Not reproduced:
// the Worker's upload of the frame (RenderFrame stands for it), the /status frames before the job
// (the Manager starting, its Worker waking), and the stand-in's "waiting" at the submission (see
// TestEventBusSendsWhatTheRealManagerSent).
func TestJobActionsAnswerAndTellLikeEachCapturedVersion(t *testing.T) {
	for _, version := range captureVersions {
		t.Run(version, func(t *testing.T) {
			story := actionsCaptures[version]
			clock := &seqClock{}
			clock.Set(story.created)
			farm := farmstandin.New("Capture Farm", farmstandin.WithVersion(version), farmstandin.WithClock(clock.Now))
			farm.AddWorker(farmstandin.WorkerSpec{Name: "thumbs-worker"})
			srv := farmstandin.Serve(t, farm)
			client := dialBus(t, srv)
			client.handshake()
			captured := loadSocketIO(t, version, "last-rendered-and-actions/socketio")
			var want, wantStatus []string
			for _, c := range captured[2:] {
				switch {
				case !c.fromManager && strings.HasPrefix(c.frame, "42"):
					client.send(c.frame) // the subscriptions, as the capture's client wrote them
				case strings.HasPrefix(c.frame, `42["/status"`):
					wantStatus = append(wantStatus, c.frame)
				case strings.HasPrefix(c.frame, "42"):
					want = append(want, c.frame)
				}
			}
			client.sync()

			var got []string
			step := func(at []time.Time, do func()) {
				t.Helper()
				clock.Set(at...)
				got = append(got, framesOf(farm, do, client)[0]...)
			}
			exchange := func(capture, method, path, body string) {
				t.Helper()
				resp, answer := send(t, method, srv.URL+path, body)
				answersLike(t, loadVersionCapture(t, version, "last-rendered-and-actions/"+capture), resp, answer)
			}
			job := "api/v3/jobs/" + story.jobID
			step([]time.Time{story.created}, func() {
				farm.SubmitJob(farmstandin.JobSpec{ID: story.jobID, Name: "shot-200 thumbs", Type: "echo-sleep-test",
					User: "root", Settings: map[string]any{"message": "x", "sleep_duration_seconds": 1, "sleep_repeats": 1},
					TaskSteps: 2})
			})
			got = slices.DeleteFunc(got, func(frame string) bool { return frame == `42["/status",{"status":"waiting"}]` })
			exchange("job-last-rendered-none", "GET", job+"/last-rendered", "")
			step([]time.Time{story.active}, func() { must(t, farm.SetJobStatus(story.jobID, "active", "task became active")) })
			step([]time.Time{story.frame}, func() { must(t, farm.RenderFrame(story.jobID)) })
			exchange("job-last-rendered", "GET", job+"/last-rendered", "")
			exchange("last-rendered", "GET", "api/v3/jobs/last-rendered", "")
			step([]time.Time{story.paused}, func() {
				exchange("job-setstatus-pause", "POST", job+"/setstatus", `{"status":"pause-requested","reason":"paused from the tray"}`)
			})
			exchange("job-after-pause", "GET", job, "")
			step(story.requeued, func() {
				exchange("job-setstatus-requeue", "POST", job+"/setstatus", `{"status":"requeueing","reason":"requeued from the tray"}`)
			})
			exchange("job-after-requeue", "GET", job, "")
			step(story.requeued[len(story.requeued)-1:], func() {
				exchange("job-setstatus-bad", "POST", job+"/setstatus", `{"status":"bogus","reason":"testing"}`)
			})

			isStatus := func(frame string) bool { return strings.HasPrefix(frame, `42["/status"`) }
			if others := slices.DeleteFunc(slices.Clone(got), isStatus); !slices.Equal(others, want) {
				t.Errorf("frames\n got  %q\n want %q", others, want)
			}
			gotStatus := slices.DeleteFunc(slices.Clone(got), func(frame string) bool { return !isStatus(frame) })
			if wantStatus = afterTheJob(captured, wantStatus); !slices.Equal(gotStatus, wantStatus) {
				t.Errorf("/status frames\n got  %q\n want %q", gotStatus, wantStatus)
			}
		})
	}
}

// afterTheJob drops the /status frames the capture has before its first /jobs frame.
func afterTheJob(captured []capturedFrame, status []string) []string {
	before := 0
	for _, c := range captured {
		if strings.HasPrefix(c.frame, `42["/jobs"`) {
			break
		}
		if strings.HasPrefix(c.frame, `42["/status"`) {
			before++
		}
	}
	return status[min(before, len(status)):]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
