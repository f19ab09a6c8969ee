package cli

import (
	"testing"

	"github.com/flamenco-tray/flamenco-tray/discovery"
)

func TestFormatManagerTellsApartAndMarksManagers(t *testing.T) {
	t.Parallel()
	base := discovery.Manager{Name: "Studio Farm", Version: "3.3.1", URL: "http://10.0.0.5:8080/", Host: "10.0.0.5",
		Addresses: []string{"http://10.0.0.5:8080"}, Reachable: true}
	ambiguous := base
	ambiguous.Ambiguous = true
	manual := base
	manual.Manual = true
	for _, tt := range []struct {
		m       discovery.Manager
		setByIT bool
		want    string
	}{
		{base, false, "Studio Farm\t3.3.1\thttp://10.0.0.5:8080/\taddresses: http://10.0.0.5:8080"},
		{ambiguous, false, "Studio Farm (10.0.0.5)\t3.3.1\thttp://10.0.0.5:8080/\taddresses: http://10.0.0.5:8080"},
		{manual, false, "Studio Farm\t3.3.1\thttp://10.0.0.5:8080/\taddresses: http://10.0.0.5:8080\t(added by hand)"},
		{manual, true, "Studio Farm\t3.3.1\thttp://10.0.0.5:8080/\taddresses: http://10.0.0.5:8080\t(set by your IT)"},
	} {
		if got := formatManager(tt.m, tt.setByIT); got != tt.want {
			t.Errorf("formatManager(%+v)\n got %q\nwant %q", tt.m, got, tt.want)
		}
	}
}
