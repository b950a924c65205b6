// Package safeopen opens files for reading so that what is not a regular file is refused
// without blocking and without being followed, and reads them with a bound on memory.
//
// A store's files and a user's input files are read by code that trusts them to be small
// regular files. Without these checks a named pipe planted at a refs path blocks the reader
// forever, a symbolic link planted at an object path serves whatever it points to, a device
// such as /dev/zero is read until memory runs out, and an oversized document is read whole
// before a parser rejects it.
//
// Store files go through Open, OpenBeneath, ReadFile and ReadFileBeneath, on the store's
// afero.Fs. Files a user names on the command line go through OpenInput and ReadInput, on the
// OS directly.
package safeopen

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/realpath"
)

// Open opens name on fsys for reading and returns it only if it is a regular file.
//
// On a filesystem backed by the OS (afero.OsFs, a BasePathFs over it, internal/faultfs over
// either; see internal/realpath) the file is opened without following a symbolic link in the
// last component of name and without blocking (O_RDONLY|O_NONBLOCK|O_NOFOLLOW|O_CLOEXEC on
// unix), its type is read from the open handle, and O_NONBLOCK is cleared before the file is
// returned, so reads behave as usual. It refuses, with a *NotRegularError that matches
// ErrNotRegular:
//
//   - a symbolic link as the last component, dangling or not (it is never followed);
//   - a directory, a named pipe (FIFO), a socket, a character or block device, or any other
//     non-regular file. A device is opened (non-blocking) before its type is seen, and
//     closed at once.
//
// Symbolic links in the directories leading to name are followed; use OpenBeneath to refuse
// those too. The open goes through fsys.OpenFile, so a faultfs counts it and can fail it, and
// the file returned is fsys's own (its Close goes through fsys too).
//
// On any other filesystem (afero's memory filesystem, faultfs over it) Open emulates the
// checks: it refuses what afero.Lstater reports as non-regular (when fsys can lstat), opens
// name, and refuses the handle unless its Stat reports a regular file. That cannot keep an
// open from blocking on such a filesystem; the memory filesystem has nothing that blocks.
//
// Other errors (the file does not exist, permission denied, an injected fault) are returned
// as fsys returned them, so errors.Is(err, fs.ErrNotExist) still works.
func Open(fsys afero.Fs, name string) (afero.File, error) {
	if p, ok := osPath(fsys, name); ok {
		return openOS(fsys, name, p)
	}
	return openGeneric(fsys, name, nil)
}

// OpenBeneath opens the file at rel below root on fsys for reading, and returns it only if
// the path from root to it runs through real directories (no symbolic links) and ends at a
// regular file. root itself is trusted and may be or contain a symbolic link.
//
// rel is cleaned lexically first (filepath.Clean); it is refused with an *fs.PathError whose
// Err is ErrOutsideRoot when it is empty, absolute or then still starts with "..". Beyond
// what Open refuses, it refuses with a *NotRegularError (Dir true, matching ErrNotRegular) a
// symbolic link standing for any directory between root and the file.
//
// On an OS-backed filesystem on Linux 5.6 and later the kernel resolves rel in one openat2(2)
// call relative to an open handle on root, with RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS and
// RESOLVE_NO_MAGICLINKS; elsewhere (older kernels, the BSDs, macOS) each directory is
// opened with openat(2), O_DIRECTORY and O_NOFOLLOW relative to the one before. Either way no
// link is followed at any step, so a directory replaced by a link while the path is resolved
// cannot redirect the open. The file's Name is filepath.Join(root, rel) as fsys sees it.
//
// On a wrapping filesystem (internal/faultfs over the OS) the checks are made on the OS as
// above, and the file returned is then opened through fsys, so faults still apply; it is
// refused if it is no longer the file that was checked. A BasePathFs over such a wrapper
// cannot be told from one over the OS and bypasses the wrapper. On a filesystem without OS
// paths the checks are emulated as for Open, with the directories below root lstat-ed only
// when fsys can lstat at all.
func OpenBeneath(fsys afero.Fs, root, rel string) (afero.File, error) {
	f, _, err := openBeneath(fsys, root, rel)
	return f, err
}

// openBeneath is OpenBeneath, also returning the name it opened (root and rel joined), which
// is worked out once: on the store's read path joining and cleaning long paths costs as much
// as the system calls.
func openBeneath(fsys afero.Fs, root, rel string) (afero.File, string, error) {
	clean, err := beneath(root, rel)
	if err != nil {
		return nil, "", err
	}
	name := filepath.Join(root, clean)
	var f afero.File
	if osRoot, ok := osPath(fsys, root); ok {
		f, err = openBeneathOS(fsys, osRoot, root, clean, name)
	} else {
		f, err = openGeneric(fsys, name, between(root, clean))
	}
	return f, name, err
}

// ReadFile returns the content of the regular file name on fsys, opened as Open does, or a
// *TooLargeError (matching ErrTooLarge, nothing returned) when it holds more than max bytes.
// Memory spent is bounded by max whatever the file holds or claims to hold: at most max+1
// bytes are read. ReadFile panics if max is negative.
func ReadFile(fsys afero.Fs, name string, max int64) ([]byte, error) {
	f, err := Open(fsys, name)
	if err != nil {
		return nil, err
	}
	return readAndClose(f, name, max)
}

// ReadFileBeneath is ReadFile for the file that OpenBeneath(fsys, root, rel) opens.
func ReadFileBeneath(fsys afero.Fs, root, rel string, max int64) ([]byte, error) {
	f, name, err := openBeneath(fsys, root, rel)
	if err != nil {
		return nil, err
	}
	return readAndClose(f, name, max)
}

// readAndClose reads f as readLimited does, closing it; a failed close fails the read, as it
// does for afero.ReadFile's callers on a filesystem that reports errors late.
func readAndClose(f afero.File, name string, max int64) ([]byte, error) {
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	data, err := readLimited(f, name, max, size)
	if cerr := f.Close(); err == nil && cerr != nil {
		return nil, cerr
	}
	return data, err
}

// osPath returns the OS path behind name on fsys, with a shortcut for the common afero.OsFs.
func osPath(fsys afero.Fs, name string) (string, bool) {
	if _, ok := fsys.(*afero.OsFs); ok {
		return name, true
	}
	return realpath.Of(fsys, name)
}

// beneath cleans rel and refuses it unless it stays below root, the directory it is relative
// to. The error shows rel as given, after root.
func beneath(root, rel string) (string, error) {
	clean := filepath.Clean(rel)
	if rel == "" || !filepath.IsLocal(clean) {
		return "", &fs.PathError{Op: "open", Path: root + string(filepath.Separator) + rel, Err: ErrOutsideRoot}
	}
	return clean, nil
}

// between lists the directories from root (excluded) down to the parent of root/clean, top
// first.
func between(root, clean string) []string {
	parts := strings.Split(clean, string(os.PathSeparator))
	dirs := make([]string, 0, len(parts)-1)
	for i := 1; i < len(parts); i++ {
		dirs = append(dirs, filepath.Join(root, filepath.Join(parts[:i]...)))
	}
	return dirs
}

// Lstat describes name itself, not what a symbolic link there points to, where fsys can tell
// (afero.Lstater); elsewhere (a filesystem without links) it is Stat.
func Lstat(fsys afero.Fs, name string) (fs.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(name)
		return fi, err
	}
	return fsys.Stat(name)
}

// direct reports whether fsys is one of afero's own OS filesystems, whose files this package
// may open with system calls of its own. Other filesystems that name OS paths (faultfs) must see
// every open, so that the faults they inject still happen.
func direct(fsys afero.Fs) bool {
	switch fsys.(type) {
	case *afero.OsFs, afero.OsFs, *afero.BasePathFs:
		return true
	}
	return false
}
