//go:build !unix

package safeopen

import (
	"github.com/spf13/afero"
)

// Without the unix calls (Windows, Plan 9, WebAssembly) OS files get the emulated checks:
// an lstat, the open, and a stat of the handle. A FIFO cannot block the open on Windows, where
// named pipes live outside the file tree.

func openOS(fsys afero.Fs, name, _ string) (afero.File, error) {
	return openGeneric(fsys, name, nil)
}

func openBeneathOS(fsys afero.Fs, _, root, clean, name string) (afero.File, error) {
	return openGeneric(fsys, name, between(root, clean))
}
