package managerapi

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// versionBody is the body of a real Flamenco 3.8.5 Manager's GET /api/v3/version.
const versionBody = `{"git":"bars","name":"Capture Farm","shortversion":"3.8.5","version":"3.8.5"}` + "\n"

func TestParseVersionReadsCapturedAnswer(t *testing.T) {
	t.Parallel()
	info, err := ParseVersion([]byte(versionBody))
	if err != nil {
		t.Fatal(err)
	}
	want := Version{Name: "Capture Farm", Version: "3.8.5", ShortVersion: "3.8.5", Git: "bars"}
	if info != want {
		t.Errorf("got %+v, want %+v", info, want)
	}
}

func TestParseVersionRejectsWrongShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"name":"x"}`, `{"version":"3.3"}`, `{"name":3,"version":"1"}`,
		`{"name":"\u0000\u202e\u200b","version":"1"}`, `{"name":"` + strings.Repeat("x", 300) + `","version":"1"}`,
		`<html>not json</html>`,
	} {
		if _, err := ParseVersion([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseVersion(%q) err = %v, want ErrMalformed", body, err)
		}
	}
}

func TestParseVersionCleansWhatIsShown(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, name, version string }{
		{`{"name":"Studio\u202eFarm","version":"3.3.1"}`, "StudioFarm", "3.3.1"},
		{`{"name":"\u2067Studio Farm\u2069\u200b","version":"3.3\u00001"}`, "Studio Farm", "3.31"},
		{`{"name":"Studio\n\tFarm\u2028 2","version":" 3.3.1 "}`, "Studio Farm 2", "3.3.1"},
		{`{"name":"\u001b[31mRed","version":"1"}`, "[31mRed", "1"},
		{`{"name":"` + strings.Repeat("Farm ", 30) + `","version":"` + strings.Repeat("9", 40) + `"}`,
			strings.Repeat("Farm ", 11) + "Farm…", strings.Repeat("9", 23) + "…"},
		{`{"name":"Ферма 渲染 🎬","version":"3.3.1"}`, "Ферма 渲染 🎬", "3.3.1"},
	}
	for _, tt := range tests {
		info, err := ParseVersion([]byte(tt.body))
		if err != nil {
			t.Errorf("ParseVersion(%s): %v", tt.body, err)
			continue
		}
		if info.Name != tt.name || info.Version != tt.version {
			t.Errorf("ParseVersion(%s) = %q %q, want %q %q", tt.body, info.Name, info.Version, tt.name, tt.version)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add([]byte(versionBody))
	f.Add([]byte(`{"name":"x","version":"1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ParseVersion(body)
		if err != nil {
			return
		}
		if info.Name == "" || info.Version == "" {
			t.Errorf("accepted %q without name or version", body)
		}
		for _, field := range []string{info.Name, info.Version, info.ShortVersion, info.Git} {
			if strings.ContainsFunc(field, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) ||
				utf8.RuneCountInString(field) > MaxManagerNameRunes {
				t.Errorf("ParseVersion(%q) kept %q: control or format characters, or too long", body, field)
			}
		}
	})
}
