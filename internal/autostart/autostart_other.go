//go:build !linux && !freebsd && !openbsd && !netbsd && !dragonfly && !darwin && !windows

package autostart

const supported = false

const userReplacesEveryone = false

func install(string) error          { return errUnsupported }
func uninstall() error              { return errUnsupported }
func read() (Status, error)         { return Status{}, errUnsupported }
func readEveryone() (Status, error) { return Status{}, errUnsupported }
