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
	PreviousStatus JobStatus // on a change of status only
	Priority       int
	RefreshTasks   bool
	Updated        time.Time
	Progress       *Progress // Flamenco 3.8+ (steps_completed/steps_total), nil before
	WasDeleted     bool      // the Manager deleted the job
}

// WorkerUpdate is a /workers event: a Worker checked in (every few seconds while awake) or changed.
type WorkerUpdate struct {
	ID, Name, Version string
	Status            WorkerStatus
	PreviousStatus    WorkerStatus         // on a change of status only
	StatusChange      *StatusChangeRequest // a change asked of the Worker, not applied yet
	LastSeen, Updated time.Time
	CanRestart        bool
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
type BusEvent struct {
	Job    *JobUpdate
	Worker *WorkerUpdate
	Farm   *FarmStatusUpdate
	Frame  *LastRenderedUpdate
}

// Name is the event's name on the bus ("/jobs", "/workers", "/status"), "" for a zero BusEvent.
func (e BusEvent) Name() string {
	switch {
	case e.Job != nil:
		return "/jobs"
	case e.Worker != nil:
		return "/workers"
	case e.Farm != nil:
		return "/status"
	case e.Frame != nil:
		return "/last-rendered"
	}
	return ""
}

// maxStatusRunes bounds a status word ("cancel-requested"): it is shown, so it is cleaned too.
const maxStatusRunes = MaxVersionRunes

// decodeEvent reads the argument of a /jobs, /workers or /status event. Another event gives a zero
// BusEvent and no error; an argument that is not what the Manager sends gives an error matching
// ErrBadFrame.
func decodeEvent(name string, payload json.RawMessage) (BusEvent, error) {
	switch name {
	case "/jobs":
		u, err := decodeJobUpdate(payload)
		return BusEvent{Job: u}, err
	case "/workers":
		u, err := decodeWorkerUpdate(payload)
		return BusEvent{Worker: u}, err
	case "/status":
		u, err := decodeFarmStatus(payload)
		return BusEvent{Farm: u}, err
	case "/last-rendered":
		u, err := decodeLastRendered(payload)
		return BusEvent{Frame: u}, err
	}
	return BusEvent{}, nil
}

// decodeJobUpdate requires the job's id (a UUID) and its status; a deletion (was_deleted) needs only
// the id, as the job's last state matters no more.
func decodeJobUpdate(payload json.RawMessage) (*JobUpdate, error) {
	var wire struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		Type           string    `json:"type"`
		Status         string    `json:"status"`
		PreviousStatus string    `json:"previous_status"`
		Priority       int       `json:"priority"`
		RefreshTasks   bool      `json:"refresh_tasks"`
		Updated        time.Time `json:"updated"`
		StepsCompleted *int      `json:"steps_completed"`
		StepsTotal     *int      `json:"steps_total"`
		WasDeleted     bool      `json:"was_deleted"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, fmt.Errorf("%w: /jobs: %v", ErrBadFrame, err)
	}
	status := CleanText(wire.Status, maxStatusRunes)
	switch {
	case wire.ID == "":
		return nil, fmt.Errorf("%w: /jobs without a job id", ErrBadFrame)
	case !IsUUID(wire.ID):
		return nil, fmt.Errorf("%w: /jobs: job id %q is not a UUID", ErrBadFrame, CleanText(wire.ID, 40))
	case status == "" && !wire.WasDeleted:
		return nil, fmt.Errorf("%w: /jobs without a status", ErrBadFrame)
	}
	return &JobUpdate{
		ID:             wire.ID,
		Name:           CleanText(wire.Name, MaxJobNameRunes),
		Type:           CleanText(wire.Type, MaxJobNameRunes),
		Status:         JobStatus(status),
		PreviousStatus: JobStatus(CleanText(wire.PreviousStatus, maxStatusRunes)),
		Priority:       wire.Priority,
		RefreshTasks:   wire.RefreshTasks,
		Updated:        wire.Updated,
		Progress:       progress(wire.StepsCompleted, wire.StepsTotal),
		WasDeleted:     wire.WasDeleted,
	}, nil
}

// decodeLastRendered requires the job's id (a UUID) and a base path.
func decodeLastRendered(payload json.RawMessage) (*LastRenderedUpdate, error) {
	var wire struct {
		JobID     string       `json:"job_id"`
		Thumbnail LastRendered `json:"thumbnail"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, fmt.Errorf("%w: /last-rendered: %v", ErrBadFrame, err)
	}
	switch {
	case !IsUUID(wire.JobID):
		return nil, fmt.Errorf("%w: /last-rendered: job id %q is not a UUID", ErrBadFrame, CleanText(wire.JobID, 40))
	case !validFrameBase(wire.Thumbnail.Base):
		return nil, fmt.Errorf("%w: /last-rendered: base %q is not a path on the Manager", ErrBadFrame, CleanText(wire.Thumbnail.Base, 60))
	}
	return &LastRenderedUpdate{JobID: wire.JobID, Thumbnail: wire.Thumbnail}, nil
}

// decodeWorkerUpdate requires the Worker's id (a UUID) and its status.
func decodeWorkerUpdate(payload json.RawMessage) (*WorkerUpdate, error) {
	var wire struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		Version        string    `json:"version"`
		Status         string    `json:"status"`
		PreviousStatus string    `json:"previous_status"`
		LastSeen       time.Time `json:"last_seen"`
		Updated        time.Time `json:"updated"`
		CanRestart     bool      `json:"can_restart"`
		StatusChange   *struct {
			Status string `json:"status"`
			Lazy   bool   `json:"is_lazy"`
		} `json:"status_change"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, fmt.Errorf("%w: /workers: %v", ErrBadFrame, err)
	}
	status := CleanText(wire.Status, maxStatusRunes)
	switch {
	case !IsUUID(wire.ID):
		return nil, fmt.Errorf("%w: /workers: Worker id %q is not a UUID", ErrBadFrame, CleanText(wire.ID, 40))
	case status == "":
		return nil, fmt.Errorf("%w: /workers without a status", ErrBadFrame)
	}
	u := &WorkerUpdate{
		ID:             wire.ID,
		Name:           CleanText(wire.Name, MaxJobNameRunes),
		Version:        CleanText(wire.Version, MaxVersionRunes),
		Status:         WorkerStatus(status),
		PreviousStatus: WorkerStatus(CleanText(wire.PreviousStatus, maxStatusRunes)),
		LastSeen:       wire.LastSeen,
		Updated:        wire.Updated,
		CanRestart:     wire.CanRestart,
	}
	if c := wire.StatusChange; c != nil && CleanText(c.Status, maxStatusRunes) != "" {
		u.StatusChange = &StatusChangeRequest{Status: WorkerStatus(CleanText(c.Status, maxStatusRunes)), Lazy: c.Lazy}
	}
	return u, nil
}

func decodeFarmStatus(payload json.RawMessage) (*FarmStatusUpdate, error) {
	var wire struct {
		Status string `json:"status"`
	}
	if err := unmarshalObject(payload, &wire); err != nil {
		return nil, fmt.Errorf("%w: /status: %v", ErrBadFrame, err)
	}
	status := CleanText(wire.Status, maxStatusRunes)
	if status == "" {
		return nil, fmt.Errorf("%w: /status without a status", ErrBadFrame)
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
