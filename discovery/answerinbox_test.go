package discovery

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// The inbox's one-second windows are on the bubble's clock: no socket, no wall-clock wait.
func TestAnswerInboxDropsAFloodAndReportsOncePerSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		out := make(chan Answer, 100)
		inbox := newAnswerInbox(out, zerolog.New(&logs).Level(zerolog.DebugLevel))
		flooder := answerFrom("10.0.0.66", "http://10.0.0.66:8080/upnp/description.xml")
		for range answersPerSourcePerSecond + 10 {
			inbox.offer(flooder)
		}
		inbox.offer(answerFrom("10.0.0.7", "http://10.0.0.7:8080/upnp/description.xml"))
		if got, want := len(out), answersPerSourcePerSecond+1; got != want {
			t.Errorf("%d answers passed in the first second, want %d (the flooder's allowance and the quiet machine's)", got, want)
		}
		if n := strings.Count(logs.String(), "floods us"); n != 1 {
			t.Errorf("%d warnings about the flooder, want 1:\n%s", n, logs.String())
		}
		if strings.Contains(logs.String(), "dropped SSDP answers") {
			t.Error("drops reported before the second ended")
		}

		time.Sleep(time.Second)
		inbox.offer(flooder) // a new window: the flooder's allowance again, the drops reported
		if got, want := len(out), answersPerSourcePerSecond+2; got != want {
			t.Errorf("%d answers passed after a second, want %d", got, want)
		}
		if !strings.Contains(logs.String(), `"dropped":10`) {
			t.Errorf("the first second's 10 drops are not reported:\n%s", logs.String())
		}
		if n := strings.Count(logs.String(), "floods us"); n != 1 {
			t.Errorf("the flooder was warned about %d times, want once", n)
		}
	})
}

func TestAnswerInboxDropsWhenFullWithoutBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		out := make(chan Answer, 2)
		inbox := newAnswerInbox(out, zerolog.New(&logs).Level(zerolog.DebugLevel))
		for i := range 5 {
			source := fmt.Sprintf("10.0.0.%d", i+1)
			inbox.offer(answerFrom(source, "http://"+source+":8080/upnp/description.xml"))
		}
		if len(out) != 2 {
			t.Errorf("%d answers in an inbox of 2", len(out))
		}
		inbox.report()
		if !strings.Contains(logs.String(), `"dropped":3`) {
			t.Errorf("3 drops not reported:\n%s", logs.String())
		}
	})
}
