//go:build unix

package atomicfile

import (
	"os"
	"syscall"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/internal/realpath"
)

// Filesystems returns, of dirs on fsys, the first of each filesystem they are on (by device
// number), for Group.Filesystems: a store whose areas are mounted from several filesystems
// needs each flushed. Directories it cannot look at are left out; without an OS filesystem
// the answer is dirs[:1].
func Filesystems(fsys afero.Fs, dirs ...string) []string {
	var out []string
	seen := map[uint64]bool{}
	for _, d := range dirs {
		p, ok := realpath.Of(fsys, d)
		if !ok {
			return dirs[:min(len(dirs), 1)]
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		if dev := uint64(st.Dev); !seen[dev] {
			seen[dev] = true
			out = append(out, d)
		}
	}
	return out
}
