package managerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The Manager's event bus speaks Socket.IO 2 over Engine.IO 3 (github.com/graarh/golang-socketio's
// dialect), one packet per websocket text frame:
//
//	0{"sid":"…","upgrades":[],"pingInterval":30000,"pingTimeout":60000}   open
//	2 / 3                                                                  ping / pong
//	40                                                                     Socket.IO connect
//	42["/jobs",{…}]                                                        Socket.IO event: name, argument
//
// ParseFrame reads one; the encoders below write what this client sends.

// PacketType is an Engine.IO 3 packet type.
type PacketType byte

// The Engine.IO 3 packet types.
const (
	PacketOpen    PacketType = '0'
	PacketClose   PacketType = '1'
	PacketPing    PacketType = '2'
	PacketPong    PacketType = '3'
	PacketMessage PacketType = '4'
	PacketUpgrade PacketType = '5'
	PacketNoop    PacketType = '6'
)

// MessageType is a Socket.IO 2 packet type, inside an Engine.IO message.
type MessageType byte

// The Socket.IO 2 packet types this client reads (binary ones are refused: the Manager sends none).
const (
	MessageConnect    MessageType = '0'
	MessageDisconnect MessageType = '1'
	MessageEvent      MessageType = '2'
	MessageAck        MessageType = '3'
	MessageError      MessageType = '4'
)

// Frame is one parsed event-bus frame.
type Frame struct {
	Packet    PacketType
	Message   MessageType // for PacketMessage
	Namespace string      // "/" unless the frame names another
	AckID     int         // -1 when none
	Event     string      // for MessageEvent: the event's name ("/jobs")
	// Payload is the open packet's JSON, or an event's first argument (nil when it has none).
	Payload json.RawMessage
}

// ErrBadFrame: a frame that is not Engine.IO 3 / Socket.IO 2 as the Manager speaks it.
var ErrBadFrame = errors.New("malformed event-bus frame")

// ParseFrame reads one text frame. It never panics; a frame it cannot read matches ErrBadFrame.
func ParseFrame(data []byte) (Frame, error) {
	f := Frame{Namespace: "/", AckID: -1}
	if len(data) == 0 {
		return f, fmt.Errorf("%w: empty", ErrBadFrame)
	}
	f.Packet = PacketType(data[0])
	rest := data[1:]
	switch f.Packet {
	case PacketOpen:
		if !json.Valid(rest) {
			return f, fmt.Errorf("%w: open packet without its JSON", ErrBadFrame)
		}
		f.Payload = json.RawMessage(rest)
		return f, nil
	case PacketClose, PacketPing, PacketPong, PacketUpgrade, PacketNoop:
		return f, nil // a ping or pong may carry a probe string: of no use here
	case PacketMessage:
		return parseMessage(f, rest)
	}
	return f, fmt.Errorf("%w: unknown packet type %q", ErrBadFrame, data[0])
}

func parseMessage(f Frame, rest []byte) (Frame, error) {
	if len(rest) == 0 {
		return f, fmt.Errorf("%w: message without a Socket.IO type", ErrBadFrame)
	}
	f.Message = MessageType(rest[0])
	if f.Message < MessageConnect || f.Message > MessageError {
		return f, fmt.Errorf("%w: unsupported Socket.IO packet type %q", ErrBadFrame, rest[0])
	}
	rest = rest[1:]
	if len(rest) > 0 && rest[0] == '/' {
		end := 0
		for end < len(rest) && rest[end] != ',' {
			end++
		}
		f.Namespace = string(rest[:end])
		rest = rest[min(end+1, len(rest)):]
	}
	digits := 0
	for digits < len(rest) && digits < 10 && '0' <= rest[digits] && rest[digits] <= '9' {
		digits++
	}
	if digits > 0 {
		f.AckID, _ = strconv.Atoi(string(rest[:digits]))
		rest = rest[digits:]
	}
	switch f.Message {
	case MessageEvent:
		return parseEvent(f, rest)
	case MessageAck, MessageError:
		if len(rest) > 0 && !json.Valid(rest) {
			return f, fmt.Errorf("%w: packet data is not JSON", ErrBadFrame)
		}
		f.Payload = json.RawMessage(rest)
	}
	return f, nil
}

func parseEvent(f Frame, rest []byte) (Frame, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(rest, &parts); err != nil || len(parts) == 0 {
		return f, fmt.Errorf("%w: event is not a JSON array with a name", ErrBadFrame)
	}
	if err := json.Unmarshal(parts[0], &f.Event); err != nil || f.Event == "" {
		return f, fmt.Errorf("%w: event without a name", ErrBadFrame)
	}
	if len(parts) > 1 {
		f.Payload = parts[1]
	}
	return f, nil
}

// The frames this client sends.
var (
	framePing = []byte{byte(PacketPing)}
	framePong = []byte{byte(PacketPong)}
)

// subscriptionFrame is how the web UI subscribes: 42["/subscription",{"type":"allJobs","op":"subscribe"}].
func subscriptionFrame(kind, op string) []byte {
	body, _ := json.Marshal(struct {
		Type string `json:"type"`
		Op   string `json:"op"`
	}{kind, op})
	return append([]byte(`42["/subscription",`), append(body, ']')...)
}

// openPacket is the Engine.IO open packet's JSON.
type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"` // milliseconds
	PingTimeout  int      `json:"pingTimeout"`  // milliseconds
}
