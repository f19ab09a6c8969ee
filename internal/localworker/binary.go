package localworker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrBinaryNotFound: no flamenco-worker where it was looked for. The error wrapping it names the
// places.
var ErrBinaryNotFound = errors.New("flamenco-worker not found")

// binaryName is the Worker's executable name on this platform.
var binaryName = "flamenco-worker" + map[string]string{"windows": ".exe"}[runtime.GOOS]

// FindBinary returns the flamenco-worker to run: explicit when given (it must exist), else the one on
// PATH, else the one beside this program (or beside its macOS .app bundle).
func FindBinary(explicit string) (string, error) {
	if explicit != "" {
		return checkBinary(explicit)
	}
	if path, err := exec.LookPath(binaryName); err == nil {
		return filepath.Abs(path)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("%w on PATH, and this program's own location is unknown (%v): set its path in Settings (or --worker-bin)",
			ErrBinaryNotFound, err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	dirs := besideDirs(exe)
	for _, dir := range dirs {
		if path, err := checkBinary(filepath.Join(dir, binaryName)); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%w on PATH nor in %s: install Flamenco (its download holds flamenco-worker) and set its path in Settings (or --worker-bin)",
		ErrBinaryNotFound, strings.Join(dirs, " or "))
}

// besideDirs are the directories "beside the app" for the executable exe: its own, and on macOS the
// one holding its .app bundle (where Flamenco's download puts flamenco-worker next to the app).
func besideDirs(exe string) []string {
	dir := filepath.Dir(exe)
	dirs := []string{dir}
	// …/Flamenco Tray.app/Contents/MacOS/flamenco-tray
	if filepath.Base(dir) == "MacOS" && filepath.Base(filepath.Dir(dir)) == "Contents" {
		bundle := filepath.Dir(filepath.Dir(dir))
		if strings.HasSuffix(bundle, ".app") {
			dirs = append(dirs, filepath.Dir(bundle))
		}
	}
	return dirs
}

// checkBinary makes sure path is a file this program can run, and makes it absolute (the Worker runs
// in another directory).
func checkBinary(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("flamenco-worker %q: %w", path, err)
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w at %s", ErrBinaryNotFound, abs)
	case err != nil:
		return "", fmt.Errorf("flamenco-worker %s: %w", abs, err)
	case info.IsDir():
		return "", fmt.Errorf("flamenco-worker %s is a directory; give the path of the program in it", abs)
	case runtime.GOOS != "windows" && info.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("flamenco-worker %s is not executable (chmod +x it)", abs)
	}
	return abs, nil
}
