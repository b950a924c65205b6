//go:build unix

package converter_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// nlinkOf returns the link count of the file at p.
func nlinkOf(t testing.TB, p string) int {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	return int(fi.Sys().(*syscall.Stat_t).Nlink)
}

// crossDeviceDir returns a fresh directory on another filesystem than the test's temp dirs
// (where the stores are): one under /dev/shm, a tmpfs on Linux. The test is skipped when the
// machine has no such directory or it is on the same filesystem.
func crossDeviceDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "hashstore-converter-")
	if err != nil {
		t.Skipf("no second filesystem for a cross-device test: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a, err := os.Stat(dir)
	require.NoError(t, err)
	b, err := os.Stat(t.TempDir())
	require.NoError(t, err)
	if a.Sys().(*syscall.Stat_t).Dev == b.Sys().(*syscall.Stat_t).Dev {
		t.Skip("/dev/shm is on the same filesystem as the temp dir: no cross-device setup here")
	}
	return dir
}
