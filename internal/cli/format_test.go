package cli

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

func TestFormatManagerTellsApartManagersOfOneName(t *testing.T) {
	t.Parallel()
	base := discovery.Manager{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.0.0.5:8080/", Host: "10.0.0.5",
		Addresses: []string{"http://10.0.0.5:8080"}, Reachable: true}
	ambiguous := base
	ambiguous.Ambiguous = true
	for _, tt := range []struct {
		m    discovery.Manager
		want string
	}{
		{base, "Studio Farm\t3.3.1\thttp://10.0.0.5:8080/\taddresses: http://10.0.0.5:8080"},
		{ambiguous, "Studio Farm (10.0.0.5)\t3.3.1\thttp://10.0.0.5:8080/\taddresses: http://10.0.0.5:8080"},
	} {
		if got := formatManager(tt.m); got != tt.want {
			t.Errorf("formatManager(%+v)\n got %q\nwant %q", tt.m, got, tt.want)
		}
	}
}
