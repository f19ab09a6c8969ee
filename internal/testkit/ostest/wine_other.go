//go:build !windows

package ostest

// UnderWine: only a Windows build can run under Wine.
func UnderWine() bool { return false }
