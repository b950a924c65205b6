//go:build !unix

package atomicfile

import "github.com/spf13/afero"

// Filesystems returns dirs[:1]: without device numbers every directory is taken to be on the
// first one's filesystem (Group flushes file by file there anyway).
func Filesystems(_ afero.Fs, dirs ...string) []string { return dirs[:min(len(dirs), 1)] }
