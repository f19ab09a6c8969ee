//go:build linux

// Package standin runs a stand-in Flamenco Manager for tests: an HTTP server answering like a real
// Manager (testdata captured from Flamenco 3.3.1) and, unless told otherwise, gossdp's Server
// advertising every address as a real Manager does, loopback included. It runs as a child process
// inside a harness network namespace so that tests can kill it without a byebye, as a Manager dies.
package standin

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/farmstandin"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/netns"
)

const (
	envName      = "FLAMENCO_TRAY_STANDIN_NAME"
	envPort      = "FLAMENCO_TRAY_STANDIN_PORT"
	envAdvertise = "FLAMENCO_TRAY_STANDIN_ADVERTISE"
	envBehaviour = "FLAMENCO_TRAY_STANDIN_BEHAVIOUR"
	envFarm      = "FLAMENCO_TRAY_STANDIN_FARM"
	readyLine    = "STANDIN-READY"
)

// Hostile behaviours of the version endpoint, for tests of what discovery must survive.
const (
	Hang     = "hang"     // never answers
	Trickle  = "trickle"  // sends a valid answer one byte a second
	Huge     = "huge"     // answers 10 MB
	Redirect = "redirect" // redirects to itself forever
	Shape    = "shape"    // JSON of the wrong shape
)

// HostileHandler answers /api/v3/version with one of the hostile behaviours.
func HostileHandler(behaviour string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch behaviour {
		case Hang:
			<-r.Context().Done()
		case Trickle:
			body := `{"name":"Trickle","version":"3.3.1"}`
			for i := range len(body) {
				if _, err := w.Write([]byte{body[i]}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		case Huge:
			chunk := []byte(strings.Repeat(`{"name":"Huge","version":"3.3.1"}`, 1000))
			for written := 0; written < 10<<20; written += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case Redirect:
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		case Shape:
			w.Write([]byte(`{"name":{"first":"Shape"},"version":["3","3"]}`))
		default:
			http.NotFound(w, r)
		}
	})
}

// Handler answers like a Flamenco Manager named name.
func Handler(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		json.NewEncoder(w).Encode(map[string]string{"git": "17b664f15", "name": name, "shortversion": "3.3.1", "version": "3.3.1"})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<html><title>Flamenco %s</title></html>", name)
	})
	return mux
}

// MaybeRun runs the stand-in and exits when this process was started as one (see Start); otherwise it
// returns at once. Call it first thing in TestMain.
func MaybeRun() {
	name := os.Getenv(envName)
	if name == "" {
		return
	}
	if err := netns.CheckIsolated(); err != nil {
		fmt.Fprintln(os.Stderr, "stand-in Manager refused:", err)
		os.Exit(3)
	}
	port, _ := strconv.Atoi(os.Getenv(envPort))
	if err := serve(name, port, os.Getenv(envAdvertise) != "0"); err != nil {
		fmt.Fprintln(os.Stderr, "stand-in Manager:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serve(name string, port int, advertise bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	logger := zerolog.New(os.Stderr).With().Str("standin", name).Logger()
	listener, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return err
	}
	handler := Handler(name)
	if spec := os.Getenv(envFarm); spec != "" {
		var scale farmstandin.Scale
		if err := json.Unmarshal([]byte(spec), &scale); err != nil {
			return fmt.Errorf("farm spec %q: %w", spec, err)
		}
		farm := farmstandin.New(name)
		farm.Generate(scale)
		handler = farm.Handler()
	}
	if behaviour := os.Getenv(envBehaviour); behaviour != "" {
		handler = HostileHandler(behaviour)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(listener)
	defer srv.Close()

	done := make(chan struct{})
	if advertise {
		server, err := discovery.NewServer(logger)
		if err != nil {
			return err
		}
		// Like a real Manager: every address, loopback included.
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return err
		}
		var urls []url.URL
		for _, a := range addrs {
			ipnet, ok := a.(*net.IPNet)
			if !ok || ipnet.IP.IsLinkLocalUnicast() {
				continue
			}
			urls = append(urls, url.URL{Scheme: "http", Host: net.JoinHostPort(ipnet.IP.String(), strconv.Itoa(port))})
		}
		// LAN addresses first, as a real Manager orders them (see the captures in discovery/testdata).
		slices.SortStableFunc(urls, func(a, b url.URL) int {
			return cmp.Compare(boolRank(isLoopbackHost(a)), boolRank(isLoopbackHost(b)))
		})
		server.AddAdvertisementURLs(urls)
		go func() { defer close(done); server.Run(ctx) }()
	} else {
		close(done)
	}
	fmt.Println(readyLine)
	<-ctx.Done()
	<-done
	return nil
}

func isLoopbackHost(u url.URL) bool {
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Process is a running stand-in Manager.
type Process struct {
	cmd  *exec.Cmd
	Name string
	Port int
	done chan struct{}
	err  error
}

// Option changes how a stand-in runs.
type Option func(*options)

type options struct {
	port      int
	advertise bool
	behaviour string
	farm      *farmstandin.Scale
}

// Hostile makes its version endpoint behave as behaviour (Hang, Trickle, …) instead of a Manager's.
func Hostile(behaviour string) Option { return func(o *options) { o.behaviour = behaviour } }

// WithFarm makes it serve a farm API too (farmstandin), with Workers and jobs generated to scale.
func WithFarm(scale farmstandin.Scale) Option { return func(o *options) { o.farm = &scale } }

// WithPort makes it listen on port instead of 8080.
func WithPort(port int) Option { return func(o *options) { o.port = port } }

// WithoutSSDP makes it a Manager with its own discovery off (HTTP only).
func WithoutSSDP() Option { return func(o *options) { o.advertise = false } }

// Start runs a stand-in Manager named name inside h's namespace, as a child of this test binary
// (whose TestMain must call MaybeRun), and waits until it serves. It is killed at cleanup.
func Start(tb testing.TB, h *netns.Host, name string, opts ...Option) *Process {
	tb.Helper()
	o := options{port: 8080, advertise: true}
	for _, opt := range opts {
		opt(&o)
	}
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := h.Command(context.Background(), exe, "-test.run=^$")
	advertise := "1"
	if !o.advertise {
		advertise = "0"
	}
	cmd.Env = append(os.Environ(), envName+"="+name, envPort+"="+strconv.Itoa(o.port), envAdvertise+"="+advertise,
		envBehaviour+"="+o.behaviour)
	if o.farm != nil {
		spec, _ := json.Marshal(o.farm)
		cmd.Env = append(cmd.Env, envFarm+"="+string(spec))
	}
	cmd.Stderr = &prefixWriter{tb: tb, prefix: "standin " + name + ": "}
	// Dies with the test binary even if that is killed before its cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start stand-in Manager: %v", err)
	}
	p := &Process{cmd: cmd, Name: name, Port: o.port, done: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		ok := false
		for scanner.Scan() {
			if strings.TrimSpace(scanner.Text()) == readyLine && !ok {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case ok := <-ready:
		if !ok {
			tb.Fatalf("stand-in Manager %q exited before it was ready", name)
		}
	case <-time.After(15 * time.Second):
		p.Kill()
		tb.Fatalf("stand-in Manager %q did not get ready", name)
	}
	tb.Cleanup(p.Kill)
	return p
}

// Kill kills it with SIGKILL: no byebye, as when a Manager crashes or its machine goes away.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Stop stops it with SIGTERM (its Server sends byebye) and waits.
func (p *Process) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	return p.err
}

type prefixWriter struct {
	tb     testing.TB
	prefix string
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.tb.Log(w.prefix + line)
	}
	return len(b), nil
}

// ServeHTTP serves a stand-in Manager's HTTP API (no SSDP) in this process's namespace on every
// address, until the test ends, and returns its URL on localhost.
func ServeHTTP(tb testing.TB, name string) string {
	tb.Helper()
	listener, err := net.Listen("tcp", ":0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(name), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(listener)
	tb.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://localhost:%d/", listener.Addr().(*net.TCPAddr).Port)
}
