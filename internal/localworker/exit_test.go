package localworker

import "testing"

func TestClassifyExit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  processEnd
		want ExitReason
	}{
		{"set offline by the Manager", processEnd{code: 0}, ExitOffline},
		{"asked to restart", processEnd{code: 47}, ExitRestart},
		{"interrupted by us", processEnd{code: 1, interrupted: true}, ExitSignedOff},
		{"interrupted before signing on", processEnd{code: -1, signal: "interrupt", interrupted: true}, ExitSignedOff},
		{"code 1 on its own", processEnd{code: 1}, ExitFailed},
		{"forced shutdown, Unix", processEnd{code: 254, interrupted: true}, ExitForced},
		{"forced shutdown, Windows", processEnd{code: 0xFFFFFFFE, interrupted: true}, ExitForced},
		{"killed by us", processEnd{code: -1, signal: "killed", interrupted: true, killed: true, killReason: "it hung"}, ExitKilled},
		{"killed by someone", processEnd{code: -1, signal: "killed"}, ExitFailed},
		{"interrupted by someone", processEnd{code: -1, signal: "interrupt"}, ExitFailed},
	} {
		got := classifyExit(tc.end)
		if got.Reason != tc.want || got.Message == "" {
			t.Errorf("%s: %+v, want %s", tc.name, got, tc.want)
		}
	}
}
