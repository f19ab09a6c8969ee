package managerapi

import (
	"encoding/json"
	"fmt"
	"time"
)

// JobUpdate is a /jobs event of the Manager's event bus: a job was submitted, changed status or
// progress, or was deleted. It does not say whose the job is (GET /api/v3/jobs/{id} does).
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

// WorkerUpdate is a /workers event: a Worker checked in or changed.
type WorkerUpdate struct {
	ID, Name, Version string
	Status            WorkerStatus
	PreviousStatus    WorkerStatus
	StatusChange      *StatusChangeRequest
	LastSeen, Updated time.Time
	CanRestart        bool
}

// FarmStatusUpdate is a /status event (Flamenco 3.5+): the farm's state changed.
type FarmStatusUpdate struct {
	Status FarmState
}

// BusEvent is one event of the bus that this program uses: exactly one field is set.
type BusEvent struct {
	Job    *JobUpdate
	Worker *WorkerUpdate
	Farm   *FarmStatusUpdate
}

// decodeEvent reads the argument of a /jobs, /workers or /status event; other events give a zero
// BusEvent and no error. Text is cleaned where it is decoded.
func decodeEvent(name string, payload json.RawMessage) (BusEvent, error) {
	switch name {
	case "/jobs":
		u, err := decodeJobUpdate(payload)
		return BusEvent{Job: u}, err
	case "/workers":
		u, err := decodeWorkerUpdate(payload)
		return BusEvent{Worker: u}, err
	case "/status":
		var wire struct {
			Status FarmState `json:"status"`
		}
		if err := json.Unmarshal(payload, &wire); err != nil || wire.Status == "" {
			return BusEvent{}, fmt.Errorf("%w: /status without a status", ErrBadFrame)
		}
		return BusEvent{Farm: &FarmStatusUpdate{Status: FarmState(CleanText(string(wire.Status), MaxVersionRunes))}}, nil
	}
	return BusEvent{}, nil
}

func decodeJobUpdate(payload json.RawMessage) (*JobUpdate, error) {
	var wire struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		Type           string    `json:"type"`
		Status         JobStatus `json:"status"`
		PreviousStatus JobStatus `json:"previous_status"`
		Priority       int       `json:"priority"`
		RefreshTasks   bool      `json:"refresh_tasks"`
		Updated        time.Time `json:"updated"`
		StepsCompleted *int      `json:"steps_completed"`
		StepsTotal     *int      `json:"steps_total"`
		WasDeleted     bool      `json:"was_deleted"`
	}
	if err := json.Unmarshal(payload, &wire); err != nil {
		return nil, fmt.Errorf("%w: /jobs: %v", ErrBadFrame, err)
	}
	if !IsUUID(wire.ID) || wire.Status == "" && !wire.WasDeleted {
		return nil, fmt.Errorf("%w: /jobs without a job id or status", ErrBadFrame)
	}
	return &JobUpdate{ID: wire.ID, Name: CleanText(wire.Name, MaxJobNameRunes), Type: CleanText(wire.Type, MaxJobNameRunes),
		Status: JobStatus(CleanText(string(wire.Status), MaxVersionRunes)), PreviousStatus: JobStatus(CleanText(string(wire.PreviousStatus), MaxVersionRunes)),
		Priority: wire.Priority, RefreshTasks: wire.RefreshTasks, Updated: wire.Updated,
		Progress: progress(wire.StepsCompleted, wire.StepsTotal), WasDeleted: wire.WasDeleted}, nil
}

func decodeWorkerUpdate(payload json.RawMessage) (*WorkerUpdate, error) {
	var wire struct {
		ID             string               `json:"id"`
		Name           string               `json:"name"`
		Version        string               `json:"version"`
		Status         WorkerStatus         `json:"status"`
		PreviousStatus WorkerStatus         `json:"previous_status"`
		StatusChange   *StatusChangeRequest `json:"status_change"`
		LastSeen       time.Time            `json:"last_seen"`
		Updated        time.Time            `json:"updated"`
		CanRestart     bool                 `json:"can_restart"`
	}
	if err := json.Unmarshal(payload, &wire); err != nil {
		return nil, fmt.Errorf("%w: /workers: %v", ErrBadFrame, err)
	}
	if !IsUUID(wire.ID) || wire.Status == "" {
		return nil, fmt.Errorf("%w: /workers without a Worker id or status", ErrBadFrame)
	}
	return &WorkerUpdate{ID: wire.ID, Name: CleanText(wire.Name, MaxJobNameRunes), Version: CleanText(wire.Version, MaxVersionRunes),
		Status: wire.Status, PreviousStatus: wire.PreviousStatus, StatusChange: wire.StatusChange,
		LastSeen: wire.LastSeen, Updated: wire.Updated, CanRestart: wire.CanRestart}, nil
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
