package discovery

import (
	"net/netip"
	"time"

	"github.com/rs/zerolog"
)

// answerInbox hands answers from the socket reader to the browser without ever blocking the reader.
// Each machine may send answersPerSourcePerSecond answers a second (a Manager sends one per address
// it has); beyond that, and when the inbox is full, answers are dropped and counted, and the drops
// are logged once a second, not per packet.
type answerInbox struct {
	out     chan<- Answer
	log     zerolog.Logger
	window  time.Time
	counts  map[netip.Addr]int
	dropped int
	flooded map[netip.Addr]bool
}

const (
	answersPerSourcePerSecond = 32
	maxSourcesPerWindow       = 1024
)

func newAnswerInbox(out chan<- Answer, log zerolog.Logger) *answerInbox {
	return &answerInbox{out: out, log: log, counts: make(map[netip.Addr]int), flooded: make(map[netip.Addr]bool)}
}

func (in *answerInbox) offer(a Answer) {
	now := time.Now()
	if now.Sub(in.window) >= time.Second {
		in.report()
		in.window = now
		clear(in.counts)
	}
	source := a.Source.Addr()
	if _, seen := in.counts[source]; !seen && len(in.counts) >= maxSourcesPerWindow {
		in.dropped++
		return
	}
	in.counts[source]++
	if in.counts[source] > answersPerSourcePerSecond {
		in.dropped++
		if !in.flooded[source] && len(in.flooded) < maxSourcesPerWindow {
			in.flooded[source] = true
			in.log.Warn().Stringer("from", source).Msg("a machine floods us with SSDP answers; dropping its excess")
		}
		return
	}
	select {
	case in.out <- a:
	default:
		in.dropped++
	}
}

// report logs the drops since the last report.
func (in *answerInbox) report() {
	if in.dropped > 0 {
		in.log.Debug().Int("dropped", in.dropped).Msg("dropped SSDP answers (flood or full inbox)")
		in.dropped = 0
	}
}
