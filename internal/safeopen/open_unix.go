//go:build unix

package safeopen

import (
	"errors"
	"io/fs"
	"os"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// fileFlags open a file that may turn out to be a FIFO or a device without waiting for a
// writer or a carrier, and without following a link in the last component.
const fileFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC

// openOS is Open on a filesystem whose files are OS files.
func openOS(fsys afero.Fs, name, osPath string) (afero.File, error) {
	f, _, err := openChecked(fsys, name, osPath)
	return f, err
}

// openChecked opens name through fsys with fileFlags, refuses what is not a regular file, and
// returns the file with O_NONBLOCK cleared, and its FileInfo.
func openChecked(fsys afero.Fs, name, osPath string) (afero.File, fs.FileInfo, error) {
	f, err := fsys.OpenFile(name, fileFlags, 0)
	if err != nil {
		return nil, nil, explain(name, err, func() (fs.FileInfo, error) { return os.Lstat(osPath) })
	}
	var fi fs.FileInfo
	if osf, ok := OSFile(f); ok {
		fi, err = settle(osf, name)
	} else {
		// A wrapper that hides its descriptor: the type check still holds; O_NONBLOCK stays
		// set, which reads of a regular file ignore.
		if fi, err = f.Stat(); err == nil {
			err = NotRegular(name, fi.Mode(), nil)
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// settle refuses f unless it is a regular file, and otherwise clears O_NONBLOCK so that reads
// and writes through f behave as on a file opened the usual way.
func settle(f *os.File, name string) (fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := NotRegular(name, fi.Mode(), nil); err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nbErr error
	if err := rc.Control(func(fd uintptr) { nbErr = unix.SetNonblock(int(fd), false) }); err != nil {
		return nil, err
	}
	if nbErr != nil {
		return nil, &fs.PathError{Op: "fcntl", Path: name, Err: nbErr}
	}
	return fi, nil
}

// explain turns the error of a failed open into a *NotRegularError when stat shows that name
// is not a regular file: opening a symbolic link with O_NOFOLLOW fails (ELOOP on Linux,
// EMLINK or EFTYPE on some BSDs), and so does opening a socket (ENXIO). Every other error
// is returned as it is.
func explain(name string, err error, stat func() (fs.FileInfo, error)) error {
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	fi, serr := stat()
	if serr != nil {
		return err
	}
	if nr := NotRegular(name, fi.Mode(), err); nr != nil {
		return nr
	}
	return err
}
