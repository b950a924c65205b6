package safeopen

import (
	"io/fs"

	"github.com/spf13/afero"
)

// openGeneric opens name on a filesystem this package cannot reach beneath (or on a system
// without the unix calls): it refuses name when fsys's lstat shows it is not a regular file,
// and when fsys can lstat it also refuses a symbolic link at any of dirs (the directories
// leading to name, top first). Then it opens name and refuses the handle unless it is a regular
// file, which also catches a file swapped in after the lstat. When fsys cannot lstat, the
// check of the handle is all there is.
func openGeneric(fsys afero.Fs, name string, dirs []string) (afero.File, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		fi, lstatted, err := l.LstatIfPossible(name)
		if err != nil {
			return nil, err
		}
		if lstatted {
			if err := noLinkIn(l, dirs); err != nil {
				return nil, err
			}
		}
		if err := NotRegular(name, fi.Mode(), nil); err != nil {
			return nil, err
		}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = NotRegular(name, fi.Mode(), nil)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// noLinkIn refuses the first of dirs that is a symbolic link.
func noLinkIn(l afero.Lstater, dirs []string) error {
	for _, d := range dirs {
		fi, _, err := l.LstatIfPossible(d)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return linkedDir(d, nil)
		}
	}
	return nil
}
