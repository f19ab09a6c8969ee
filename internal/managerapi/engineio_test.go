package managerapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestFramesOfTheTranscriptsParseAndEncodeBackExactly(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"3.3.1", "3.8.5"} {
		kinds := map[string]int{}
		for _, line := range readTranscript(t, version) {
			f, err := ParseFrame([]byte(line.frame))
			if err != nil {
				t.Fatalf("%s: %s: %v", version, line.frame, err)
			}
			kind := string(f.Packet)
			if f.Packet == PacketMessage {
				kind += string(f.Message) + f.Event
			}
			kinds[kind]++
			encoded := encodeFrame(f)
			// The web UI's frames have spaces the encoder does not write; the Manager's have none.
			if compactFrame(encoded) != compactFrame([]byte(line.frame)) || line.received && string(encoded) != line.frame {
				t.Errorf("%s: %s encoded back as %s", version, line.frame, encoded)
			}
		}
		t.Logf("%s: frames by kind %v", version, kinds)
		if kinds["0"] != 1 || kinds["40"] != 1 || kinds["42/subscription"] != 3 || kinds["42/jobs"] < 10 || kinds["42/workers"] < 5 {
			t.Errorf("%s: frames by kind %v", version, kinds)
		}
	}
}

// compactFrame is a frame with the spaces of its JSON taken out.
func compactFrame(frame []byte) string {
	start := bytes.IndexAny(frame, "[{")
	if start < 0 {
		return string(frame)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, frame[start:]) != nil {
		return string(frame)
	}
	return string(frame[:start]) + compact.String()
}

func TestParseFrameReadsEachPart(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]Frame{
		`0{"sid":"x","pingInterval":25000}`: {Packet: PacketOpen, Payload: json.RawMessage(`{"sid":"x","pingInterval":25000}`)},
		`2`:                                 {Packet: PacketPing},
		`2probe`:                            {Packet: PacketPing},
		`3`:                                 {Packet: PacketPong},
		`1`:                                 {Packet: PacketClose},
		`6`:                                 {Packet: PacketNoop},
		`40`:                                {Packet: PacketMessage, Message: MessageConnect, Namespace: "/"},
		`40/admin,`:                         {Packet: PacketMessage, Message: MessageConnect, Namespace: "/admin"},
		`41`:                                {Packet: PacketMessage, Message: MessageDisconnect, Namespace: "/"},
		`42["/status",{"status":"idle"}]`: {Packet: PacketMessage, Message: MessageEvent, Namespace: "/",
			Event: "/status", Payload: json.RawMessage(`{"status":"idle"}`)},
		`42/admin,17["/jobs",{},"more"]`: {Packet: PacketMessage, Message: MessageEvent, Namespace: "/admin",
			Event: "/jobs", Payload: json.RawMessage(`{}`)},
		`42["ping"]`:        {Packet: PacketMessage, Message: MessageEvent, Namespace: "/", Event: "ping"},
		`431["ok"]`:         {Packet: PacketMessage, Message: MessageAck, Namespace: "/", Payload: json.RawMessage(`["ok"]`)},
		`44"not allowed"`:   {Packet: PacketMessage, Message: MessageError, Namespace: "/", Payload: json.RawMessage(`"not allowed"`)},
		`44{"message":"x"}`: {Packet: PacketMessage, Message: MessageError, Namespace: "/", Payload: json.RawMessage(`{"message":"x"}`)},
	} {
		got, err := ParseFrame([]byte(raw))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseFrame(%s) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
}

func TestParseFrameSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	for raw, reason := range map[string]string{
		``:                  "empty frame",
		`7`:                 "unknown Engine.IO packet type",
		`{"hello":"world"}`: "unknown Engine.IO packet type",
		`0`:                 "open packet without its JSON object",
		`0[1]`:              "open packet without its JSON object",
		`0{"sid":`:          "open packet without its JSON object",
		`4`:                 "without a Socket.IO packet type",
		`4x`:                "unknown Socket.IO packet type",
		`451-["/jobs",{"_placeholder":true,"num":0}]`: "binary Socket.IO packet",
		`46`:                     "binary Socket.IO packet",
		`42`:                     "not a JSON array",
		`42["/jobs",{"id":`:      "not a JSON array",
		`42{"id":"x"}`:           "not a JSON array",
		`42[]`:                   "event without a name",
		`42[1,{}]`:               "not a non-empty string",
		`42["",{}]`:              "not a non-empty string",
		`42[null]`:               "not a non-empty string",
		`421234567890["x"]`:      "ack id of 10 digits",
		`44{`:                    "data is not JSON",
		`40garbage`:              "data is not JSON",
		`42["/jobs",{}]trailing`: "not a JSON array",
	} {
		_, err := ParseFrame([]byte(raw))
		if !errors.Is(err, ErrBadFrame) || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseFrame(%q): %v; want %q", raw, err, reason)
		}
	}
}

// encodeFrame writes f back as the frame ParseFrame read it from, ack ids aside: a reference for
// what ParseFrame must keep of a frame.
func encodeFrame(f Frame) []byte {
	out := []byte{byte(f.Packet)}
	switch {
	case f.Packet == PacketOpen:
		return append(out, f.Payload...)
	case f.Packet != PacketMessage:
		return out
	}
	out = append(out, byte(f.Message))
	if f.Namespace != "/" {
		out = append(append(out, f.Namespace...), ',')
	}
	if f.Message != MessageEvent {
		return append(out, f.Payload...)
	}
	name, _ := json.Marshal(f.Event)
	out = append(append(out, '['), name...)
	if f.Payload != nil {
		out = append(append(out, ','), bytes.TrimSpace(f.Payload)...)
	}
	return append(out, ']')
}

func TestTheClientSendsWhatTheWebUISends(t *testing.T) {
	t.Parallel()
	if string(framePing) != "2" || string(framePong) != "3" {
		t.Errorf("ping %q, pong %q", framePing, framePong)
	}
	for kind, want := range map[string]string{
		"allJobs":    `42["/subscription",{"type":"allJobs","op":"subscribe"}]`,
		"allWorkers": `42["/subscription",{"type":"allWorkers","op":"subscribe"}]`,
		`a"b`:        `42["/subscription",{"type":"a\"b","op":"subscribe"}]`,
	} {
		if got := string(subscriptionFrame(kind, "subscribe")); got != want {
			t.Errorf("subscription to %s: %s, want %s", kind, got, want)
		}
	}
	if got := string(subscriptionFrame("allJobs", "unsubscribe")); got != `42["/subscription",{"type":"allJobs","op":"unsubscribe"}]` {
		t.Errorf("unsubscription: %s", got)
	}
}

func TestDecodeEventChecksAndCleans(t *testing.T) {
	t.Parallel()
	const id = `"id":"e05d6958-3bce-4af4-a8cc-cb4c3475049c"`
	decode := func(raw string) (BusEvent, error) {
		f, err := ParseFrame([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return decodeEvent(f.Event, f.Payload)
	}
	// Text from the network is cleaned where it is decoded: a bidi override, a terminal escape.
	e, err := decode(`42["/jobs",{` + id + `,"name":"shot\u202e-010 \u001b[2Jlighting","status":"active","type":"blender\n"}]`)
	if err != nil || e.Job.Name != "shot-010 [2Jlighting" || e.Job.Type != "blender" || e.Job.Progress != nil {
		t.Errorf("cleaned job update: %+v, %v", e.Job, err)
	}
	e, err = decode(`42["/jobs",{` + id + `,"was_deleted":true}]`)
	if err != nil || !e.Job.WasDeleted || e.Job.Status != "" {
		t.Errorf("a deletion needs no status: %+v, %v", e.Job, err)
	}
	e, err = decode(`42["/jobs",{` + id + `,"status":"active","steps_completed":5,"steps_total":3}]`)
	if err != nil || *e.Job.Progress != (Progress{Completed: 3, Total: 3}) {
		t.Errorf("progress past its total: %+v, %v", e.Job.Progress, err)
	}
	for _, unused := range []string{`42["/task",{"id":"x"}]`, `42["/workers",{"id":1}]`} {
		if e, err := decode(unused); err != nil || e != (BusEvent{}) {
			t.Errorf("an event this program does not use: %+v, %v", e, err)
		}
	}
	for raw, reason := range map[string]string{
		`42["/jobs",{"status":"active"}]`:                                  "without a job id",
		`42["/jobs",{"id":"not-a-uuid","status":"active"}]`:                "is not a UUID",
		`42["/jobs",{` + id + `}]`:                                         "without a status",
		`42["/jobs",{` + id + `,"status":"\u200b"}]`:                       "without a status",
		`42["/jobs",{` + id + `,"status":"active","priority":"high"}]`:     "cannot unmarshal",
		`42["/jobs",{` + id + `,"status":"active","updated":"yesterday"}]`: "cannot parse",
		`42["/jobs"]`:            "not a JSON object",
		`42["/jobs",null]`:       "not a JSON object",
		`42["/jobs",[1]]`:        "not a JSON object",
		`42["/status",{}]`:       "without a status",
		`42["/status","active"]`: "not a JSON object",
	} {
		if _, err := decode(raw); !errors.Is(err, ErrBadFrame) || !strings.Contains(err.Error(), reason) {
			t.Errorf("decodeEvent(%s): %v; want %q", raw, err, reason)
		}
	}
}

// FuzzParseFrame: ParseFrame never panics; whatever it reads, written back (encodeFrame), reads as
// the same Frame; and an event it reads decodes without panicking into a valid update.
func FuzzParseFrame(f *testing.F) {
	for _, version := range []string{"3.3.1", "3.8.5"} {
		for _, line := range readTranscript(f, version) {
			f.Add([]byte(line.frame))
		}
	}
	for _, raw := range []string{``, `4x`, `42["/jobs",{"id":`, `42/nsp,12["e",1]`, `40/admin,`, `0{}`, `2probe`,
		`44{"message":"x"}`, `431["ok"]`, `451-["a",{"_placeholder":true}]`, `42[null]`, `42["\u00e9\ud800",{}]`,
		`421234567890["x"]`, `42/a,["x",null]`, "42[\"/jobs\",{\"id\":\"e05d6958-3bce-4af4-a8cc-cb4c3475049c\",\"status\":\"a\u202e\"}]"} {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, err := ParseFrame(data)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("%q: an error that is not ErrBadFrame: %v", data, err)
			}
			return
		}
		encoded := encodeFrame(frame)
		again, err := ParseFrame(encoded)
		if err != nil || !sameFrame(frame, again) {
			t.Fatalf("%q parsed as %+v, encoded as %q, parsed back as %+v, %v", data, frame, encoded, again, err)
		}
		if frame.Event != "" {
			checkDecodedEvent(t, data, frame)
		}
	})
}

func sameFrame(a, b Frame) bool {
	return a.Packet == b.Packet && a.Message == b.Message && a.Namespace == b.Namespace &&
		a.Event == b.Event && (a.Payload == nil) == (b.Payload == nil) && bytes.Equal(bytes.TrimSpace(a.Payload), bytes.TrimSpace(b.Payload))
}

// checkDecodedEvent: an update that decodes is one the program can trust.
func checkDecodedEvent(t *testing.T, data []byte, frame Frame) {
	e, err := decodeEvent(frame.Event, frame.Payload)
	if err != nil {
		if !errors.Is(err, ErrBadFrame) {
			t.Fatalf("%q: an error that is not ErrBadFrame: %v", data, err)
		}
		return
	}
	unclean := func(s string) bool { return CleanText(s, 1000) != s }
	switch {
	case e.Job != nil:
		j := e.Job
		if !IsUUID(j.ID) || j.Status == "" && !j.WasDeleted || unclean(j.Name) || unclean(j.Type) || unclean(string(j.Status)) {
			t.Fatalf("%q: accepted job update %+v", data, j)
		}
		if p := j.Progress; p != nil && (p.Completed < 0 || p.Completed > p.Total) {
			t.Fatalf("%q: progress %+v", data, p)
		}
	case e.Farm != nil:
		if e.Farm.Status == "" || unclean(string(e.Farm.Status)) {
			t.Fatalf("%q: accepted farm status %+v", data, e.Farm)
		}
	}
}
