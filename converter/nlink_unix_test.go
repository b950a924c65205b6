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
