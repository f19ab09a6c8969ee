//go:build linux

package farmstandin_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
)

const actions = "last-rendered-and-actions"

// capturedHeaders reads a headers-*.txt capture: the headers of an answer whose body was not kept.
func capturedHeaders(t *testing.T, version, suffix string) http.Header {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(farmstandin.VersionCaptureDir(version), actions, "headers-"+suffix+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header
}

func capturedImage(t *testing.T, version, suffix string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(farmstandin.VersionCaptureDir(version), actions, suffix))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A frame's three files are the captured JPEGs, served with the captured headers (Last-Modified is
// the time of RenderFrame: the real Manager wrote the sizes up to a second apart).
func TestFrameImagesAreServedLikeEachCapturedVersion(t *testing.T) {
	for _, version := range captureVersions {
		t.Run(version, func(t *testing.T) {
			story := actionsCaptures[version]
			clock := &seqClock{}
			clock.Set(story.frame)
			farm := farmstandin.New("Capture Farm", farmstandin.WithVersion(version), farmstandin.WithClock(clock.Now))
			farm.SubmitJob(farmstandin.JobSpec{ID: story.jobID, Name: "shot-200 thumbs"})
			must(t, farm.RenderFrame(story.jobID))
			srv := farmstandin.Serve(t, farm)
			base := strings.TrimPrefix(frameBaseOf(t, srv, story.jobID), "/")
			for _, suffix := range farmstandin.FrameSuffixes {
				resp, body := send(t, "GET", srv.URL+base+"/"+suffix, "")
				want := capturedHeaders(t, version, suffix)
				if resp.StatusCode != 200 || !bytes.Equal(body, capturedImage(t, version, suffix)) {
					t.Errorf("%s: %d, %d bytes", suffix, resp.StatusCode, len(body))
				}
				for _, header := range []string{"Accept-Ranges", "Content-Length", "Content-Type", "Vary"} {
					if got := resp.Header.Get(header); got != want.Get(header) {
						t.Errorf("%s: %s %q, the real Manager sent %q", suffix, header, got, want.Get(header))
					}
				}
				if got := resp.Header.Get("Last-Modified"); got != story.frame.Format(http.TimeFormat) {
					t.Errorf("%s: Last-Modified %q, rendered at %v", suffix, got, story.frame)
				}
				captured, err := http.ParseTime(want.Get("Last-Modified"))
				if err != nil || story.frame.Sub(captured).Abs() > time.Second {
					t.Errorf("%s: captured Last-Modified %q (%v), far from %v", suffix, want.Get("Last-Modified"), err, story.frame)
				}
			}
		})
	}
}

// frameBaseOf asks the stand-in where a job's frame is.
func frameBaseOf(t *testing.T, srv *farmstandin.Server, jobID string) string {
	t.Helper()
	resp, body := send(t, "GET", srv.URL+"api/v3/jobs/"+jobID+"/last-rendered", "")
	want := `{"base":"/job-files/job-` + jobID[:4] + "/" + jobID + `","suffixes":["last-rendered.jpg","last-rendered-small.jpg","last-rendered-tiny.jpg"]}` + "\n"
	if resp.StatusCode != 200 || string(body) != want {
		t.Fatalf("last-rendered of %s: %d %s", jobID, resp.StatusCode, body)
	}
	return strings.TrimSuffix(strings.SplitN(string(body), `"`, 5)[3], "/")
}

// The farm's latest frame is that of the job that rendered last; 204 before any, and again once that
// job is deleted. A job without a frame, even one the Manager does not know, is 204; an id that is
// not a UUID 400; GET /api/v3/last-rendered is no route of the Manager's.
func TestLastRenderedFollowsTheFarm(t *testing.T) {
	farm := farmstandin.New("Frames Farm", farmstandin.WithVersion("3.8.5"))
	first := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice"})
	second := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-020", User: "bob"})
	srv := farmstandin.Serve(t, farm)
	latest := func() string {
		resp, body := send(t, "GET", srv.URL+"api/v3/jobs/last-rendered", "")
		if resp.StatusCode == 204 {
			return "none"
		}
		for _, id := range []string{first, second} {
			if strings.Contains(string(body), "/"+id+`"`) {
				return id
			}
		}
		return resp.Status + " " + string(body)
	}
	if got := latest(); got != "none" {
		t.Errorf("before any frame: %s", got)
	}
	must(t, farm.RenderFrame(first))
	must(t, farm.RenderFrame(second))
	must(t, farm.RenderFrame(first))
	if got := latest(); got != first {
		t.Errorf("latest %s, want %s", got, first)
	}
	frameBaseOf(t, srv, second)
	must(t, farm.DeleteJob(first))
	if got := latest(); got != "none" {
		t.Errorf("after deleting the job: %s", got)
	}
	for path, want := range map[string]string{
		"api/v3/jobs/" + first + "/last-rendered":               "204 ",
		"api/v3/jobs/" + farmstandin.NewID() + "/last-rendered": "204 ",
		"api/v3/jobs/shot-010/last-rendered":                    `400 {"code":400,"message":"job ID should be a UUID"}` + "\n",
		"api/v3/last-rendered":                                  `404 {"message":"Not Found"}` + "\n",
	} {
		if resp, body := send(t, "GET", srv.URL+path, ""); strings.Split(resp.Status, " ")[0]+" "+string(body) != want {
			t.Errorf("%s: %s %s, want %s", path, resp.Status, body, want)
		}
	}
	if err := farm.RenderFrame(farmstandin.NewID()); err == nil {
		t.Error("a frame for a job the farm does not have")
	}
}

// SetFrameImages serves what it is given as it is (the name's Content-Type), a nil one 404; the
// images are counted by job, each request logged as it arrives; a job without a frame has no files.
func TestFrameImagesCanMisbehave(t *testing.T) {
	farm := farmstandin.New("Frames Farm", farmstandin.WithVersion("3.8.5"))
	job := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice"})
	other := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-020", User: "alice"})
	png := []byte("\x89PNG\r\n\x1a\n not really")
	huge := bytes.Repeat([]byte{0xff}, 20<<20)
	farm.SetFrameImages(job, huge, png, nil)
	srv := farmstandin.Serve(t, farm)
	image := func(jobID, suffix string) (int, string, []byte) {
		resp, body := send(t, "GET", srv.URL+"job-files/job-"+jobID[:4]+"/"+jobID+"/"+suffix, "")
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}
	if code, _, _ := image(job, "last-rendered-small.jpg"); code != 404 {
		t.Errorf("before RenderFrame: %d", code)
	}
	must(t, farm.RenderFrame(job))
	must(t, farm.RenderFrame(other))
	if code, ctype, body := image(job, "last-rendered-small.jpg"); code != 200 || ctype != "image/jpeg" || !bytes.Equal(body, png) {
		t.Errorf("small: %d %s %q", code, ctype, body)
	}
	if code, _, body := image(job, "last-rendered.jpg"); code != 200 || len(body) != len(huge) {
		t.Errorf("full: %d, %d bytes", code, len(body))
	}
	if code, ctype, body := image(job, "last-rendered-tiny.jpg"); code != 404 || ctype != "application/json; charset=UTF-8" {
		t.Errorf("tiny: %d %s %s", code, ctype, body)
	}
	if code, _, body := image(other, "last-rendered-tiny.jpg"); code != 200 || !bytes.HasPrefix(body, []byte("\xff\xd8\xff")) {
		t.Errorf("another job's tiny: %d %q", code, body[:min(8, len(body))])
	}
	if code, _, _ := image(other, "elsewhere.jpg"); code != 404 {
		t.Errorf("a file the frame does not have: %d", code)
	}
	stats := farm.Stats()
	if stats.Images[job] != 4 || stats.Images[other] != 2 || stats.AllByRoute["GET /job-files/{dir}/{job}/{file}"] != 6 || stats.Requests != 0 {
		t.Errorf("images %v, routes %v, farm API %d", stats.Images, stats.AllByRoute, stats.Requests)
	}
	var asked []string
	for _, e := range farm.Events() {
		if e.Kind == "image" && e.JobID == job {
			asked = append(asked, e.Detail)
		}
	}
	if want := []string{"last-rendered-small.jpg", "last-rendered-small.jpg", "last-rendered.jpg", "last-rendered-tiny.jpg"}; !slices.Equal(asked, want) {
		t.Errorf("image events %q, want %q", asked, want)
	}
}

// A stalled image sends its headers and half its body, then nothing until released (the rest
// follows) or until the client goes away (the request ends on the stand-in's side too).
func TestStalledImagesWaitForReleaseOrTheClient(t *testing.T) {
	farm := farmstandin.New("Frames Farm", farmstandin.WithVersion("3.8.5"))
	job := farm.SubmitJob(farmstandin.JobSpec{Name: "shot-010", User: "alice"})
	must(t, farm.RenderFrame(job))
	srv := farmstandin.Serve(t, farm)
	url := srv.URL + "job-files/job-" + job[:4] + "/" + job + "/last-rendered-small.jpg"
	want := capturedImage(t, "3.8.5", "last-rendered-small.jpg")
	release := farm.StallImages()

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	half := make([]byte, len(want)/2)
	if _, err := io.ReadFull(resp.Body, half); err != nil || !bytes.Equal(half, want[:len(half)]) {
		t.Fatalf("first half: %v", err)
	}
	rest := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(resp.Body)
		rest <- data
	}()
	select {
	case data := <-rest:
		t.Fatalf("the rest (%d bytes) came before the release", len(data))
	case <-time.After(100 * time.Millisecond):
	}
	release()
	release()
	if data := <-rest; !bytes.Equal(append(half, data...), want) {
		t.Errorf("after the release: %d bytes", len(half)+len(data))
	}

	// A new stall, asked for twice; the client gives up.
	release = farm.StallImages()
	defer farm.StallImages()()
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	stalled, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(stalled.Body, half)
	if servingImages() == 0 {
		t.Error("no request stalled")
	}
	cancel()
	stalled.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for servingImages() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stalled request did not end when its client went away")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// servingImages counts the stand-in's goroutines serving an image now.
func servingImages() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "farmstandin.(*Farm).serveFrameImage(")
}

// /last-rendered reaches allLastRendered subscribers only, among the farm's other events in the
// order they happened; unsubscribing ends it.
func TestLastRenderedEventReachesOnlyItsSubscribers(t *testing.T) {
	farm := farmstandin.New("Frames Farm", farmstandin.WithVersion("3.8.5"))
	job := farm.SubmitJob(farmstandin.JobSpec{ID: "73cffb9d-c63f-4138-b174-2cb5b4b3ffd5", Name: "shot-200 thumbs"})
	srv := farmstandin.Serve(t, farm)
	frames, jobs, both, none := dialBus(t, srv), dialBus(t, srv), dialBus(t, srv), dialBus(t, srv)
	for _, c := range []*busClient{frames, jobs, both, none} {
		c.handshake()
	}
	frames.subscribe("subscribe", "allLastRendered")
	jobs.subscribe("subscribe", "allJobs", "allWorkers")
	both.subscribe("subscribe", "allJobs", "allLastRendered")
	got := framesOf(farm, func() {
		must(t, farm.SetJobStatus(job, "active", "task became active"))
		must(t, farm.RenderFrame(job))
		must(t, farm.SetJobStatus(job, "completed", "all tasks completed"))
	}, frames, jobs, both, none)
	event := `42["/last-rendered",{"job_id":"73cffb9d-c63f-4138-b174-2cb5b4b3ffd5","thumbnail":{"base":"/job-files/job-73cf/73cffb9d-c63f-4138-b174-2cb5b4b3ffd5","suffixes":["last-rendered.jpg","last-rendered-small.jpg","last-rendered-tiny.jpg"]}}]`
	if !slices.Equal(got[0], []string{event}) {
		t.Errorf("allLastRendered got %q", got[0])
	}
	if slices.Contains(got[1], event) || len(got[1]) != 2 {
		t.Errorf("allJobs got %q", got[1])
	}
	if len(got[2]) != 3 || got[2][1] != event || !strings.Contains(got[2][0], `"status":"active"`) || !strings.Contains(got[2][2], `"status":"completed"`) {
		t.Errorf("both got %q", got[2])
	}
	if len(got[3]) != 0 {
		t.Errorf("no subscription got %q", got[3])
	}
	frames.subscribe("unsubscribe", "allLastRendered")
	if got := framesOf(farm, func() { must(t, farm.RenderFrame(job)) }, frames, both); len(got[0]) != 0 || !slices.Equal(got[1], []string{event}) {
		t.Errorf("after unsubscribing: %q; the other: %q", got[0], got[1])
	}
	if n := farm.EventBusStats().FramesByEvent["/last-rendered"]; n != 3 {
		t.Errorf("%d /last-rendered frames sent", n)
	}
}
