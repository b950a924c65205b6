package atomicfile

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
)

// processUmask is the process's file mode creation mask as the kernel reports it in
// /proc/self/status (Linux 4.7 and later), or -1 where that is not available. Reading it this
// way does not change it, unlike umask(2), which other goroutines creating files would race.
var processUmask = sync.OnceValue(func() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return -1
			}
			return int(m)
		}
	}
	return -1
})

// Umask returns the process's file mode creation mask, and false where the system does not
// tell it without changing it.
func Umask() (fs.FileMode, bool) {
	u := processUmask()
	return fs.FileMode(max(u, 0)), u >= 0
}

// needsChmod reports whether a file created with mode may have been narrowed by the umask, so
// that a chmod is needed to get exactly mode. The mask is read once: a program that changes its
// umask while a store is open should set modes the umask does not touch, or expect them to be
// narrowed.
func needsChmod(mode fs.FileMode) bool {
	u := processUmask()
	return u < 0 || int(mode.Perm())&u != 0
}
