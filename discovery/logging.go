package discovery

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/fromkeith/gossdp"
	"github.com/rs/zerolog"
)

// gossdpLogger puts gossdp's logging behind zerolog. gossdp reports as errors things a caller recovers
// from (a socket error, a bad packet), so errors are demoted to warnings; while stopping it complains
// about its own closed socket, so once stopping is set everything goes to debug.
type gossdpLogger struct {
	logger   zerolog.Logger
	stopping atomic.Bool
}

var _ gossdp.LoggerInterface = (*gossdpLogger)(nil)

func newGossdpLogger(logger zerolog.Logger) *gossdpLogger {
	return &gossdpLogger{logger: logger.With().Str("lib", "gossdp").Logger()}
}

func (l *gossdpLogger) Tracef(format string, args ...interface{}) {
	l.logger.Trace().Msg(formatGossdp(format, args))
}

func (l *gossdpLogger) Infof(format string, args ...interface{}) {
	l.logger.Debug().Msg(formatGossdp(format, args))
}

func (l *gossdpLogger) Warnf(format string, args ...interface{}) {
	level := zerolog.WarnLevel
	if l.stopping.Load() {
		level = zerolog.DebugLevel
	}
	l.logger.WithLevel(level).Msg(formatGossdp(format, args))
}

func (l *gossdpLogger) Errorf(format string, args ...interface{}) { l.Warnf(format, args...) }

// formatGossdp formats gossdp's messages, some of which pass arguments without a verb
// (`Warnf("Error reading request: ", err)`).
func formatGossdp(format string, args []interface{}) string {
	if len(args) > 0 && !strings.Contains(format, "%") {
		return strings.TrimSpace(format + " " + fmt.Sprint(args...))
	}
	return fmt.Sprintf(format, args...)
}
