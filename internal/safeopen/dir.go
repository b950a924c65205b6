package safeopen

import (
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/afero"
)

// ErrNotDir matches, under errors.Is, a refusal of OpenDirBeneath: something other than a
// directory stands where one should be.
var ErrNotDir = fmt.Errorf("not a directory")

// OpenDirBeneath opens the directory rel below root for listing, refusing (with an error
// matching ErrSymlink and ErrNotRegular) a symbolic link at it or at any directory between
// root and it, and (ErrNotDir) anything else that is not a directory, without blocking. rel is
// cleaned as for OpenBeneath; "." is root itself. It lets a walker of a tree (an audit) never
// leave it through a link. On Linux and afero's own OS filesystems it is one openat2(2) from
// the root's path; elsewhere each directory is lstat-ed first.
func OpenDirBeneath(fsys afero.Fs, root, rel string) (afero.File, error) {
	clean := filepath.Clean(rel)
	if clean != "." {
		var err error
		if clean, err = beneath(root, rel); err != nil {
			return nil, err
		}
	}
	name := filepath.Join(root, clean)
	if osRoot, ok := osPath(fsys, root); ok && direct(fsys) {
		if f, done, err := openDirNoLinks(filepath.Join(osRoot, clean), name); done {
			return f, err
		}
	}
	if l, ok := fsys.(afero.Lstater); ok && clean != "." {
		if err := noLinkIn(l, between(root, clean)); err != nil {
			return nil, err
		}
	}
	fi, err := Lstat(fsys, name)
	if err != nil {
		return nil, err
	}
	if err := notDir(name, fi.Mode()); err != nil {
		return nil, err
	}
	return fsys.Open(name)
}

// notDir is the refusal of mode m at path where a directory should be, or nil.
func notDir(path string, m fs.FileMode) error {
	switch {
	case m.IsDir():
		return nil
	case m&fs.ModeSymlink != 0:
		return linkedDir(path, nil)
	}
	return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: %s stands there", ErrNotDir, Describe(m))}
}

// Readable reports, as an error, why the process could not read the file name on fsys (its
// mode or an ACL refuses it), without opening it: one access check on the OS, nothing on a
// filesystem without permissions. A missing file is an error matching fs.ErrNotExist.
func Readable(fsys afero.Fs, name string) error {
	if p, ok := osPath(fsys, name); ok && direct(fsys) {
		return accessRead(p, name)
	}
	_, err := fsys.Stat(name)
	return err
}
