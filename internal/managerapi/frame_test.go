package managerapi

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// transcriptFrames returns the frames of a captured event-bus transcript that went one way ('<'
// received from the Manager, '>' sent by the client), in order.
func transcriptFrames(t testing.TB, version string, direction byte) []string {
	t.Helper()
	file, err := os.Open("testdata/socketio-" + version + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var frames []string
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		fields := strings.SplitN(strings.TrimSpace(scanner.Text()), " ", 3)
		if len(fields) == 3 && fields[1] == string(direction) {
			frames = append(frames, fields[2])
		}
	}
	return frames
}

func TestParseFrameReadsEveryCapturedFrame(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"3.3.1", "3.8.5"} {
		counts := map[string]int{}
		for _, raw := range transcriptFrames(t, version, '<') {
			f, err := ParseFrame([]byte(raw))
			if err != nil {
				t.Fatalf("%s: %q: %v", version, raw, err)
			}
			switch f.Packet {
			case PacketOpen:
				counts["open"]++
			case PacketPong:
				counts["pong"]++
			case PacketMessage:
				if f.Message == MessageConnect {
					counts["connect"]++
					continue
				}
				e, err := decodeEvent(f.Event, f.Payload)
				if err != nil || e.Job == nil && e.Worker == nil && e.Farm == nil {
					t.Errorf("%s: %q: %+v, %v", version, raw, e, err)
				}
				counts[f.Event]++
			}
		}
		t.Logf("%s: %v", version, counts)
		if counts["open"] != 1 || counts["connect"] != 1 || counts["/jobs"] < 10 || counts["/workers"] < 5 {
			t.Errorf("%s: frames by kind %v", version, counts)
		}
		if version == "3.8.5" && counts["/status"] == 0 || version == "3.3.1" && counts["/status"] != 0 {
			t.Errorf("%s: %d /status frames (3.5+ only)", version, counts["/status"])
		}
	}
}

func TestDecodeEventReadsWhatTheCapturesSay(t *testing.T) {
	t.Parallel()
	f, err := ParseFrame([]byte(`42["/jobs",{"id":"cd8d7306-8dac-4c42-94e0-c9bf06c6c59c","name":"shot-010 lighting","priority":50,"refresh_tasks":false,"status":"active","steps_completed":2,"steps_total":3,"type":"echo-sleep-test","updated":"2026-12-04T18:31:51.229014139Z"}]`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeEvent(f.Event, f.Payload)
	if err != nil || e.Job == nil {
		t.Fatalf("%+v, %v", e, err)
	}
	if j := e.Job; j.Name != "shot-010 lighting" || j.Status != JobActive || j.PreviousStatus != "" || j.Progress == nil ||
		*j.Progress != (Progress{Completed: 2, Total: 3}) || j.Updated.Nanosecond() != 229014139 {
		t.Errorf("job update %+v", *j)
	}
	f, _ = ParseFrame([]byte(`42["/workers",{"can_restart":false,"id":"1eff1500-c723-4415-a005-7d378dddc560","last_seen":"2026-12-04T18:32:22.576814846Z","name":"capture-worker","previous_status":"asleep","status":"offline","status_change":{"is_lazy":false,"status":"asleep"},"updated":"2026-12-04T18:32:22.576814846Z","version":"3.8.5"}]`))
	e, err = decodeEvent(f.Event, f.Payload)
	if err != nil || e.Worker == nil || e.Worker.PreviousStatus != WorkerAsleep || e.Worker.StatusChange == nil ||
		e.Worker.StatusChange.Status != WorkerAsleep {
		t.Errorf("worker update %+v, %v", e.Worker, err)
	}
	// 3.3.1 has no progress: nil, not 0/0.
	f, _ = ParseFrame([]byte(`42["/jobs",{"id":"e05d6958-3bce-4af4-a8cc-cb4c3475049c","name":"shot\u202e-010","previous_status":"active","priority":50,"refresh_tasks":false,"status":"completed","type":"echo-sleep-test","updated":"2026-12-04T18:32:39.491199069Z"}]`))
	e, _ = decodeEvent(f.Event, f.Payload)
	if e.Job == nil || e.Job.Progress != nil || e.Job.Name != "shot-010" || e.Job.PreviousStatus != JobActive {
		t.Errorf("3.3.1 job update %+v (the name cleaned of its bidi override)", e.Job)
	}
}

func TestParseFrameRefusesWhatIsNotTheManagersDialect(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{``, `7`, `0{`, `4`, `45-["x"]`, `42`, `42[`, `42[]`, `42[1,{}]`, `42[""]`, `43{`, `4x`} {
		if _, err := ParseFrame([]byte(raw)); err == nil {
			t.Errorf("ParseFrame(%q) accepted it", raw)
		}
	}
	for _, raw := range []string{
		`42["/jobs",{"id":"not-a-uuid","status":"active"}]`, `42["/jobs",{"id":"cd8d7306-8dac-4c42-94e0-c9bf06c6c59c"}]`,
		`42["/jobs","text"]`, `42["/status",{}]`, `42["/workers",{"id":1}]`,
	} {
		f, err := ParseFrame([]byte(raw))
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if _, err := decodeEvent(f.Event, f.Payload); err == nil {
			t.Errorf("decodeEvent(%q) accepted it", raw)
		}
	}
	f, err := ParseFrame([]byte(`42/admin,17["/jobs",{}]`))
	if err != nil || f.Namespace != "/admin" || f.AckID != 17 || f.Event != "/jobs" {
		t.Errorf("namespace and ack id: %+v, %v", f, err)
	}
}

func TestSubscriptionFrameIsTheWebUIs(t *testing.T) {
	t.Parallel()
	if got := string(subscriptionFrame("allJobs", "subscribe")); got != `42["/subscription",{"type":"allJobs","op":"subscribe"}]` {
		t.Errorf("subscription frame %s", got)
	}
}

func FuzzParseFrame(f *testing.F) {
	for _, version := range []string{"3.3.1", "3.8.5"} {
		for _, raw := range transcriptFrames(f, version, '<') {
			f.Add([]byte(raw))
		}
		for _, raw := range transcriptFrames(f, version, '>') {
			f.Add([]byte(raw))
		}
	}
	for _, raw := range []string{`42["/jobs",{"id":`, `4x`, `42/nsp,12["e",1]`, `0{}`, `2probe`, `44{"message":"x"}`} {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, err := ParseFrame(data)
		if err != nil {
			return
		}
		if frame.Packet == PacketMessage && frame.Message == MessageEvent && frame.Event == "" {
			t.Errorf("%q: an event without a name", data)
		}
		e, err := decodeEvent(frame.Event, frame.Payload)
		if err != nil {
			return
		}
		if j := e.Job; j != nil {
			if !IsUUID(j.ID) || j.Status == "" && !j.WasDeleted || strings.ContainsFunc(j.Name, func(r rune) bool { return r < ' ' || r == 0x202e }) {
				t.Errorf("%q: accepted job update %+v", data, j)
			}
			if p := j.Progress; p != nil && (p.Completed < 0 || p.Total < 0 || p.Completed > p.Total) {
				t.Errorf("%q: progress %+v", data, p)
			}
		}
	})
}
