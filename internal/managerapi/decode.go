package managerapi

import (
	"encoding/json"
)

// maxActivityRunes bounds a job's activity ("Changed to status …: …"), shown in `status`.
const maxActivityRunes = 200

// UnmarshalJSON reads a job as the Manager sends it, with its progress (steps_completed and
// steps_total, Flamenco 3.8+) and its text cleaned for showing: a job named with escape sequences or
// bidi overrides must not rewrite a terminal or a menu. Metadata is kept as sent: it is compared,
// never shown.
func (j *Job) UnmarshalJSON(data []byte) error {
	type plain Job // without this method
	var wire struct {
		plain
		StepsCompleted *int `json:"steps_completed"`
		StepsTotal     *int `json:"steps_total"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*j = Job(wire.plain)
	j.Name = CleanText(j.Name, MaxJobNameRunes)
	j.Type = CleanText(j.Type, MaxJobNameRunes)
	j.Activity = CleanText(j.Activity, maxActivityRunes)
	j.Progress = progress(wire.StepsCompleted, wire.StepsTotal)
	return nil
}

// progress is nil unless the Manager said both numbers, and they make sense.
func progress(completed, total *int) *Progress {
	if completed == nil || total == nil || *completed < 0 || *total < 0 {
		return nil
	}
	return &Progress{Completed: min(*completed, *total), Total: *total}
}

// UnmarshalJSON reads a Worker with its name and task cleaned for showing.
func (w *Worker) UnmarshalJSON(data []byte) error {
	type plain Worker
	var wire plain
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*w = Worker(wire)
	w.Name = CleanText(w.Name, MaxJobNameRunes)
	if w.Task != nil {
		task := *w.Task
		task.Name = CleanText(task.Name, MaxJobNameRunes)
		w.Task = &task
	}
	return nil
}
