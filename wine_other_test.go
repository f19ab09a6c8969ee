//go:build !windows

package main

// underWine: only a Windows build can run under Wine.
func underWine() bool { return false }
