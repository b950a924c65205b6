//go:build unix

package hashstore

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Nlink returns the link count of the OS file at p (a helper of the StoreFile tests).
func Nlink(t testing.TB, p string) int {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	return int(fi.Sys().(*syscall.Stat_t).Nlink)
}
