package safeopen

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrNotRegular matches, under errors.Is, every *NotRegularError: the path names something
// other than a regular file (or, for OpenBeneath, a symbolic link stands where a directory on
// the way to it should be).
var ErrNotRegular = errors.New("not a regular file")

// ErrSymlink matches, under errors.Is, a refusal because of a symbolic link inside a tree the
// reader or writer must not leave: the *NotRegularError of a link, and the refusals of
// atomicfile's writers, which check the directories they write in the same way.
var ErrSymlink = errors.New("refusing to follow a symbolic link inside the store")

// ErrTooLarge matches, under errors.Is, every *TooLargeError.
var ErrTooLarge = errors.New("file too large")

// ErrOutsideRoot is the Err of the *fs.PathError that OpenBeneath and ReadFileBeneath return
// for a relative name that is absolute, empty, or climbs out of the root with "..".
var ErrOutsideRoot = errors.New("path leads outside the root")

// NotRegularError reports that a reader was refused because the path does not lead to a
// regular file. Found says what was there, in words fit for a user ("a named pipe (FIFO)").
type NotRegularError struct {
	Path  string      // the path refused, as the caller named it (joined to the root for OpenBeneath)
	Found string      // what stands at Path: "a directory", "a symbolic link", ...
	Mode  fs.FileMode // the type bits of what stands at Path (fs.ModeType part only)
	// Dir is true when Path is not the file itself but a directory on the way to it that is
	// a symbolic link (OpenBeneath only).
	Dir bool
	// Err is the open's own error when the system refused the open (ELOOP for a link, ENXIO
	// for a socket), nil when the open succeeded and the type check refused the handle.
	Err error
}

func (e *NotRegularError) Error() string {
	want := "a regular file"
	if e.Dir {
		want = "a directory"
	}
	return fmt.Sprintf("open %s: found %s where %s was expected", e.Path, e.Found, want)
}

// Is makes every NotRegularError match ErrNotRegular.
func (e *NotRegularError) Is(target error) bool {
	return target == ErrNotRegular || (target == ErrSymlink && e.Mode&fs.ModeSymlink != 0)
}

// Unwrap returns the system call's error, if the open itself failed.
func (e *NotRegularError) Unwrap() error { return e.Err }

// TooLargeError reports that a file holds more than the limit a reader set. Nothing of the file
// is returned with it: a truncated document must never pass for the whole one.
type TooLargeError struct {
	Path  string // the file, as the caller named it
	Limit int64  // the largest size the reader accepts, in bytes
	Size  int64  // the size the file reported, or -1 when only reading found it too long
}

func (e *TooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("read %s: %d bytes is more than the limit of %d bytes", e.Path, e.Size, e.Limit)
	}
	return fmt.Sprintf("read %s: more than the limit of %d bytes", e.Path, e.Limit)
}

// Is makes every TooLargeError match ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Describe names a file type for a user: "a directory", "a named pipe (FIFO)", ...
func Describe(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "an irregular file"
	}
}

// NotRegular returns the refusal of a file of mode m at path (a *NotRegularError), or nil when
// m is a regular file's. cause is the open's error when the system refused the open, or nil.
func NotRegular(path string, m fs.FileMode, cause error) error {
	if m.IsRegular() {
		return nil
	}
	return &NotRegularError{Path: path, Found: Describe(m), Mode: m.Type(), Err: cause}
}

// linkedDir is the refusal of a symbolic link at path, a directory on the way to the file.
func linkedDir(path string, cause error) error {
	return &NotRegularError{Path: path, Found: Describe(fs.ModeSymlink), Mode: fs.ModeSymlink, Dir: true, Err: cause}
}
