package managerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const frameJobID = "73cffb9d-c63f-4138-b174-2cb5b4b3ffd5"

// capturedLastRendered is 3.8.5's answer to GET /api/v3/jobs/{id}/last-rendered once a frame exists.
const capturedLastRendered = `{"base":"/job-files/job-73cf/73cffb9d-c63f-4138-b174-2cb5b4b3ffd5","suffixes":["last-rendered.jpg","last-rendered-small.jpg","last-rendered-tiny.jpg"]}`

func testJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 20, 10)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// frameManager answers the last-rendered routes under prefix; image is the small frame's body.
func frameManager(t *testing.T, prefix string, hasFrame bool, image func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *[]string) {
	t.Helper()
	var paths []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/api/v3/jobs/{id}/last-rendered", func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if !hasFrame {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		io.WriteString(w, capturedLastRendered)
	})
	mux.HandleFunc("GET "+prefix+"/job-files/", func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		image(w, r)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, &paths
}

func TestClientFetchesAJobsLastRenderedFrame(t *testing.T) {
	picture := testJPEG(t)
	for _, prefix := range []string{"", "/flamenco"} { // a Manager at the root, and behind a proxy's prefix
		s, paths := frameManager(t, prefix, true, func(w http.ResponseWriter, r *http.Request) { w.Write(picture) })
		c := NewClient(s.URL + prefix + "/")
		lr, err := c.LastRendered(context.Background(), frameJobID)
		if err != nil {
			t.Fatal(err)
		}
		if !lr.Has(FrameSmall) || !lr.Has(FrameTiny) || !lr.Has(FrameFull) {
			t.Fatalf("prefix %q: %+v lacks a size", prefix, lr)
		}
		data, err := c.Frame(context.Background(), lr, FrameSmall)
		if err != nil || !bytes.Equal(data, picture) {
			t.Fatalf("prefix %q: Frame = %d bytes, %v; want the served JPEG", prefix, len(data), err)
		}
		wantPath := prefix + "/job-files/job-73cf/" + frameJobID + "/last-rendered-small.jpg"
		if got := (*paths)[1]; got != wantPath {
			t.Errorf("the frame was asked at %s, want %s", got, wantPath)
		}
		full, err := FrameURL(c.BaseURL(), lr, FrameFull)
		if want := s.URL + prefix + "/job-files/job-73cf/" + frameJobID + "/last-rendered.jpg"; err != nil || full != want {
			t.Errorf("FrameURL = %q, %v; want %q", full, err, want)
		}
	}
}

func TestClientSaysAJobHasNoFrameYet(t *testing.T) {
	s, _ := frameManager(t, "", false, nil)
	lr, err := NewClient(s.URL).LastRendered(context.Background(), frameJobID)
	if err != nil || lr.Base != "" || lr.Has(FrameSmall) {
		t.Fatalf("a 204 gave %+v, %v; want no frame and no error", lr, err)
	}
	if _, err := NewClient(s.URL).Frame(context.Background(), lr, FrameSmall); err == nil {
		t.Fatal("fetching a frame the job does not have succeeded")
	}
}

func TestClientRefusesFramesThatAreNotImages(t *testing.T) {
	var lr LastRendered
	if err := json.Unmarshal([]byte(capturedLastRendered), &lr); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		serve func(w http.ResponseWriter, r *http.Request)
		want  error
	}{
		"html":      {func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>login</html>") }, errNotAnImage},
		"too large": {func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, maxImageBytes+1)) }, ErrTooLarge},
		"404":       {func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, ErrNotFound},
	}
	for name, c := range cases {
		s, _ := frameManager(t, "", true, c.serve)
		_, err := NewClient(s.URL).Frame(context.Background(), lr, FrameTiny)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
	if _, err := FrameURL("http://farm:8080/", lr, "../../etc/passwd"); err == nil {
		t.Error("FrameURL took a suffix the Manager did not list")
	}
}

// A Manager's base of a frame stays a path under the address the Manager was reached at: the
// browser is sent there.
func TestFrameURLStaysOnTheManagerUnderItsPrefix(t *testing.T) {
	hostile := []string{"//evil.example/x", "/../../x", "/job-files/%2e%2e/%2E%2E/x", "/job-files/./x", "http://evil/",
		"job-files/x", "/job-files/x?y", `/job-files\..\x`, "/" + strings.Repeat("a", maxFrameBase), "/%zz"}
	for _, base := range hostile {
		lr := LastRendered{Base: base, Suffixes: []string{FrameFull}}
		if u, err := FrameURL("http://farm:8080/flamenco/", lr, FrameFull); err == nil {
			t.Errorf("base %q gave %s", base, u)
		}
		payload := `{"job_id":"` + frameJobID + `","thumbnail":{"base":` + strconvQuote(base) + `,"suffixes":["last-rendered.jpg"]}}`
		if _, err := decodeEvent("/last-rendered", json.RawMessage(payload)); !errors.Is(err, ErrBadFrame) {
			t.Errorf("a /last-rendered event with base %q: %v, want ErrBadFrame", base, err)
		}
	}
	lr := LastRendered{Base: "/job-files/job-73cf/" + frameJobID, Suffixes: []string{FrameFull}}
	if u, err := FrameURL("http://farm:8080/flamenco/", lr, FrameFull); err != nil ||
		u != "http://farm:8080/flamenco/job-files/job-73cf/"+frameJobID+"/last-rendered.jpg" {
		t.Errorf("the Manager's own base gave %q, %v", u, err)
	}
}

func strconvQuote(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}

func TestClientFrameEndsWithItsContext(t *testing.T) {
	release := make(chan struct{})
	s, _ := frameManager(t, "", true, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	var lr LastRendered
	json.Unmarshal([]byte(capturedLastRendered), &lr)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := NewClient(s.URL).Frame(ctx, lr, FrameSmall); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a stalled frame was fetched")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Frame did not end with its context")
	}
}

func TestClientSetJobStatusSendsTheChangeAndReportsTheManagersWords(t *testing.T) {
	// 3.3.1's answer to pause-requested, as captured.
	const refusal = `{"message":"request body has an error: doesn't match the schema: Error at \"/status\": value is not one of the allowed values"}`
	var got []map[string]string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		got = append(got, body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v3/jobs/"+frameJobID+"/setstatus" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if body["status"] == "pause-requested" {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, refusal)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer s.Close()
	c := NewClient(s.URL)
	if err := c.SetJobStatus(context.Background(), frameJobID, JobRequeueing, "requeued from Flamenco Tray"); err != nil {
		t.Fatal(err)
	}
	err := c.SetJobStatus(context.Background(), frameJobID, JobPauseRequested, "paused from Flamenco Tray")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "value is not one of the allowed values") {
		t.Fatalf("a refusal gave %v; want the Manager's message", err)
	}
	want := []map[string]string{{"status": "requeueing", "reason": "requeued from Flamenco Tray"},
		{"status": "pause-requested", "reason": "paused from Flamenco Tray"}}
	if len(got) != 2 || got[0]["status"] != want[0]["status"] || got[0]["reason"] != want[0]["reason"] ||
		got[1]["status"] != want[1]["status"] {
		t.Errorf("sent %v, want %v", got, want)
	}
}

func TestEventBusDecodesTheCapturedLastRenderedEvents(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"3.3.1", "3.8.5"} {
		t.Run(version, func(t *testing.T) {
			lines := readTranscript(t, version+"-frames")
			fm := newFakeManager(t, replayTranscript(lines))
			bus := dialTestBus(t, fm, EventBusConfig{Subscriptions: []string{"allJobs", "allLastRendered"}})
			ctx := testContext(t, 10*time.Second)
			for {
				e, err := bus.Next(ctx)
				if err != nil {
					t.Fatalf("no /last-rendered event: %v", err)
				}
				if e.Frame == nil {
					continue
				}
				if e.Job != nil || e.Farm != nil || !IsUUID(e.Frame.JobID) || !strings.HasPrefix(e.Frame.Thumbnail.Base, "/job-files/") ||
					!e.Frame.Thumbnail.Has(FrameTiny) || !strings.HasSuffix(e.Frame.Thumbnail.Base, e.Frame.JobID) {
					t.Fatalf("decoded %+v", *e.Frame)
				}
				return
			}
		})
	}
}

func TestLastRenderedEventsWithoutAJobOrBaseAreBadFrames(t *testing.T) {
	for _, payload := range []string{`{"job_id":"x","thumbnail":{"base":"/a","suffixes":[]}}`,
		`{"job_id":"` + frameJobID + `","thumbnail":{"base":"http://elsewhere/","suffixes":["last-rendered.jpg"]}}`,
		`{"job_id":"` + frameJobID + `"}`, `[]`} {
		if _, err := decodeEvent("/last-rendered", json.RawMessage(payload)); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: err = %v, want ErrBadFrame", payload, err)
		}
	}
}
