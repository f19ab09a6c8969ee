package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/atomicfile"
	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

func TestWriteReplacesTheFileWholeAndLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	dir := ostest.TempDir(t)
	path := filepath.Join(dir, "entry")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("the file holds %q", got)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != ostest.PrivateMode() {
		t.Errorf("%v, mode %v; want %v", err, info.Mode().Perm(), ostest.PrivateMode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
	if err := atomicfile.Write(filepath.Join(dir, "missing", "entry"), []byte("x"), 0o600); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}
