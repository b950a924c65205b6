// Package realpath maps a path on an afero.Fs to the operating system path behind it, for the
// few things afero cannot do (flock on lock files, hard links).
package realpath

import (
	"os"
	"path/filepath"

	"github.com/spf13/afero"
)

// Resolver is implemented by filesystems that can name the OS path behind one of their paths,
// such as the fault-injecting wrapper in internal/faultfs.
type Resolver interface {
	RealPath(name string) (string, error)
}

// Of returns the absolute OS path behind name on fsys, and false when fsys is not backed by the
// OS filesystem (afero's memory filesystem, for instance).
func Of(fsys afero.Fs, name string) (string, bool) {
	var p string
	switch f := fsys.(type) {
	case *afero.OsFs:
		p = name
	case *afero.BasePathFs:
		real, err := f.RealPath(name)
		if err != nil || !onOS(f) {
			return "", false
		}
		p = real
	case Resolver:
		real, err := f.RealPath(name)
		if err != nil {
			return "", false
		}
		p = real
	default:
		return "", false
	}
	abs, err := filepath.Abs(p)
	return abs, err == nil
}

// onOS reports whether a BasePathFs sits on the OS filesystem. afero keeps its source private;
// os.SameFile only matches FileInfos that came from the OS, so comparing the base directory
// seen both ways answers it.
func onOS(f *afero.BasePathFs) bool {
	real, err := f.RealPath("/")
	if err != nil {
		return false
	}
	direct, err1 := os.Stat(real)
	via, err2 := f.Stat("/")
	return err1 == nil && err2 == nil && os.SameFile(direct, via)
}
