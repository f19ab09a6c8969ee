package autostart

import "testing"

func TestRunCommandQuotesThePath(t *testing.T) {
	t.Parallel()
	for _, exe := range []string{
		`C:\Program Files\Flamenco Tray\flamenco-tray.exe`,
		`C:\Users\José Müller\AppData\Local\Programs\flamenco-tray.exe`,
		`C:\Users\李\flamenco-tray.exe`,
		`C:\users\Zoë Müller-Ørsted\AppData\Local\Programs\Flamenco Tray\flamenco-tray.exe`,
	} {
		command, err := runCommand(exe)
		if err != nil || command != `"`+exe+`"` {
			t.Errorf("runCommand(%q) = %s, %v", exe, command, err)
		}
		if got, err := runCommandProgram(command); err != nil || got != exe {
			t.Errorf("runCommandProgram(%s) = %q, %v", command, got, err)
		}
	}
	if _, err := runCommand(`C:\a"b\tray.exe`); err == nil {
		t.Error("a path with a quote made a command")
	}
}

func TestRunCommandProgramReadsWhatOthersWrite(t *testing.T) {
	t.Parallel()
	tests := []struct{ command, want string }{
		{`"C:\Program Files\Flamenco Tray\flamenco-tray.exe" --debug`, `C:\Program Files\Flamenco Tray\flamenco-tray.exe`},
		{`C:\Tools\flamenco-tray.exe`, `C:\Tools\flamenco-tray.exe`},
		{`C:\Program Files\Flamenco Tray\flamenco-tray.EXE --debug`, `C:\Program Files\Flamenco Tray\flamenco-tray.EXE`},
		{`C:\my.exe.files\tray.exe`, `C:\my.exe.files\tray.exe`},
		{`C:\Tools\tray`, `C:\Tools\tray`},
	}
	for _, tt := range tests {
		if got, err := runCommandProgram(tt.command); err != nil || got != tt.want {
			t.Errorf("runCommandProgram(%s) = %q, %v; want %q", tt.command, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", `"C:\unterminated`, `""`} {
		if got, err := runCommandProgram(bad); err == nil {
			t.Errorf("runCommandProgram(%s) = %q, want an error", bad, got)
		}
	}
}

func TestStartupApprovedDisabled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data []byte
		want bool
	}{
		{nil, false},
		{[]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{[]byte{6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{[]byte{3, 0, 0, 0, 0x10, 0x2f, 0x4a, 0x1b, 0x5c, 0x3d, 0xd9, 0x01}, true},
		{[]byte{7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true},
	}
	for _, tt := range tests {
		if got := startupApprovedDisabled(tt.data); got != tt.want {
			t.Errorf("startupApprovedDisabled(% x) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

func TestSamePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goos, a, b string
		want       bool
	}{
		{"linux", "/opt/tray/flamenco-tray", "/opt/tray/flamenco-tray", true},
		{"linux", "/opt/tray//flamenco-tray", "/opt/tray/./flamenco-tray", true},
		{"linux", "/opt/Tray/flamenco-tray", "/opt/tray/flamenco-tray", false},
		{"linux", "/opt/old/flamenco-tray", "/opt/new/flamenco-tray", false},
		{"darwin", "/Applications/Flamenco Tray.app/Contents/MacOS/flamenco-tray", "/Applications/Flamenco Tray.app/Contents/MacOS/flamenco-tray", true},
		{"windows", `C:\Program Files\Flamenco Tray\flamenco-tray.exe`, `c:\program files\flamenco tray\FLAMENCO-TRAY.EXE`, true},
		{"windows", `C:\Tools\flamenco-tray.exe`, `C:/Tools/flamenco-tray.exe`, true},
		{"windows", `C:\Tools\flamenco-tray.exe`, `D:\Tools\flamenco-tray.exe`, false},
		{"windows", `C:\Users\Zoë Müller-Ørsted\Flamenco Tray\flamenco-tray.exe`, `c:\users\ZOË MÜLLER-ØRSTED\flamenco tray\flamenco-tray.exe`, true},
		{"windows", `C:\Users\Zoë Müller\flamenco-tray.exe`, `C:\Users\Zoe Muller\flamenco-tray.exe`, false},
	}
	for _, tt := range tests {
		if got := samePath(tt.goos, tt.a, tt.b); got != tt.want {
			t.Errorf("samePath(%s, %q, %q) = %v, want %v", tt.goos, tt.a, tt.b, got, tt.want)
		}
	}
}
