package cli

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/lending"
)

func TestWorkerFlags(t *testing.T) {
	opts, err := parseWorker([]string{"--manager", "http://farm:8080", "--when-away", "15m", "--when-back", "finish",
		"--hours", "19:00-08:00 mon,fri", "--load-limit", "50"}, io.Discard)
	if err != nil || opts.manager != "http://farm:8080/" || opts.whenAway != 15*time.Minute || opts.whenBack != lending.FinishTask ||
		opts.hours.String() != "19:00-08:00 mon,fri" || opts.loadPercent != 50 {
		t.Errorf("%+v, %v", opts, err)
	}
	if opts, err := parseWorker([]string{"--manager", "http://farm:8080", "--when-away", "10m"}, io.Discard); err != nil ||
		opts.whenBack != lending.StopNow {
		t.Errorf("when back by default: %+v, %v", opts, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--manager", "http://farm:8080", "--when-away", "30s"}, "at least 1m"},
		{[]string{"--manager", "http://farm:8080", "--when-back", "stop"}, "need --when-away"},
		{[]string{"--manager", "http://farm:8080", "--hours", "19:00-08:00"}, "need --when-away"},
		{[]string{"--manager", "http://farm:8080", "--when-away", "10m", "--hours", "7pm-8am"}, "--hours"},
		{[]string{"--manager", "http://farm:8080", "--when-away", "10m", "--load-limit", "120"}, "percentage"},
		{[]string{"--manager", "http://farm:8080", "--when-away", "10m", "--when-back", "later"}, "stop or finish"},
		{[]string{"--when-away", "10m"}, "--manager URL is required"},
	} {
		_, err := parseWorker(tc.args, io.Discard)
		var exit exitError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !asExit(err, &exit) || exit.code != 2 {
			t.Errorf("%q: %v, want exit 2 saying %q", tc.args, err, tc.want)
		}
	}
}

func asExit(err error, target *exitError) bool {
	e, ok := err.(exitError)
	if ok {
		*target = e
	}
	return ok
}
