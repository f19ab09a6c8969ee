package managerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The events of the Manager's event bus that this program uses, decoded from their frames with
// their text cleaned (CleanText), so that a job named with escape sequences or bidi overrides cannot
// rewrite a menu or a terminal.

// JobUpdate is a /jobs event: a job was submitted, changed status or progress, or was deleted. It
// does not say whose the job is (GET /api/v3/jobs/{id} does).
type JobUpdate struct {
	ID, Name, Type string
	Status         JobStatus
	Priority       int
	Updated        time.Time
	Progress       *Progress // Flamenco 3.8+ (steps_completed/steps_total), nil before
	WasDeleted     bool      // the Manager deleted the job
}

// FarmStatusUpdate is a /status event (Flamenco 3.5+, sent to every client without a subscription):
// the farm's state changed.
type FarmStatusUpdate struct {
	Status FarmState
}

// LastRenderedUpdate is a /last-rendered event (to allLastRendered subscribers): a Worker uploaded
// a frame of the job, and the Manager made its sizes.
type LastRenderedUpdate struct {
	JobID     string
	Thumbnail LastRendered
}

// BusEvent is one event of the bus that this program uses: exactly one field is set. A struct rather
// than an interface, so that a switch on it needs no type assertion and cannot miss a case silently.
// /workers events are not among them: the tray reads the Workers over HTTP (see
// farm.EventBusSubscriptions).
type BusEvent struct {
	Job   *JobUpdate
	Farm  *FarmStatusUpdate
	Frame *LastRenderedUpdate
}

// maxStatusRunes bounds a status word ("cancel-requested"): it is shown, so it is cleaned too.
const maxStatusRunes = MaxVersionRunes

// decodeEvent reads the argument of a /jobs, /status or /last-rendered event. Another event gives a
// zero BusEvent and no error; an argument that is not what the Manager sends gives an error matching
// ErrBadFrame.
func decodeEvent(name string, payload json.RawMessage) (BusEvent, error) {
	var e BusEvent
	var err error
	switch name {
	case "/jobs":
		e.Job, err = decodeJobUpdate(payload)
	case "/status":
		e.Farm, err = decodeFarmStatus(payload)
	case "/last-rendered":
		e.Frame, err = decodeLastRendered(payload)
	default:
		return BusEvent{}, nil
	}
	if err != nil {
		return BusEvent{}, fmt.Errorf("%w: %s: %v", ErrBadFrame, name, err)
	}
	return e, nil
}

// decodeJobUpdate requires the job's id (a UUID) and its status; a deletion (was_deleted) needs only
// the id, as the job's last state matters no more.
func decodeJobUpdate(payload json.RawMessage) (*JobUpdate, error) {
	var wire struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		Type           string    `json:"type"`
		Status         string    `json:"status"`
		Priority       int       `json:"priority"`
		Updated        time.Time `json:"updated"`
		StepsCompleted *int      `json:"steps_completed"`
		StepsTotal     *int      `json:"steps_total"`
		WasDeleted     bool      `json:"was_deleted"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, err
	}
	status := CleanText(wire.Status, maxStatusRunes)
	switch {
	case wire.ID == "":
		return nil, errors.New("without a job id")
	case !IsUUID(wire.ID):
		return nil, fmt.Errorf("job id %q is not a UUID", CleanText(wire.ID, 40))
	case status == "" && !wire.WasDeleted:
		return nil, errors.New("without a status")
	}
	return &JobUpdate{
		ID:         wire.ID,
		Name:       CleanText(wire.Name, MaxJobNameRunes),
		Type:       CleanText(wire.Type, MaxJobNameRunes),
		Status:     JobStatus(status),
		Priority:   wire.Priority,
		Updated:    wire.Updated,
		Progress:   progress(wire.StepsCompleted, wire.StepsTotal),
		WasDeleted: wire.WasDeleted,
	}, nil
}

// decodeLastRendered requires the job's id (a UUID) and a base path.
func decodeLastRendered(payload json.RawMessage) (*LastRenderedUpdate, error) {
	var wire struct {
		JobID     string       `json:"job_id"`
		Thumbnail LastRendered `json:"thumbnail"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, err
	}
	switch {
	case !IsUUID(wire.JobID):
		return nil, fmt.Errorf("job id %q is not a UUID", CleanText(wire.JobID, 40))
	case !validFrameBase(wire.Thumbnail.Base):
		return nil, fmt.Errorf("base %q is not a path on the Manager", CleanText(wire.Thumbnail.Base, 60))
	}
	return &LastRenderedUpdate{JobID: wire.JobID, Thumbnail: wire.Thumbnail}, nil
}

func decodeFarmStatus(payload json.RawMessage) (*FarmStatusUpdate, error) {
	var wire struct {
		Status string `json:"status"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, err
	}
	status := CleanText(wire.Status, maxStatusRunes)
	if status == "" {
		return nil, errors.New("without a status")
	}
	return &FarmStatusUpdate{Status: FarmState(status)}, nil
}

// unmarshalObject decodes a JSON object; null or a missing argument is an error, not a zero value.
func unmarshalObject(payload json.RawMessage, v any) error {
	if len(payload) == 0 || payload[0] != '{' {
		return errors.New("the argument is not a JSON object")
	}
	return json.Unmarshal(payload, v)
}

// IsUUID says whether s is a UUID as the Manager writes them (8-4-4-4-12 hexadecimal digits).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
