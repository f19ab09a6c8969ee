package machineconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxFileBytes bounds what is read of a file of Managers: settings.MaxManualManagers URLs fit many
// times over.
const maxFileBytes = 64 << 10

// readFile reads the Managers in the file at path (ParseFile's format). A file that is not there is
// none; one that is not a regular file is not opened, since opening a FIFO or a device could block.
func readFile(path string) Managers {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Managers{Where: path}
	}
	if err != nil {
		return unreadable(path, err)
	}
	if !info.Mode().IsRegular() {
		return unreadable(path, fmt.Errorf("not a regular file (%s)", info.Mode().Type()))
	}
	f, err := os.Open(path)
	if err != nil {
		return unreadable(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return unreadable(path, err)
	}
	if len(data) <= maxFileBytes {
		return ParseFile(path, string(data))
	}
	m := ParseFile(path, string(data[:maxFileBytes]))
	m.Problems = append(m.Problems, Problem{Where: path,
		Reason: fmt.Sprintf("longer than %d KiB: only its beginning was read", maxFileBytes>>10)})
	return m
}
