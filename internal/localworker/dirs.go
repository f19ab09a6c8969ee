package localworker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// appDirName names this program's directories under the user's data and cache directories.
const appDirName = "flamenco-tray"

// userDataDir is the user's data directory on goos (Linux $XDG_DATA_HOME or ~/.local/share, Windows
// %LocalAppData%, macOS ~/Library/Application Support): the Workers' directories, holding their
// credentials, go in its flamenco-tray/workers, not in a cache a cleaner may empty.
func userDataDir(goos string, getenv func(string) string, home string) (string, error) {
	switch goos {
	case "windows":
		if dir := getenv("LocalAppData"); dir != "" {
			return dir, nil
		}
		return "", fmt.Errorf("%%LocalAppData%% is not set")
	case "darwin", "ios":
		if home == "" {
			return "", fmt.Errorf("$HOME is not set")
		}
		return filepath.Join(home, "Library", "Application Support"), nil
	default:
		// XDG: a relative $XDG_DATA_HOME is invalid and ignored.
		if dir := getenv("XDG_DATA_HOME"); dir != "" && path.IsAbs(dir) {
			return dir, nil
		}
		if home == "" {
			return "", fmt.Errorf("neither $XDG_DATA_HOME nor $HOME is set")
		}
		return filepath.Join(home, ".local", "share"), nil
	}
}

// DefaultLogDir is the tray's log directory: the user's cache directory, then flamenco-tray.
func DefaultLogDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, appDirName), nil
}

// DefaultWorkerName is "<hostname>-tray": the Worker's name at the Manager, told apart from a
// Worker the machine may run as a service.
func DefaultWorkerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	return host + "-tray"
}

// DirName is the name of the directory of the Worker for the Manager at managerURL: its host and
// port, readable, then a hash of the whole normalised URL, so that two Managers never share one
// (nor their credentials) and the same Manager always gets the same.
func DirName(managerURL string) (string, error) {
	u, err := normaliseManagerURL(managerURL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(u.String()))
	readable := safeName(u.Hostname())
	if port := u.Port(); port != "" {
		readable += "_" + port
	}
	if len(readable) > 48 {
		readable = readable[:48]
	}
	return readable + "-" + hex.EncodeToString(sum[:])[:10], nil
}

// normaliseManagerURL gives one spelling to the URLs of one Manager: lower-case scheme and host,
// the default port written out, a path ending in a slash, no query.
func normaliseManagerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("manager URL %q: %w", raw, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("manager URL %q: want http://host:port/", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	u.Host = net.JoinHostPort(strings.ToLower(u.Hostname()), port)
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath, u.RawQuery, u.Fragment, u.User = "", "", "", nil
	return u, nil
}

// unsafeInName is what a name every filesystem takes leaves out (an IPv6 address's colons).
var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9.-]`)

// safeName keeps letters, digits, dots and dashes, and turns anything else into underscores.
func safeName(s string) string {
	return strings.Trim(unsafeInName.ReplaceAllString(s, "_"), ".")
}
