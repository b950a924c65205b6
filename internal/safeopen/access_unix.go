//go:build unix

package safeopen

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// accessRead checks that the process may read the file at the OS path p (name to the caller).
func accessRead(p, name string) error {
	for {
		err := unix.Faccessat(unix.AT_FDCWD, p, unix.R_OK, unix.AT_EACCESS)
		switch {
		case err == nil:
			return nil
		case err == unix.EINTR:
			continue
		}
		return &fs.PathError{Op: "access", Path: name, Err: err}
	}
}
