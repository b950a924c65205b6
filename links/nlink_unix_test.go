//go:build unix

package links_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// nlink returns the link count of the file at p.
func nlink(t testing.TB, p string) int {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	return int(fi.Sys().(*syscall.Stat_t).Nlink)
}
