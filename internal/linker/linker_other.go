//go:build !unix

package linker

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// linkFollow makes newpath a hard link to the file oldpath names, following oldpath if it is a
// symbolic link.
func linkFollow(oldpath, newpath string) error {
	if real, err := filepath.EvalSymlinks(oldpath); err == nil {
		oldpath = real
	}
	err := os.Link(oldpath, newpath)
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// device is unknown here: CheckLink never refuses.
func device(fi fs.FileInfo) (uint64, bool) { return 0, false }
