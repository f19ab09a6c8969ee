package localworker

import (
	"path/filepath"
	"regexp"
	"testing"
)

func TestDirNameIsStableSafeAndDistinct(t *testing.T) {
	t.Parallel()
	same := []string{"http://farm:8080/", "http://FARM:8080", "HTTP://farm:8080/?x=1", " http://farm:8080/ "}
	want, err := DirName(same[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range same[1:] {
		if got, err := DirName(u); got != want || err != nil {
			t.Errorf("DirName(%q) = %q, %v; want %q as for %q", u, got, err, want, same[0])
		}
	}
	if got, _ := DirName("http://farm/"); got == want {
		t.Errorf("another port, same directory %q", got)
	}
	if got, _ := DirName("http://farm:80/"); got != mustDirName(t, "http://farm/") {
		t.Errorf("the default port written out or not should be one Manager: %q", got)
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	for _, u := range []string{"http://[fe80::1%25eth0]:8080/", "https://studio.example.com/flamenco/", "http://10.0.0.5:8080/"} {
		name, err := DirName(u)
		if err != nil || !safe.MatchString(name) || len(name) > 70 {
			t.Errorf("DirName(%q) = %q, %v", u, name, err)
		}
	}
	if name, _ := DirName("http://10.98.0.1:8080/"); name[:15] != "10.98.0.1_8080-" {
		t.Errorf("the name should start with host and port: %q", name)
	}
	for _, bad := range []string{"", "farm:8080", "ftp://farm/", "http:///x"} {
		if _, err := DirName(bad); err == nil {
			t.Errorf("DirName(%q): no error", bad)
		}
	}
}

func mustDirName(t *testing.T, u string) string {
	t.Helper()
	name, err := DirName(u)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func TestUserDataDirPerPlatform(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		goos    string
		vars    map[string]string
		home    string
		want    string
		wantErr bool
	}{
		{"linux", nil, "/home/ann", filepath.Join("/home/ann", ".local", "share"), false},
		{"linux", map[string]string{"XDG_DATA_HOME": "/data"}, "/home/ann", "/data", false},
		{"linux", map[string]string{"XDG_DATA_HOME": "relative"}, "/home/ann", filepath.Join("/home/ann", ".local", "share"), false},
		{"linux", nil, "", "", true},
		{"windows", map[string]string{"LocalAppData": `C:\Users\ann\AppData\Local`}, `C:\Users\ann`, `C:\Users\ann\AppData\Local`, false},
		{"windows", nil, `C:\Users\ann`, "", true},
		{"darwin", nil, "/Users/ann", filepath.Join("/Users/ann", "Library", "Application Support"), false},
	} {
		got, err := userDataDir(tc.goos, env(tc.vars), tc.home)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s %v home %q: %q, %v; want %q", tc.goos, tc.vars, tc.home, got, err, tc.want)
		}
	}
}
