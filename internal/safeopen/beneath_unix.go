//go:build unix

package safeopen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// dirFlags open a directory on the way to a file: a link, a FIFO or a device in its place is
// refused by the open itself.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC

// errReplaced: the file opened through a wrapping filesystem is not the one just checked.
var errReplaced = errors.New("file replaced while being opened")

// openBeneathOS is OpenBeneath on a filesystem whose files are OS files; osRoot is the OS path
// of root, and name is root and clean joined.
func openBeneathOS(fsys afero.Fs, osRoot, root, clean, name string) (afero.File, error) {
	osName := name
	if osRoot != root {
		osName = filepath.Join(osRoot, clean)
	}
	f, err := openBeneathFile(osRoot, osName, root, clean, name, openat2Usable())
	if err != nil {
		return nil, err
	}
	if direct(fsys) {
		return f, nil
	}
	defer f.Close()
	checked, err := f.Stat()
	if err != nil {
		return nil, err
	}
	g, fi, err := openChecked(fsys, name, osName)
	if err != nil {
		return nil, err
	}
	if !os.SameFile(checked, fi) {
		g.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errReplaced}
	}
	return g, nil
}

// openBeneathFile opens clean below the OS directory osRoot (osName is the two joined), with
// openat2 when useOpenat2 is set and the kernel has it, and by walking the directories one
// openat at a time otherwise. root is the caller's name for osRoot, and name its name for the
// file, used in errors and as the file's name.
func openBeneathFile(osRoot, osName, root, clean, name string, useOpenat2 bool) (*os.File, error) {
	// The common case in one system call: the root's own path holds no link either, so a path
	// through which no link is followed at all is below it. A refusal (a link somewhere) is
	// looked at again from the root, which tells a link below the root, refused, from one in
	// the root's own path, remembered so that the root is opened first from then on.
	if _, linked := linkedRoots.Load(osRoot); useOpenat2 && !linked {
		fd, err := openat2NoLinks(osName)
		switch {
		case err == nil:
			return settleFd(fd, name)
		case errors.Is(err, unix.ENOENT):
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		f, err := openFromRoot(osRoot, root, clean, useOpenat2)
		if err == nil {
			linkedRoots.Store(osRoot, true)
		}
		return f, err
	}
	return openFromRoot(osRoot, root, clean, useOpenat2)
}

// linkedRoots holds the OS roots whose own path holds a symbolic link, which openat2NoLinks
// refuses: the root is opened first for them.
var linkedRoots sync.Map

// openFromRoot opens clean below osRoot by opening the root first (openAtRoot).
func openFromRoot(osRoot, root, clean string, useOpenat2 bool) (*os.File, error) {
	rootFd, err := openRootFd(osRoot, root)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rootFd)
	return openAtRoot(rootFd, root, clean, useOpenat2)
}

// openRootFd opens the directory osRoot (root to the caller) to resolve paths below it.
func openRootFd(osRoot, root string) (int, error) {
	fd, err := retry(func() (int, error) {
		return unix.Open(osRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	return fd, nil
}

// openAtRoot opens clean below the directory open as rootFd (root to the caller), as
// openBeneathFile does.
func openAtRoot(rootFd int, root, clean string, useOpenat2 bool) (*os.File, error) {
	name := filepath.Join(root, clean)
	fd, err := -1, errNoOpenat2
	if useOpenat2 {
		fd, err = openat2Beneath(rootFd, clean)
	}
	switch {
	case err == errNoOpenat2:
		fd, err = walk(rootFd, root, clean)
	case errors.Is(err, unix.ENOENT):
		err = &fs.PathError{Op: "open", Path: name, Err: err}
	case err != nil:
		// openat2 does not say which component it refused; the walk names it.
		wfd, werr := walk(rootFd, root, clean)
		if werr == nil {
			unix.Close(wfd)
			werr = &fs.PathError{Op: "open", Path: name, Err: err}
		}
		err = werr
	}
	if err != nil {
		return nil, err
	}
	return settleFd(fd, name)
}

// walk opens each directory of clean below dirFd with openat and dirFlags, then the file with
// fileFlags, refusing a link anywhere on the way.
func walk(rootFd int, root, clean string) (int, error) {
	parts := strings.Split(clean, string(os.PathSeparator))
	dir := rootFd
	closeDir := func() {
		if dir != rootFd {
			unix.Close(dir)
		}
	}
	defer closeDir()
	for i, p := range parts[:len(parts)-1] {
		fd, err := retry(func() (int, error) { return unix.Openat(dir, p, dirFlags, 0) })
		if err != nil {
			return -1, explainAt(dir, p, filepath.Join(root, filepath.Join(parts[:i+1]...)), err, true)
		}
		closeDir()
		dir = fd
	}
	last := parts[len(parts)-1]
	fd, err := retry(func() (int, error) { return unix.Openat(dir, last, fileFlags, 0) })
	if err != nil {
		return -1, explainAt(dir, last, filepath.Join(root, clean), err, false)
	}
	return fd, nil
}

// explainAt is explain for an openat of base in dirFd that failed with err: path is the name
// for errors; wantDir says base was to be a directory, where only a link is worth naming (a
// regular file there is ENOTDIR, a plain error).
func explainAt(dirFd int, base, path string, err error, wantDir bool) error {
	pathErr := &fs.PathError{Op: "open", Path: path, Err: err}
	if errors.Is(err, unix.ENOENT) {
		return pathErr
	}
	var st unix.Stat_t
	if unix.Fstatat(dirFd, base, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return pathErr
	}
	m := modeType(uint32(st.Mode))
	if wantDir {
		if m&fs.ModeSymlink != 0 {
			return linkedDir(path, pathErr)
		}
		return pathErr
	}
	if nr := NotRegular(path, m, pathErr); nr != nil {
		return nr
	}
	return pathErr
}

// settleFd refuses fd unless it is a regular file, clears O_NONBLOCK, and hands it to an
// *os.File named name. fd is closed on failure.
func settleFd(fd int, name string) (*os.File, error) {
	var st unix.Stat_t
	err := unix.Fstat(fd, &st)
	if err != nil {
		err = &fs.PathError{Op: "fstat", Path: name, Err: err}
	} else if err = NotRegular(name, modeType(uint32(st.Mode)), nil); err == nil {
		if nbErr := unix.SetNonblock(fd, false); nbErr != nil {
			err = &fs.PathError{Op: "fcntl", Path: name, Err: nbErr}
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Blocking again, so os.NewFile treats it as the plain file it is.
	return os.NewFile(uintptr(fd), name), nil
}

// modeType converts the type bits of a stat mode to an fs.FileMode.
func modeType(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	default:
		return fs.ModeIrregular
	}
}

// retry repeats a system call that a signal interrupted (the Go runtime sends them to preempt
// goroutines).
func retry(call func() (int, error)) (int, error) {
	for {
		fd, err := call()
		if err != unix.EINTR {
			return fd, err
		}
	}
}
