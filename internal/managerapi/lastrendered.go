package managerapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The sizes of a job's last rendered frame the Manager makes from each image a Worker uploads.
const (
	FrameFull  = "last-rendered.jpg"       // as rendered (1920×1080 in the captures)
	FrameSmall = "last-rendered-small.jpg" // 600×337
	FrameTiny  = "last-rendered-tiny.jpg"  // 199×112
)

// maxImageBytes bounds a frame's answer: a JPEG of the small size is some 13 KB, the tiny one 3 KB.
const maxImageBytes = 4 << 20

// errNotAnImage: the answer is not a JPEG or a PNG.
var errNotAnImage = errors.New("not a JPEG or PNG image")

// maxFrameBase bounds where a Manager says a frame is: its own are some 60 bytes
// ("/job-files/job-73cf/<job id>").
const maxFrameBase = 256

// LastRendered says where a job's last rendered frame is: its sizes at Base + "/" + suffix, a path on
// the Manager. The zero value: the job has none yet.
type LastRendered struct {
	Base     string   `json:"base"`
	Suffixes []string `json:"suffixes"`
}

// Has says whether the frame is there in that size.
func (lr LastRendered) Has(suffix string) bool {
	return lr.Base != "" && slices.Contains(lr.Suffixes, suffix)
}

// LastRendered asks where a job's last rendered frame is: GET /api/v3/jobs/{id}/last-rendered. A job
// that has none answers 204: the zero LastRendered and no error.
func (c *Client) LastRendered(ctx context.Context, jobID string) (LastRendered, error) {
	var lr LastRendered
	path := "api/v3/jobs/" + url.PathEscape(jobID) + "/last-rendered"
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &lr); err != nil {
		return LastRendered{}, err
	}
	if lr.Base == "" { // 204
		return LastRendered{}, nil
	}
	if !validFrameBase(lr.Base) {
		return LastRendered{}, fmt.Errorf("GET /%s: %w: base %q", path, ErrMalformed, CleanText(lr.Base, 60))
	}
	return lr, nil
}

// FrameURL is the address of a frame's size on the Manager at base, whose path prefix (a Manager
// behind a proxy's prefix) is kept: the Manager answers paths from its root.
func FrameURL(base string, lr LastRendered, suffix string) (string, error) {
	path, err := framePath(lr, suffix)
	if err != nil {
		return "", err
	}
	u, err := clientBase(base)
	if err != nil {
		return "", err
	}
	return u.JoinPath(path).String(), nil
}

func framePath(lr LastRendered, suffix string) (string, error) {
	if !lr.Has(suffix) { // suffix is one of this package's sizes: never a path of the Manager's
		return "", fmt.Errorf("no %s among the job's frames", suffix)
	}
	if !validFrameBase(lr.Base) {
		return "", fmt.Errorf("%w: frame base %q", ErrMalformed, CleanText(lr.Base, 60))
	}
	return strings.TrimPrefix(lr.Base, "/") + "/" + suffix, nil
}

// validFrameBase says whether a Manager's base of a frame is a path on the Manager that stays
// under the address it was reached at: absolute, short, and without a ".." that would climb out
// of a proxy's prefix (the browser is sent there by "Show the last frame").
func validFrameBase(base string) bool {
	unescaped, err := url.PathUnescape(base)
	if err != nil || !strings.HasPrefix(base, "/") || len(base) > maxFrameBase {
		return false
	}
	for _, segment := range strings.Split(unescaped, "/")[1:] {
		if segment == "" || segment == ".." || segment == "." || strings.ContainsAny(segment, "\\?#") {
			return false
		}
	}
	return true
}

// Frame fetches one size of a job's last rendered frame: JPEG or PNG bytes, at most 4 MiB.
// An answer of another kind is an error matching errNotAnImage.
func (c *Client) Frame(ctx context.Context, lr LastRendered, suffix string) ([]byte, error) {
	path, err := framePath(lr, suffix)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = c.do(ctx, request{method: http.MethodGet, path: path, maxBody: maxImageBytes}, func(r io.Reader) error {
		var err error
		data, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !isImage(data) {
		return nil, fmt.Errorf("GET /%s: %w", path, errNotAnImage)
	}
	return data, nil
}

// isImage says whether data starts like a JPEG or a PNG.
func isImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) || bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n"))
}

// SetJobStatus asks the Manager to change a job's status, saying why (shown in the job's activity):
// POST /api/v3/jobs/{id}/setstatus, answered 204. A refusal is an *APIError with the Manager's
// message: 3.3–3.5 refuse pause-requested, every version a change its rules do not allow.
func (c *Client) SetJobStatus(ctx context.Context, jobID string, status JobStatus, reason string) error {
	body := struct {
		Status JobStatus `json:"status"`
		Reason string    `json:"reason"`
	}{status, reason}
	return c.doJSON(ctx, http.MethodPost, "api/v3/jobs/"+url.PathEscape(jobID)+"/setstatus", body, nil)
}
