package ostest

import "golang.org/x/sys/windows"

// UnderWine reports whether the tests run under Wine (make wine-smoke) rather than on Windows: Wine's
// ntdll exports wine_get_version, Windows' does not.
func UnderWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
