package idle

import (
	"context"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	kernel32             = windows.NewLazySystemDLL("kernel32.dll")
	procGetLastInputInfo = user32.NewProc("GetLastInputInfo")
	procOpenInputDesktop = user32.NewProc("OpenInputDesktop")
	procCloseDesktop     = user32.NewProc("CloseDesktop")
	procGetTickCount     = kernel32.NewProc("GetTickCount")
)

// lastInputInfo is LASTINPUTINFO.
type lastInputInfo struct {
	size uint32
	time uint32
}

// winSource reads GetLastInputInfo against GetTickCount (both milliseconds since boot, wrapping
// every 49.7 days), and the lock screen: while it shows, this session's input desktop is the secure
// desktop, which OpenInputDesktop cannot open.
type winSource struct{}

func openPlatform(context.Context, session) (Source, error) {
	if err := procGetLastInputInfo.Find(); err != nil {
		return nil, unavailable("GetLastInputInfo is missing: %v", err)
	}
	return winSource{}, nil
}

func (winSource) Name() string { return "Windows (GetLastInputInfo)" }

func (winSource) Read(context.Context) (Reading, error) {
	info := lastInputInfo{size: uint32(unsafe.Sizeof(lastInputInfo{}))}
	if ok, _, err := procGetLastInputInfo.Call(uintptr(unsafe.Pointer(&info))); ok == 0 {
		return Reading{}, fmt.Errorf("GetLastInputInfo: %v", err)
	}
	now, _, _ := procGetTickCount.Call()
	r := Reading{Idle: sinceTick(uint32(now), info.time)}
	const desktopSwitchDesktop = 0x0100
	if desk, _, _ := procOpenInputDesktop.Call(0, 0, desktopSwitchDesktop); desk == 0 {
		r.Locked = true
	} else {
		procCloseDesktop.Call(desk)
	}
	return r, nil
}

func (winSource) Close() error { return nil }
