package farmstandin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Server serves a Farm over HTTP on one address, and can go down and come back there as a Manager
// that restarts does: the Farm (its database) keeps the ids. The Farm's methods are the Server's, so
// that a test holds one stand-in Manager: its address, its farm and what it was told.
type Server struct {
	*Farm
	URL string // http://127.0.0.1:port/

	mu   sync.Mutex
	addr string
	srv  *http.Server
}

// Serve serves farm on a free loopback port until the test ends. Plain HTTP and websockets on
// loopback need no network namespace: tests that only talk to a stand-in run as any user.
func Serve(tb testing.TB, farm *Farm) *Server {
	tb.Helper()
	s := &Server{Farm: farm, addr: "127.0.0.1:0"}
	if err := s.Up(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Down)
	return s
}

// Up starts serving (again, on the same port).
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("stand-in Manager already up")
	}
	listener, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("stand-in Manager: %w", err)
	}
	s.addr = listener.Addr().String()
	s.URL = "http://" + s.addr + "/"
	s.srv = &http.Server{Handler: s.Farm.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(listener)
	return nil
}

// Down stops serving and drops every connection, as a Manager that stops or crashes.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
	// Websockets are hijacked connections, which the server's Close leaves open.
	s.Farm.DropEventBus()
}

// Restart is Down then Up: the Manager restarted, its Workers and jobs as they were.
func (s *Server) Restart() error {
	s.Down()
	return s.Up()
}
