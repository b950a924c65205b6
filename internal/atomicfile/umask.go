package atomicfile

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// processUmask returns the process's file mode creation mask as the kernel reports it in
// /proc/self/status (Linux 4.7 and later), or -1 where that is not available. Reading it this
// way does not change it, unlike umask(2), which other goroutines creating files would race.
func processUmask() int {
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
}

// Umask returns the process's file mode creation mask now, and false where the system does
// not tell it without changing it.
func Umask() (fs.FileMode, bool) {
	u := processUmask()
	return fs.FileMode(max(u, 0)), u >= 0
}

// needsChmod reports whether a file created with mode under the umask u (-1: unknown) may
// have been narrowed, so that a chmod is needed to get exactly mode.
func needsChmod(mode fs.FileMode, u int) bool {
	return u < 0 || int(mode.Perm())&u != 0
}

// umask is the process's umask as the writer first saw it: it is read once per Writer, when
// the writer first sets a mode, so a store opened after the program changed its umask obeys
// the new one. A program that changes its umask while a store is open should set modes the
// umask does not touch, or expect them to be narrowed.
func (w *Writer) umask() int {
	w.umaskOnce.Do(func() { w.umaskValue = processUmask() })
	return w.umaskValue
}
