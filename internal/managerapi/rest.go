package managerapi

import (
	"bytes"
	"cmp"
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

// The limits of every request to a Manager.
const (
	// DefaultTimeout bounds each request: connecting, waiting for and reading the whole answer.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBody bounds the size of an answer. The tray's filtered queries stay far below it.
	DefaultMaxBody = 4 << 20
	// MaxAllJobsBody bounds GET /api/v3/jobs, every job in the Manager's database: 1,000 jobs are
	// 370 KB, so this is room for some 170,000. It is read as a stream, one job at a time.
	MaxAllJobsBody = 64 << 20
	// AllJobsTimeout bounds GET /api/v3/jobs: a busy studio's 50,000 jobs are 18 MB.
	AllJobsTimeout = 2 * time.Minute
)

// Errors the Client returns, to be told apart with errors.Is.
var (
	// ErrNotFound: the Manager answered 404, for an unknown id or an endpoint it does not have.
	ErrNotFound = errors.New("not found")
	// ErrNoSuchEndpoint: this Manager's version does not have the endpoint (404, 405, or the 400
	// "method not allowed" with which Flamenco answers a method a route does not take): how the two
	// generations of the jobs API are told apart.
	ErrNoSuchEndpoint = errors.New("no such endpoint on this Manager")
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

// Is makes errors.Is(err, ErrNotFound) true for a 404, and errors.Is(err, ErrNoSuchEndpoint) for
// the answers of a route this Manager does not have.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrNoSuchEndpoint:
		return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusMethodNotAllowed ||
			e.StatusCode == http.StatusBadRequest && e.Message == "method not allowed"
	}
	return false
}

// Client speaks a Flamenco Manager's REST API v3, as of 3.3 to 3.9. It needs no credentials: the
// management API has none. Every request is bounded in time and in the size of its answer.
type Client struct {
	base    *url.URL
	baseErr error
	http    *http.Client
	timeout time.Duration
	maxBody int64
}

// ClientOption changes a Client.
type ClientOption func(*Client)

// WithHTTPClient makes the Client send its requests through hc, shared with other Clients.
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each request to d instead of DefaultTimeout.
func WithTimeout(d time.Duration) ClientOption { return func(c *Client) { c.timeout = d } }

// WithMaxBody bounds each answer to n bytes instead of DefaultMaxBody.
func WithMaxBody(n int64) ClientOption { return func(c *Client) { c.maxBody = n } }

// NewClient returns a client of the Manager at baseURL (such as "http://farm:8080/"), normalised by
// BaseURL; a path is kept (a Manager behind a proxy's prefix). A URL that is not http(s) makes every
// call fail with the reason.
func NewClient(baseURL string, opts ...ClientOption) *Client {
	c := &Client{timeout: DefaultTimeout, maxBody: DefaultMaxBody}
	c.base, c.baseErr = clientBase(baseURL)
	for _, opt := range opts {
		opt(c)
	}
	if c.http == nil {
		c.http = NewHTTPClient(c.timeout)
	}
	return c
}

func clientBase(raw string) (*url.URL, error) {
	base, err := BaseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("manager URL: %w", err)
	}
	u, _ := url.Parse(strings.TrimSpace(raw))
	base.Path = strings.TrimSuffix(u.Path, "/") + "/"
	return base, nil
}

// NewHTTPClient returns the HTTP client for a Manager: no proxy, bounded connection set-up, no
// redirects.
func NewHTTPClient(timeout time.Duration) *http.Client {
	transport := &http.Transport{
		// A LAN Manager is never reached through the user's HTTP proxy.
		Proxy:                  nil,
		DialContext:            (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxIdleConnsPerHost:    2,
		MaxResponseHeaderBytes: 64 << 10,
		// Requests are minutes apart once the event bus is connected: keep a connection briefly.
		IdleConnTimeout: 40 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		// The API does not redirect; a redirect means something else answers there.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// At returns a Client of the Manager at another address (see NewClient), with c's settings and
// HTTP client.
func (c *Client) At(baseURL string) *Client {
	moved := *c
	moved.base, moved.baseErr = clientBase(baseURL)
	return &moved
}

// BaseURL returns the Manager's URL, with a trailing slash.
func (c *Client) BaseURL() string {
	if c.base == nil {
		return ""
	}
	return c.base.String()
}

// JobURL returns the web UI's page of a job on the Manager at base.
func JobURL(base, id string) string {
	return strings.TrimSuffix(base, "/") + "/app/jobs/" + url.PathEscape(id)
}

// CloseIdleConnections closes the connections kept for the next request.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Version returns the Manager's name and version: GET /api/v3/version, cleaned (see ParseVersion).
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v Version
	err := c.do(ctx, request{method: http.MethodGet, path: "api/v3/version"}, func(body io.Reader) error {
		data, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		v, err = ParseVersion(data)
		return err
	})
	return v, err
}

// Workers lists every Worker: GET /api/v3/worker-mgt/workers.
func (c *Client) Workers(ctx context.Context) ([]Worker, error) {
	var answer struct {
		Workers *[]Worker `json:"workers"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "api/v3/worker-mgt/workers", nil, &answer); err != nil {
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
	if err := c.doJSON(ctx, http.MethodGet, "api/v3/worker-mgt/workers/"+url.PathEscape(id), nil, &w); err != nil {
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
	body := struct {
		Status WorkerStatus `json:"status"`
		Lazy   bool         `json:"is_lazy"`
	}{status, lazy}
	return c.doJSON(ctx, http.MethodPost, "api/v3/worker-mgt/workers/"+url.PathEscape(id)+"/setstatus", body, nil)
}

// QueryJobs returns the jobs matching q: POST /api/v3/jobs/query, which Managers before 3.6 have
// (from 3.6 on it matches ErrNoSuchEndpoint: see AllJobs).
func (c *Client) QueryJobs(ctx context.Context, q JobQuery) ([]Job, error) {
	var answer struct {
		Jobs *[]Job `json:"jobs"`
	}
	if err := c.doJSON(ctx, http.MethodPost, "api/v3/jobs/query", q.wire(), &answer); err != nil {
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
	if err := c.doJSON(ctx, http.MethodGet, "api/v3/jobs/"+url.PathEscape(id), nil, &j); err != nil {
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
	err = c.doJSON(ctx, http.MethodGet, "api/v3/status", nil, &answer)
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
	OrderBy  []string          `json:"order_by"`
	Limit    int               `json:"limit,omitempty"`
}

func (q JobQuery) wire() wireJobQuery {
	// The Manager answers 500 to a column it does not know: this one it has.
	w := wireJobQuery{StatusIn: q.StatusIn, OrderBy: []string{"-updated_at"}, Limit: q.Limit}
	if len(q.Metadata) > 0 {
		w.Metadata = make(map[string]string, len(q.Metadata))
		for key, value := range q.Metadata {
			// The Manager puts the key in a JSON path ($.key), where "user.name" would mean
			// {"user":{"name":…}}; quoted, it is the one key.
			w.Metadata[strconv.Quote(key)] = value
		}
	}
	return w
}

// request is one request of the Client's; zero limits take the Client's.
type request struct {
	method, path string
	body         any
	timeout      time.Duration
	maxBody      int64
}

// doJSON sends one request and decodes a 2xx answer into out (nil: the body is discarded). An empty
// answer (204) leaves out as it was.
func (c *Client) doJSON(ctx context.Context, method, path string, body, out any) error {
	return c.do(ctx, request{method: method, path: path, body: body}, func(r io.Reader) error {
		data, err := io.ReadAll(r)
		if err != nil || out == nil || len(data) == 0 {
			return err
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return nil
	})
}

// do sends one request and hands a 2xx answer's body, bounded, to read. Errors name the request.
func (c *Client) do(ctx context.Context, req request, read func(io.Reader) error) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	req.timeout = cmp.Or(req.timeout, c.timeout)
	req.maxBody = cmp.Or(req.maxBody, c.maxBody)
	ctx, cancel := context.WithTimeout(ctx, req.timeout)
	defer cancel()
	resp, err := c.send(ctx, req)
	if err != nil {
		return c.describe(ctx, req, "", err)
	}
	defer resp.Body.Close()
	body := &boundedReader{r: resp.Body, left: req.maxBody}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(req, resp.StatusCode, body)
	}
	if err := read(body); err != nil {
		return c.describe(ctx, req, "read answer", err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, req request) (*http.Response, error) {
	var reader io.Reader
	if req.body != nil {
		encoded, err := json.Marshal(req.body)
		if err != nil {
			return nil, err
		}
		reader = bytes.NewReader(encoded)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, c.base.JoinPath(req.path).String(), reader)
	if err != nil {
		return nil, err
	}
	httpReq.Header.Set("Accept", "application/json")
	if req.body != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(httpReq)
}

// describe names the request in err and says when the time ran out.
func (c *Client) describe(ctx context.Context, req request, doing string, err error) error {
	var netErr net.Error
	what := req.method + " /" + req.path
	if doing != "" {
		what += ": " + doing
	}
	switch {
	case errors.Is(err, ErrTooLarge):
		return fmt.Errorf("%s: %w: more than %d bytes", what, ErrTooLarge, req.maxBody)
	case ctx.Err() == context.DeadlineExceeded:
		return fmt.Errorf("%s: no answer within %v: %w", what, req.timeout, context.DeadlineExceeded)
	case errors.As(err, &netErr) && netErr.Timeout():
		// The transport's own limits (connecting, waiting for the headers) ran out first.
		return fmt.Errorf("%s: no answer within %v: %w (%v)", what, req.timeout, context.DeadlineExceeded, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func apiError(req request, status int, body io.Reader) error {
	apiErr := &APIError{Method: req.method, Path: "/" + req.path, StatusCode: status}
	data, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	var flamencoErr struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &flamencoErr) == nil {
		apiErr.Message = CleanText(truncate(flamencoErr.Message, 200), 200)
	}
	return apiErr
}

// boundedReader reads at most left bytes and fails with ErrTooLarge past them.
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a larger one.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
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
