package machineconfig

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/discovery"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

type parseCase struct {
	name     string
	text     string
	urls     []string
	problems []string
}

const badAddress = "not a Manager address: use http://host:port/, like http://farm.example:8080/; skipped"

func TestParseFileReadsOneManagerALine(t *testing.T) {
	t.Parallel()
	const where = "/etc/flamenco-tray/managers"
	testParse(t, ParseFile, where, []parseCase{
		{"nothing", "", nil, nil},
		{"the shipped template: comments only", "# The Flamenco Managers …\n#\n# http://flamenco.studio.lan:8080/\n", nil, nil},
		{"blanks, indented comments and CRLF", "\r\nhttp://farm.studio.lan:8080/\r\n\r\n  # old: http://x:1/\n  http://10.1.2.3:8080  \r\n",
			[]string{"http://farm.studio.lan:8080/", "http://10.1.2.3:8080/"}, nil},
		{"as people type them", "flamenco:8080\nhttps://Farm.Example/app/", []string{"http://flamenco:8080/", "https://farm.example:443/"}, nil},
		{"Notepad's byte order mark", "\uFEFFhttp://a:8080/", []string{"http://a:8080/"}, nil},
		{"duplicates kept once, quietly", "http://a:8080/\nhttp://A:8080\na:8080/app/", []string{"http://a:8080/"}, nil},
		{"a bad line is reported, the others still count", "http://a:8080/\nftp://nas/\n\nhttp://user:pw@b:8080/\nhttp://c:8080/",
			[]string{"http://a:8080/", "http://c:8080/"}, []string{
				where + ` line 2: "ftp://nas/": ` + badAddress,
				where + ` line 4: "http://user:pw@b:8080/": ` + badAddress,
			}},
		{"two on one line is one bad line, not two Managers", "http://a:8080/ http://b:8080/\nnot a url at all", nil, []string{
			where + ` line 1: "http://a:8080/ http://b:8080/": one URL per line; skipped`,
			where + ` line 2: "not a url at all": one URL per line; skipped`,
		}},
		{"a control character is quoted, not printed", "http://a\x1b[2J:8080/", nil, []string{
			where + ` line 1: "http://a\x1b[2J:8080/": ` + badAddress}},
		{"a long entry is cut short", "http://" + strings.Repeat("x", 200) + ":bad/", nil, []string{
			where + ` line 1: "http://` + strings.Repeat("x", 72) + `…": ` + badAddress}},
	})
}

func TestParseValueReadsTheMSIsList(t *testing.T) {
	t.Parallel()
	const where = `HKEY_LOCAL_MACHINE\Software\Flamenco Tray value "Managers"`
	testParse(t, ParseValue, where, []parseCase{
		{"nothing", "", nil, nil},
		{"one, as MANAGERS=http://flamenco:8080/ writes it", "http://flamenco:8080/", []string{"http://flamenco:8080/"}, nil},
		{"spaces, semicolons and newlines (REG_MULTI_SZ)", " http://a:8080/  http://b:8080/;http://c:8080/ ; \nhttp://d:8080/\n",
			[]string{"http://a:8080/", "http://b:8080/", "http://c:8080/", "http://d:8080/"}, nil},
		{"duplicates kept once", "http://a:8080/ a:8080;HTTP://a:8080/", []string{"http://a:8080/"}, nil},
		{"a bad entry is reported, the others still count", "http://a:8080/ ftp://nas/\nhttp://user:pw@b:8080/ http://c:8080/",
			[]string{"http://a:8080/", "http://c:8080/"}, []string{
				where + ` line 1: "ftp://nas/": ` + badAddress,
				where + ` line 2: "http://user:pw@b:8080/": ` + badAddress,
			}},
	})
}

func testParse(t *testing.T, parse func(where, text string) Managers, where string, tests []parseCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parse(where, tt.text)
			if got.Where != where || !slices.Equal(got.URLs, tt.urls) {
				t.Errorf("URLs %q at %s, want %q", got.URLs, got.Where, tt.urls)
			}
			var problems []string
			for _, p := range got.Problems {
				problems = append(problems, p.String())
			}
			if !slices.Equal(problems, tt.problems) {
				t.Errorf("problems:\n got %q\nwant %q", problems, tt.problems)
			}
		})
	}
}

func TestParseKeepsAtMostMaxManualManagers(t *testing.T) {
	t.Parallel()
	const most = settings.MaxManualManagers
	var lines []string
	for i := range most + 5 {
		lines = append(lines, fmt.Sprintf("http://10.0.0.%d:8080/", i))
	}
	lines = append(lines[:3], append([]string{lines[0]}, lines[3:]...)...) // a duplicate is not counted
	got := ParseValue("HKLM", strings.Join(lines, " "))
	if len(got.URLs) != most || got.URLs[most-1] != fmt.Sprintf("http://10.0.0.%d:8080/", most-1) {
		t.Errorf("%d URLs, the last %s", len(got.URLs), got.URLs[len(got.URLs)-1])
	}
	want := fmt.Sprintf(`HKLM line 1: "http://10.0.0.%d:8080/": more than %d Managers: this one and those after it are skipped`,
		most, most)
	if len(got.Problems) != 1 || got.Problems[0].String() != want {
		t.Errorf("problems %q, want one: %s", got.Problems, want)
	}
}

func TestHasAndWith(t *testing.T) {
	t.Parallel()
	it := ParseFile("file", "http://a:8080/\nhttp://b:8080/")
	if !it.Has("http://a:8080/") || !it.Has("http://b:8080") || it.Has("http://c:8080/") {
		t.Error("Has: want a and b (with or without the slash), not c")
	}
	opened := discovery.Manager{URL: "http://10.0.0.5:8080/", Addresses: []string{"http://10.0.0.5:8080", "http://b:8080"}}
	if !it.Includes(opened) || it.Includes(discovery.Manager{URL: "http://c:8080/", Addresses: []string{"http://c:8080"}}) {
		t.Error("Includes: want a Manager that answers at b too, not one at c alone")
	}
	got := it.With([]string{"http://c:8080/", "http://a:8080/"})
	if want := []string{"http://a:8080/", "http://b:8080/", "http://c:8080/"}; !slices.Equal(got, want) {
		t.Errorf("With = %q, want %q", got, want)
	}
	if got := (Managers{}).With(nil); len(got) != 0 {
		t.Errorf("nothing With nothing = %q", got)
	}
}

func TestLogProblemsNamesWhereAndLine(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	ParseFile("/etc/flamenco-tray/managers", "http://a:8080/\nftp://nas/").LogProblems(zerolog.New(&out))
	for _, want := range []string{`"level":"warn"`, `"where":"/etc/flamenco-tray/managers"`, `"line":2`, `"entry":"ftp://nas/"`,
		`"problem":"not a Manager address`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, out.String())
		}
	}
}
