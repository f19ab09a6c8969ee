package managerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// AllJobs reads GET /api/v3/jobs (Flamenco 3.6 and later): every job in the Manager's database,
// unfiltered, with settings and metadata. The answer is decoded as a stream and each job handed to
// keep as soon as it is read, so that a busy studio's 50,000 jobs (18 MB) are never held at once,
// neither as bytes nor as jobs: keep decides what to remember. The answer is bounded by
// MaxAllJobsBody and AllJobsTimeout. A Manager before 3.6 answers with an error matching
// ErrNoSuchEndpoint.
func (c *Client) AllJobs(ctx context.Context, keep func(Job)) error {
	return c.do(ctx, request{method: http.MethodGet, path: "api/v3/jobs", timeout: AllJobsTimeout, maxBody: MaxAllJobsBody},
		func(body io.Reader) error { return decodeJobList(body, keep) })
}

// decodeJobList reads {"jobs":[…]} one job at a time; other keys are skipped.
func decodeJobList(r io.Reader, keep func(Job)) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	sawJobs := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		if key != "jobs" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return malformed(err)
			}
			continue
		}
		sawJobs = true
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		for dec.More() {
			var j Job
			if err := dec.Decode(&j); err != nil {
				return malformed(err)
			}
			if j.ID == "" || j.Status == "" {
				return fmt.Errorf("%w: a job without id or status", ErrMalformed)
			}
			keep(j)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	if !sawJobs {
		return fmt.Errorf("%w: no jobs list", ErrMalformed)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if tok != want {
		return fmt.Errorf("%w: %v where %v was expected", ErrMalformed, tok, want)
	}
	return nil
}

// malformed marks a decoding error as ErrMalformed, unless the body was cut by the size limit.
func malformed(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}
