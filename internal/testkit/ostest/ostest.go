// Package ostest is a test helper, not product code: what tests of files need to know of the system
// they run on, Windows and Wine included.
package ostest

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// TempDir is t.TempDir, which under Wine is emptied file by file before t.TempDir's own cleanup:
// Wine 8 lacks the POSIX delete (NtSetInformationFile's FileDispositionInformationEx, "Unsupported
// class (64)") with which Go 1.26's os.RemoveAll deletes each entry on Windows, so that cleanup
// fails with "Invalid function"; os.Remove (DeleteFileW, RemoveDirectoryW) works.
func TempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if UnderWine() {
		t.Cleanup(func() {
			var paths []string
			filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
				paths = append(paths, path)
				return err
			})
			for _, path := range slices.Backward(paths) { // each directory after what it holds
				if err := os.Remove(path); err != nil {
					t.Error(err)
				}
			}
		})
	}
	return dir
}

// PrivateMode is the mode a file private to the user (0600) shows. Windows has no mode bits: Go
// reports 0666 for a file that is not read-only, and the access list of the user's profile folder
// keeps it private.
func PrivateMode() fs.FileMode {
	if runtime.GOOS == "windows" {
		return 0o666
	}
	return 0o600
}
