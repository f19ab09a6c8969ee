package machineconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

func TestReadFileReadsARealFile(t *testing.T) {
	path := filepath.Join(ostest.TempDir(t), "managers")
	if err := os.WriteFile(path, []byte("# Managers for everyone\nhttp://farm.studio.lan:8080/\nnot a url at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readFile(path)
	want := path + ` line 3: "not a url at all": one URL per line; skipped`
	if !slices.Equal(got.URLs, []string{"http://farm.studio.lan:8080/"}) || got.Where != path ||
		len(got.Problems) != 1 || got.Problems[0].String() != want {
		t.Errorf("readFile = %+v; want farm.studio.lan, and %s", got, want)
	}
}

func TestReadFileWithoutAFileIsNoManagerAndNoProblem(t *testing.T) {
	path := filepath.Join(ostest.TempDir(t), "managers")
	if got := readFile(path); len(got.URLs) != 0 || len(got.Problems) != 0 || got.Where != path {
		t.Errorf("readFile of nothing = %+v", got)
	}
}

func TestReadFileReportsWhatItCannotRead(t *testing.T) {
	dir := ostest.TempDir(t)
	got := readFile(dir) // a directory, not a file
	if len(got.URLs) != 0 || len(got.Problems) != 1 || got.Problems[0].Line != 0 ||
		!strings.HasPrefix(got.Problems[0].String(), dir+": cannot be read: not a regular file") {
		t.Errorf("readFile of a directory = %+v", got)
	}
}

func TestReadFileReadsOnlyTheBeginningOfAHugeFile(t *testing.T) {
	path := filepath.Join(ostest.TempDir(t), "managers")
	huge := "http://farm:8080/\n" + strings.Repeat("# padding\n", maxFileBytes/10+1)
	if err := os.WriteFile(path, []byte(huge), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readFile(path)
	if !slices.Equal(got.URLs, []string{"http://farm:8080/"}) || len(got.Problems) != 1 ||
		got.Problems[0].String() != path+": longer than 64 KiB: only its beginning was read" {
		t.Errorf("readFile of a huge file = %+v", got)
	}
}
