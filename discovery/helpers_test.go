package discovery_test

import (
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/standin"
)

// startLocalManager serves a stand-in Manager's HTTP API in this process's namespace, on every
// address, and returns its URL on localhost.
func startLocalManager(t testing.TB, name string) string {
	t.Helper()
	listener, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: standin.Handler(name)}
	go srv.Serve(listener)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://localhost:%d/", listener.Addr().(*net.TCPAddr).Port)
}
