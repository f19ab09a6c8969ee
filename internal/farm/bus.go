package farm

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// EventBusSubscriptions are what a Watcher subscribes to: the jobs' changes, and the news of a job's
// new last rendered frame (one small event per image a Worker uploads, which the tray needs only
// for the user's jobs: it then fetches the tiny size at most once a minute per job). A /workers update
// comes at each check-in of every awake Worker (every few seconds, not only on a change), so on a
// farm of 200 Workers an allWorkers subscription is dozens of frames a second to every tray, and
// the Manager sends them to every tray of the studio (BenchmarkTraysOnAManager measures it). The
// Workers' counts are read over HTTP instead, on a slow timer and after a change of the farm's
// state, which reaches every client without a subscription (Flamenco 3.5+).
var EventBusSubscriptions = []string{"allJobs", "allLastRendered"}

// Pings of the event bus: the Manager's own (every 30 s, 60 s to answer) would leave a Manager whose
// machine vanished without closing the connection (a power cut, a cable) listed for 90 s, while
// discovery, which the connection stands in for, noticed it in 5 to 10 s. Every 15 s with 10 s to
// answer notices it within 25 s, for a frame of one byte each way.
const (
	busPingEvery = 15 * time.Second
	busPongWait  = 10 * time.Second
)

// connectEventBus connects to the event bus of the Manager at baseURL, subscribed to
// EventBusSubscriptions.
func connectEventBus(ctx context.Context, baseURL string, log zerolog.Logger) (*managerapi.EventBus, error) {
	base, err := managerapi.BaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	return managerapi.DialEventBus(ctx, base, managerapi.EventBusConfig{Subscriptions: EventBusSubscriptions, Logger: log,
		PingEvery: busPingEvery, PongWait: busPongWait})
}
