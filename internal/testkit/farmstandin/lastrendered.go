package farmstandin

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The last-rendered frames, as Flamenco 3.3.1 and 3.8.5 serve them (testdata/flamenco-api/*/
// last-rendered-and-actions): where a job's frame is (GET /api/v3/jobs/{id}/last-rendered, 204 until it
// has one), the farm's latest (GET /api/v3/jobs/last-rendered), the three sizes as files under
// /job-files/, and the /last-rendered event to allLastRendered subscribers. The real Manager makes a
// frame when a Worker uploads one (POST /api/v3/worker/task/{id}/output-produced); here a test says so
// with RenderFrame.

// The captured sizes of one uploaded 1920×1080 frame: 1920×1080, 600×337 and 199×112.
var (
	//go:embed testdata/flamenco-api/3.8.5/last-rendered-and-actions/last-rendered.jpg
	capturedFrameFull []byte
	//go:embed testdata/flamenco-api/3.8.5/last-rendered-and-actions/last-rendered-small.jpg
	capturedFrameSmall []byte
	//go:embed testdata/flamenco-api/3.8.5/last-rendered-and-actions/last-rendered-tiny.jpg
	capturedFrameTiny []byte
)

// FrameSuffixes are the names of a frame's three sizes, largest first, as the Manager lists them.
var FrameSuffixes = []string{"last-rendered.jpg", "last-rendered-small.jpg", "last-rendered-tiny.jpg"}

// imagesRoute serves a frame's files; the Manager serves its job files under /job-files/.
const imagesRoute = "GET /job-files/{dir}/{job}/{file}"

// lastFrame is a job's last-rendered frame: its files by suffix (one missing is answered 404) and
// when it was rendered (zero: not yet, the job has no frame).
type lastFrame struct {
	files    map[string][]byte
	rendered time.Time
}

func capturedFrame() *lastFrame {
	return &lastFrame{files: map[string][]byte{FrameSuffixes[0]: capturedFrameFull,
		FrameSuffixes[1]: capturedFrameSmall, FrameSuffixes[2]: capturedFrameTiny}}
}

type wireLastRendered struct {
	Base     string   `json:"base"`
	Suffixes []string `json:"suffixes"`
}

type wireLastRenderedUpdate struct {
	JobID     string           `json:"job_id"`
	Thumbnail wireLastRendered `json:"thumbnail"`
}

// frameBase is where a job's frame is served: the Manager keeps a job's files in job-<first 4
// characters of its id>/<id> (job-last-rendered.txt).
func frameBase(jobID string) string {
	return fmt.Sprintf("/job-files/job-%s/%s", jobID[:min(4, len(jobID))], jobID)
}

func lastRenderedOf(jobID string) wireLastRendered {
	return wireLastRendered{Base: frameBase(jobID), Suffixes: FrameSuffixes}
}

// RenderFrame is a job's Worker uploading a frame: the job's last-rendered frame is now its images
// (the captured JPEGs unless SetFrameImages said otherwise), stamped now (Last-Modified), the farm's
// latest frame is the job's, and allLastRendered subscribers, and only they, are told.
func (f *Farm) RenderFrame(jobID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byID[jobID] == nil {
		return fmt.Errorf("no job %s", jobID)
	}
	fr := f.frameOf(jobID)
	fr.rendered = f.now().UTC()
	f.lastRenderedJob = jobID
	f.hub.broadcast("allLastRendered", "/last-rendered", wireLastRenderedUpdate{JobID: jobID, Thumbnail: lastRenderedOf(jobID)})
	return nil
}

// SetFrameImages makes a job's frame these files instead of the captured JPEGs, now and at every
// RenderFrame: full is last-rendered.jpg, small -small.jpg, tiny -tiny.jpg. They are served as they
// are, with the Content-Type of their name (a PNG, garbage or 50 MB are served as image/jpeg, as the
// Manager's file server would); a nil one is answered 404 (its file gone). The job has a frame only
// once RenderFrame says so.
func (f *Farm) SetFrameImages(jobID string, full, small, tiny []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fr := f.frameOf(jobID)
	fr.files = map[string][]byte{}
	for i, data := range [][]byte{full, small, tiny} {
		if data != nil {
			fr.files[FrameSuffixes[i]] = data
		}
	}
}

// frameOf returns a job's frame, made with the captured files when it has none. f.mu held.
func (f *Farm) frameOf(jobID string) *lastFrame {
	if f.frames == nil {
		f.frames = make(map[string]*lastFrame)
	}
	fr := f.frames[jobID]
	if fr == nil {
		fr = capturedFrame()
		f.frames[jobID] = fr
	}
	return fr
}

// forgetFrame drops a deleted job's frame, as the Manager deletes the job's files. f.mu held.
func (f *Farm) forgetFrame(jobID string) {
	delete(f.frames, jobID)
	if f.lastRenderedJob == jobID {
		f.lastRenderedJob = ""
	}
}

// StallImages makes every image request from now on send its headers and the first half of its body,
// then wait until release is called (the rest follows) or the client goes away: a Manager whose disk
// or proxy stalls. The half body catches a client that bounds the wait for headers but not for the
// body. Until released, StallImages returns the same stall; release may be called more than once.
func (f *Farm) StallImages() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.imageStall == nil {
		f.imageStall = &imageStall{released: make(chan struct{})}
	}
	stall := f.imageStall
	return func() {
		stall.once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			close(stall.released)
			if f.imageStall == stall {
				f.imageStall = nil
			}
		})
	}
}

// imageStall holds image requests until released is closed.
type imageStall struct {
	released chan struct{}
	once     sync.Once
}

// serveJobLastRendered is GET /api/v3/jobs/{id}/last-rendered. The Manager does not look the job up:
// it answers 204 for any job without a frame, one it does not know included (its source's
// FetchJobLastRenderedInfo; not captured).
func (f *Farm) serveJobLastRendered(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validUUID(id) {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 400, Message: "job ID should be a UUID"})
		return
	}
	f.mu.Lock()
	fr := f.frames[id]
	has := fr != nil && !fr.rendered.IsZero()
	f.mu.Unlock()
	if !has {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, lastRenderedOf(id))
}

// serveLastRendered is GET /api/v3/jobs/last-rendered: where the farm's latest frame is, of any job;
// 204 before any. (GET /api/v3/last-rendered is no route of the Manager's: 404.)
func (f *Farm) serveLastRendered(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	id := f.lastRenderedJob
	f.mu.Unlock()
	if id == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, lastRenderedOf(id))
}

// serveFrameImage is GET /job-files/job-XXXX/{job}/{suffix}: the file with the headers of the
// Manager's file server (headers-*.txt), conditional and range requests answered by ServeContent.
// Anything else under /job-files/ is the Manager's 404 (not captured). Each request is counted by job
// (Stats.Images) and logged (an "image" event) as it arrives, before any stall.
func (f *Farm) serveFrameImage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Origin")
	jobID, suffix := r.PathValue("job"), r.PathValue("file")
	f.mu.Lock()
	if f.stats.Images == nil {
		f.stats.Images = make(map[string]int)
	}
	f.stats.Images[jobID]++
	f.recordJob("image", jobID, suffix)
	var data []byte
	var rendered time.Time
	fr := f.frames[jobID]
	if fr != nil && !fr.rendered.IsZero() && "/job-files/"+r.PathValue("dir")+"/"+jobID == frameBase(jobID) {
		data, rendered = fr.files[suffix], fr.rendered
	}
	stall := f.imageStall
	f.mu.Unlock()
	if data == nil {
		serveNotFound(w, r)
		return
	}
	var out http.ResponseWriter = w
	if stall != nil {
		out = &stallingWriter{ResponseWriter: w, after: len(data) / 2, stall: stall.released, ctx: r.Context()}
	}
	http.ServeContent(out, r, suffix, rendered, bytes.NewReader(data))
}

// stallingWriter writes up to after body bytes, flushes them, and waits for stall to be closed or
// ctx to end before writing more (the write then fails: the client is gone).
type stallingWriter struct {
	http.ResponseWriter
	after   int
	written int
	stall   <-chan struct{}
	ctx     context.Context
	waited  bool
}

func (w *stallingWriter) Write(b []byte) (int, error) {
	if w.waited || w.written+len(b) <= w.after {
		n, err := w.ResponseWriter.Write(b)
		w.written += n
		return n, err
	}
	head := w.after - w.written
	n, err := w.ResponseWriter.Write(b[:head])
	w.written += n
	if err != nil {
		return n, err
	}
	http.NewResponseController(w.ResponseWriter).Flush()
	w.waited = true
	select {
	case <-w.stall:
	case <-w.ctx.Done():
		return n, w.ctx.Err()
	}
	rest, err := w.ResponseWriter.Write(b[head:])
	return n + rest, err
}
