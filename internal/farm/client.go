package farm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultTimeout bounds each request: connecting, waiting for and reading the whole answer.
const DefaultTimeout = 10 * time.Second

// DefaultMaxBody bounds the size of an answer. The tray's filtered queries stay far below it; an
// unfiltered query of 1,000 jobs is 370 KB.
const DefaultMaxBody = 4 << 20

// Errors the Client returns, to be told apart with errors.Is.
var (
	// ErrNotFound: the Manager answered 404, for an unknown id or an endpoint it does not have.
	ErrNotFound = errors.New("not found")
	// ErrTooLarge: the answer was larger than the Client's limit.
	ErrTooLarge = errors.New("answer too large")
	// ErrMalformed: the answer was not the JSON the API describes.
	ErrMalformed = errors.New("malformed answer")
)

// APIError is an answer with an HTTP error status. A 404 also matches ErrNotFound.
type APIError struct {
	Method, Path string
	StatusCode   int
	Message      string // the Manager's "message", if its body had one
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// Client speaks Flamenco Manager's REST API v3 (as of 3.3.1). It needs no credentials: the
// management API has none. Every request is bounded in time and in the size of its answer.
type Client struct {
	base     *url.URL
	baseErr  error
	http     *http.Client
	timeout  time.Duration
	maxBody  int64
	observer func(RequestStats)
}

// RequestStats describes one request the Client made, for the benchmark and logs.
type RequestStats struct {
	Method, Path string
	StatusCode   int   // 0 when no answer came
	Bytes        int64 // body bytes read
	Err          error
}

// ClientOption changes a Client.
type ClientOption func(*Client)

// WithHTTPClient makes the Client send its requests through hc (its Timeout is kept if set).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each request to d instead of DefaultTimeout.
func WithTimeout(d time.Duration) ClientOption { return func(c *Client) { c.timeout = d } }

// WithMaxBody bounds each answer to n bytes instead of DefaultMaxBody.
func WithMaxBody(n int64) ClientOption { return func(c *Client) { c.maxBody = n } }

// WithObserver calls observe after every request (from the requesting goroutine).
func WithObserver(observe func(RequestStats)) ClientOption {
	return func(c *Client) { c.observer = observe }
}

// NewClient returns a client of the Manager at baseURL (such as "http://farm:8080/"). A URL that is
// not http(s) makes every call fail with the reason.
func NewClient(baseURL string, opts ...ClientOption) *Client {
	c := &Client{timeout: DefaultTimeout, maxBody: DefaultMaxBody}
	c.base, c.baseErr = parseBaseURL(baseURL)
	for _, opt := range opts {
		opt(c)
	}
	if c.http == nil {
		c.http = newHTTPClient(c.timeout)
	}
	return c
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("manager URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("manager URL %q: want http://host:port/", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func newHTTPClient(timeout time.Duration) *http.Client {
	transport := &http.Transport{
		// A LAN Manager is never reached through the user's HTTP proxy (as in discovery's Prober).
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		// Polls are 25 s apart or more: keep the connection only a little longer than that.
		IdleConnTimeout: 40 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		// The API does not redirect; a redirect means something else answers there.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// BaseURL returns the Manager's URL, with a trailing slash.
func (c *Client) BaseURL() string {
	if c.base == nil {
		return ""
	}
	return c.base.String()
}

// JobURL returns the web UI's page of a job.
func (c *Client) JobURL(id string) string { return JobURL(c.BaseURL(), id) }

// JobURL returns the web UI's page of a job on the Manager at base.
func JobURL(base, id string) string {
	return strings.TrimSuffix(base, "/") + "/app/jobs/" + url.PathEscape(id)
}

// CloseIdleConnections closes the connections kept for the next request.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Version returns the Manager's name and version: GET /api/v3/version.
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v Version
	if err := c.do(ctx, http.MethodGet, "api/v3/version", nil, &v); err != nil {
		return Version{}, err
	}
	if v.Version == "" {
		return Version{}, fmt.Errorf("GET /api/v3/version: %w: no version", ErrMalformed)
	}
	return v, nil
}

// Workers lists every Worker: GET /api/v3/worker-mgt/workers.
func (c *Client) Workers(ctx context.Context) ([]Worker, error) {
	var answer struct {
		Workers *[]Worker `json:"workers"`
	}
	if err := c.do(ctx, http.MethodGet, "api/v3/worker-mgt/workers", nil, &answer); err != nil {
		return nil, err
	}
	if answer.Workers == nil {
		return nil, fmt.Errorf("GET /api/v3/worker-mgt/workers: %w: no workers list", ErrMalformed)
	}
	return *answer.Workers, nil
}

// Worker returns one Worker, with its address and current task: GET /api/v3/worker-mgt/workers/{id}.
func (c *Client) Worker(ctx context.Context, id string) (Worker, error) {
	var w Worker
	if err := c.do(ctx, http.MethodGet, "api/v3/worker-mgt/workers/"+url.PathEscape(id), nil, &w); err != nil {
		return Worker{}, err
	}
	if w.ID == "" {
		return Worker{}, fmt.Errorf("GET /api/v3/worker-mgt/workers/%s: %w: no id", id, ErrMalformed)
	}
	return w, nil
}

// SetWorkerStatus asks the Manager to change a Worker's status (offline to sign it off); lazy: after
// its current task. POST /api/v3/worker-mgt/workers/{id}/setstatus, answered 204.
func (c *Client) SetWorkerStatus(ctx context.Context, id string, status WorkerStatus, lazy bool) error {
	body := StatusChangeRequest{Status: status, Lazy: lazy}
	return c.do(ctx, http.MethodPost, "api/v3/worker-mgt/workers/"+url.PathEscape(id)+"/setstatus", body, nil)
}

// QueryJobs returns the jobs matching q: POST /api/v3/jobs/query.
func (c *Client) QueryJobs(ctx context.Context, q JobQuery) ([]Job, error) {
	var answer struct {
		Jobs *[]Job `json:"jobs"`
	}
	if err := c.do(ctx, http.MethodPost, "api/v3/jobs/query", q.wire(), &answer); err != nil {
		return nil, err
	}
	if answer.Jobs == nil {
		return nil, fmt.Errorf("POST /api/v3/jobs/query: %w: no jobs list", ErrMalformed)
	}
	return *answer.Jobs, nil
}

// Job returns one job: GET /api/v3/jobs/{id}. An unknown id is an error matching ErrNotFound.
func (c *Client) Job(ctx context.Context, id string) (Job, error) {
	var j Job
	if err := c.do(ctx, http.MethodGet, "api/v3/jobs/"+url.PathEscape(id), nil, &j); err != nil {
		return Job{}, err
	}
	if j.ID == "" || j.Status == "" {
		return Job{}, fmt.Errorf("GET /api/v3/jobs/%s: %w: no id or status", id, ErrMalformed)
	}
	return j, nil
}

// FarmStatus returns the farm state the Manager computes: GET /api/v3/status, which Managers before
// 3.5 do not have (present false, no error).
func (c *Client) FarmStatus(ctx context.Context) (state FarmState, present bool, err error) {
	var answer struct {
		Status FarmState `json:"status"`
	}
	err = c.do(ctx, http.MethodGet, "api/v3/status", nil, &answer)
	switch {
	case errors.Is(err, ErrNotFound):
		return FarmUnknown, false, nil
	case err != nil:
		return FarmUnknown, false, err
	case answer.Status == "":
		return FarmUnknown, false, fmt.Errorf("GET /api/v3/status: %w: no status", ErrMalformed)
	}
	return answer.Status, true, nil
}

// wireJobQuery is the JSON body the Manager reads.
type wireJobQuery struct {
	StatusIn []JobStatus       `json:"status_in,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	OrderBy  []string          `json:"order_by,omitempty"`
	Limit    int               `json:"limit,omitempty"`
	Offset   int               `json:"offset,omitempty"`
}

func (q JobQuery) wire() wireJobQuery {
	w := wireJobQuery{StatusIn: q.StatusIn, OrderBy: q.OrderBy.columns(), Limit: q.Limit, Offset: q.Offset}
	if len(q.Metadata) > 0 {
		w.Metadata = make(map[string]string, len(q.Metadata))
		for key, value := range q.Metadata {
			w.Metadata[MetadataFilterKey(key)] = value
		}
	}
	return w
}

// MetadataFilterKey is key as the Manager's metadata filter must receive it: the Manager puts it in
// a JSON path ($.key), where "user.name" would mean {"user":{"name":…}}; quoted, it is the one key.
func MetadataFilterKey(key string) string {
	return strconv.Quote(key)
}

// do sends one request and decodes a 2xx answer into out (nil: the body is discarded).
func (c *Client) do(ctx context.Context, method, path string, body, out any) (err error) {
	if c.baseErr != nil {
		return c.baseErr
	}
	stats := RequestStats{Method: method, Path: "/" + path}
	if c.observer != nil {
		defer func() { stats.Err = err; c.observer(stats) }()
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, stats.Path, err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), reader)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, stats.Path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("%s %s: no answer within %v: %w", method, stats.Path, c.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("%s %s: %w", method, stats.Path, err)
	}
	defer resp.Body.Close()
	stats.StatusCode = resp.StatusCode

	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	stats.Bytes = int64(len(data))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("%s %s: answer not read within %v: %w", method, stats.Path, c.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("%s %s: read answer: %w", method, stats.Path, err)
	}
	if int64(len(data)) > c.maxBody {
		return fmt.Errorf("%s %s: %w: more than %d bytes", method, stats.Path, ErrTooLarge, c.maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &APIError{Method: method, Path: stats.Path, StatusCode: resp.StatusCode}
		var flamencoErr struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &flamencoErr) == nil {
			apiErr.Message = truncate(flamencoErr.Message, 200)
		}
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w: %v", method, stats.Path, ErrMalformed, err)
	}
	return nil
}

// truncate shortens s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
