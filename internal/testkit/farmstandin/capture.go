package farmstandin

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
)

// Capture is one answer of a real Flamenco Manager, as recorded in internal/farm/testdata/flamenco-api
// (3.3.1) or testdata/flamenco-api/<version> (raw HTTP: status line, headers, body).
type Capture struct {
	Name       string
	StatusCode int
	Header     http.Header
	Body       []byte
}

// CaptureDir is where internal/farm's captured answers (Flamenco 3.3.1) are kept in this repository.
func CaptureDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "farm", "testdata", "flamenco-api")
}

// VersionCaptureDir is where the captures of one Flamenco version ("3.3.1", "3.8.5") are kept: its
// answers, socketio.txt (its event bus as a client saw it) and worker-log.txt.
func VersionCaptureDir(version string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "flamenco-api", version)
}

// LoadCapture reads the captured answer name ("job-active") from CaptureDir.
func LoadCapture(name string) (Capture, error) {
	return loadCapture(CaptureDir(), name)
}

// LoadVersionCapture reads the captured answer name ("jobs-all") of a Flamenco version ("3.8.5").
func LoadVersionCapture(version, name string) (Capture, error) {
	return loadCapture(VersionCaptureDir(version), name)
}

func loadCapture(dir, name string) (Capture, error) {
	raw, err := os.ReadFile(filepath.Join(dir, name+".txt"))
	if err != nil {
		return Capture{}, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return Capture{}, fmt.Errorf("capture %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Capture{}, fmt.Errorf("capture %s: %w", name, err)
	}
	return Capture{Name: name, StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Replay answers every request with the capture, as the Manager did: same status, Content-Type and
// body.
func (c Capture) Replay() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := c.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Vary", "Origin")
		w.WriteHeader(c.StatusCode)
		w.Write(c.Body)
	})
}
