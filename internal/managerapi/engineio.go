package managerapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// The Manager's event bus speaks Socket.IO 2 over Engine.IO 3 (github.com/graarh/golang-socketio's
// dialect), one packet per websocket text frame:
//
//	0{"sid":"…","upgrades":[],"pingInterval":30000,"pingTimeout":60000}   Engine.IO open
//	2 / 3                                                                  ping / pong
//	1                                                                      Engine.IO close
//	40 / 41                                                                Socket.IO connect / disconnect
//	42["/jobs",{…}]                                                        Socket.IO event: name, argument
//	42/nsp,7["name",{…}]                                                   … in a namespace, with an ack id
//
// ParseFrame reads one. This client sends only pings, pongs and subscriptions (framePing, framePong,
// subscriptionFrame).

// PacketType is an Engine.IO 3 packet type, the frame's first byte.
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

// MessageType is a Socket.IO 2 packet type, the second byte of an Engine.IO message.
type MessageType byte

// The Socket.IO 2 packet types this client reads. The binary ones ('5' binary event, '6' binary ack)
// are refused: they announce attachments in further frames, and the Manager sends none.
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
	Message   MessageType // for PacketMessage, else 0
	Namespace string      // for PacketMessage: "/" unless the frame names another
	Event     string      // for MessageEvent: the event's name ("/jobs")
	// Payload is the open packet's JSON, an event's first argument, or the JSON data of any other
	// Socket.IO packet; nil when there is none. Further event arguments are dropped: the Manager
	// sends one.
	Payload json.RawMessage
}

// ErrBadFrame is matched by every error of ParseFrame, and of decoding an event's argument:
// a frame that is not Engine.IO 3 / Socket.IO 2 as the Manager speaks it.
var ErrBadFrame = errors.New("malformed event-bus frame")

// maxAckIDDigits bounds an ack id (skipped: the Manager asks for no acks) as Socket.IO reads it,
// within an int on every platform.
const maxAckIDDigits = 9

// ParseFrame reads one websocket text frame. It never panics; a frame it cannot read gives an error
// that matches ErrBadFrame and says what is wrong. A ping or pong's optional text ("2probe") is
// dropped: it only serves transport upgrades, which the Manager does not offer.
func ParseFrame(data []byte) (Frame, error) {
	if len(data) == 0 {
		return Frame{}, fmt.Errorf("%w: empty frame", ErrBadFrame)
	}
	f := Frame{Packet: PacketType(data[0])}
	rest := data[1:]
	switch f.Packet {
	case PacketOpen:
		if !isJSONObject(rest) {
			return Frame{}, fmt.Errorf("%w: open packet without its JSON object", ErrBadFrame)
		}
		f.Payload = json.RawMessage(rest)
		return f, nil
	case PacketClose, PacketPing, PacketPong, PacketUpgrade, PacketNoop:
		return f, nil
	case PacketMessage:
		return parseMessage(rest)
	}
	return Frame{}, fmt.Errorf("%w: unknown Engine.IO packet type %q", ErrBadFrame, data[0])
}

// parseMessage reads a Socket.IO packet: type, [namespace ","], [ack id], [JSON data].
func parseMessage(rest []byte) (Frame, error) {
	f := Frame{Packet: PacketMessage, Namespace: "/"}
	if len(rest) == 0 {
		return Frame{}, fmt.Errorf("%w: Engine.IO message without a Socket.IO packet type", ErrBadFrame)
	}
	f.Message = MessageType(rest[0])
	switch f.Message {
	case MessageConnect, MessageDisconnect, MessageEvent, MessageAck, MessageError:
	case '5', '6':
		return Frame{}, fmt.Errorf("%w: binary Socket.IO packet %q (attachments are not read)", ErrBadFrame, rest[0])
	default:
		return Frame{}, fmt.Errorf("%w: unknown Socket.IO packet type %q", ErrBadFrame, rest[0])
	}
	rest = rest[1:]
	if len(rest) > 0 && rest[0] == '/' {
		end := bytes.IndexByte(rest, ',')
		if end < 0 {
			end = len(rest)
		}
		f.Namespace = string(rest[:end])
		rest = rest[min(end+1, len(rest)):]
	}
	digits := 0
	for digits < len(rest) && '0' <= rest[digits] && rest[digits] <= '9' {
		digits++
	}
	if digits > maxAckIDDigits {
		return Frame{}, fmt.Errorf("%w: ack id of %d digits", ErrBadFrame, digits)
	}
	rest = rest[digits:]
	if f.Message == MessageEvent {
		return parseEvent(f, rest)
	}
	if len(rest) > 0 {
		if !json.Valid(rest) {
			return Frame{}, fmt.Errorf("%w: Socket.IO packet data is not JSON", ErrBadFrame)
		}
		f.Payload = json.RawMessage(rest)
	}
	return f, nil
}

// parseEvent reads an event's data: a JSON array of its name and arguments.
func parseEvent(f Frame, data []byte) (Frame, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return Frame{}, fmt.Errorf("%w: event data is not a JSON array: %v", ErrBadFrame, err)
	}
	if len(parts) == 0 {
		return Frame{}, fmt.Errorf("%w: event without a name", ErrBadFrame)
	}
	if err := json.Unmarshal(parts[0], &f.Event); err != nil || f.Event == "" {
		return Frame{}, fmt.Errorf("%w: event name is not a non-empty string", ErrBadFrame)
	}
	if len(parts) > 1 {
		f.Payload = parts[1]
	}
	return f, nil
}

// isJSONObject says whether data is one JSON object (what an open packet carries).
func isJSONObject(data []byte) bool {
	data = bytes.TrimSpace(data)
	return len(data) > 0 && data[0] == '{' && json.Valid(data)
}

// The frames this client sends.
var (
	framePing = []byte{byte(PacketPing)}
	framePong = []byte{byte(PacketPong)}
)

// subscriptionFrame is how the web UI subscribes (op "subscribe") and unsubscribes ("unsubscribe"):
// 42["/subscription",{"type":"allJobs","op":"subscribe"}].
func subscriptionFrame(kind, op string) []byte {
	body, _ := json.Marshal(struct { // two strings: cannot fail
		Type string `json:"type"`
		Op   string `json:"op"`
	}{kind, op})
	return append(append([]byte(`42["/subscription",`), body...), ']')
}
