package autostart

import (
	"slices"
	"strings"
	"testing"
)

func TestExecArgQuotesAsTheDesktopEntrySpecSays(t *testing.T) {
	t.Parallel()
	tests := []struct{ exe, want string }{
		{"/usr/bin/flamenco-tray", `/usr/bin/flamenco-tray`},
		{"/home/jürgen/Программы/flamenco-tray", `/home/jürgen/Программы/flamenco-tray`},
		{"/home/ana/My Apps/flamenco-tray", `"/home/ana/My Apps/flamenco-tray"`},
		{"/opt/50%/flamenco-tray", `/opt/50%%/flamenco-tray`},
		{"/opt/50% off/flamenco-tray", `"/opt/50%% off/flamenco-tray"`},
		{`/opt/say "hi"/tray`, `"/opt/say \\"hi\\"/tray"`},
		{"/opt/$HOME/tray", `"/opt/\\$HOME/tray"`},
		{"/opt/`id`/tray", "\"/opt/\\\\`id\\\\`/tray\""},
		{`/opt/back\slash/tray`, `"/opt/back\\\\slash/tray"`},
		{"/opt/it's/tray", `"/opt/it's/tray"`},
		{"/opt/a;b&c|d/tray", `"/opt/a;b&c|d/tray"`},
		{"/opt/~x/(1)/#2/*?/<>", `"/opt/~x/(1)/#2/*?/<>"`},
		{"/opt/tab\there/tray", `"/opt/tab\there/tray"`},
	}
	for _, tt := range tests {
		got, err := execArg(tt.exe)
		if err != nil || got != tt.want {
			t.Errorf("execArg(%q) = %s, %v; want %s", tt.exe, got, err, tt.want)
		}
	}
}

func TestExecArgRefusesWhatAnExecKeyCannotHold(t *testing.T) {
	t.Parallel()
	for _, exe := range []string{"", "/opt/a=b/tray", "/opt/\xff/tray", "/opt/bell\a/tray", "/opt/cr\r/tray"} {
		if got, err := execArg(exe); err == nil {
			t.Errorf("execArg(%q) = %s, want an error", exe, got)
		}
	}
}

// What DesktopEntry writes reads back as the same program, whatever the path holds.
func TestDesktopEntryReadsBackTheProgram(t *testing.T) {
	t.Parallel()
	for _, exe := range []string{
		"/usr/bin/flamenco-tray",
		"/home/ana/My Apps/flamenco-tray",
		"/home/jürgen/Programme (alt)/flamenco tray",
		`/opt/"quoted" $dollar ` + "`tick`" + ` \back\\slash 100% %f/tray`,
		"/opt/it's; a|b&c <x> ~/#*?/tray",
		"/opt/new\nline\tand tab/tray",
	} {
		entry, err := DesktopEntry(exe)
		if err != nil {
			t.Fatalf("DesktopEntry(%q): %v", exe, err)
		}
		got, disabled, err := desktopEntryProgram(entry)
		if err != nil || got != exe || disabled != "" {
			t.Errorf("%q read back as %q, %q, %v from\n%s", exe, got, disabled, err, entry)
		}
	}
}

func TestSplitExec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  []string
	}{
		{`/usr/bin/tray`, []string{"/usr/bin/tray"}},
		{`/usr/bin/tray --debug %U`, []string{"/usr/bin/tray", "--debug", "%U"}},
		{`"/a b/tray"  --x`, []string{"/a b/tray", "--x"}},
		{`"/a \\"b\\"/tray"`, []string{`/a "b"/tray`}},
		{`"/a\\\\b"`, []string{`/a\b`}},
		{`/a\sb`, []string{"/a", "b"}}, // \s is a space, which separates arguments
		{`"/a\sb"`, []string{"/a b"}},
		{`/50%%`, []string{"/50%"}},
		{`"/a`, nil},
		{`/a$b`, nil},
		{`"/a\qb"`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		got, err := splitExec(tt.value)
		if tt.want == nil {
			if err == nil {
				t.Errorf("splitExec(%s) = %q, want an error", tt.value, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitExec(%s) = %q, %v; want %q", tt.value, got, err, tt.want)
		}
	}
}

func TestDesktopEntryProgramSeesADisabledEntry(t *testing.T) {
	t.Parallel()
	tests := []struct{ file, exe, disabled string }{
		{"[Desktop Entry]\nExec=/bin/tray\n", "/bin/tray", ""},
		{"# c\n[Desktop Entry]\nHidden=true\nExec=/bin/tray\n", "/bin/tray", "Hidden=true"},
		{"[Desktop Entry]\nExec=/bin/tray\nX-GNOME-Autostart-enabled=false\n", "/bin/tray", "X-GNOME-Autostart-enabled=false"},
		{"[Desktop Entry]\nExec=/bin/tray\n[Desktop Action x]\nExec=/bin/other\nHidden=true\n", "/bin/tray", ""},
	}
	for _, tt := range tests {
		exe, disabled, err := desktopEntryProgram([]byte(tt.file))
		if err != nil || exe != tt.exe || disabled != tt.disabled {
			t.Errorf("%q: %q %q %v; want %q %q", tt.file, exe, disabled, err, tt.exe, tt.disabled)
		}
	}
	if _, _, err := desktopEntryProgram([]byte("[Desktop Entry]\nName=x\n")); err == nil || !strings.Contains(err.Error(), "Exec") {
		t.Errorf("an entry without Exec: %v", err)
	}
}

// The entry that hides the one for everyone reads back as turned off by Hidden=true, and stays an
// entry even for a program that an Exec cannot name.
func TestHiddenDesktopEntryIsHidden(t *testing.T) {
	t.Parallel()
	for exe, want := range map[string]string{
		"/usr/bin/flamenco-tray":     "/usr/bin/flamenco-tray",
		"/opt/My Apps/flamenco-tray": "/opt/My Apps/flamenco-tray",
		"":                           "flamenco-tray",
		"/opt/a=b/flamenco-tray":     "flamenco-tray",
	} {
		entry := hiddenDesktopEntry(exe)
		got, disabled, err := desktopEntryProgram(entry)
		if err != nil || got != want || disabled != "Hidden=true" {
			t.Errorf("%q: %q %q %v; want %q hidden, from\n%s", exe, got, disabled, err, want, entry)
		}
		if strings.Contains(string(entry), "TryExec") {
			t.Errorf("%q: a TryExec could make a desktop skip the entry that hides the other:\n%s", exe, entry)
		}
	}
}
