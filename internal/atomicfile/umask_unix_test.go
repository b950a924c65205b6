//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriterReadsTheUmaskOfItsTime: a Writer made after the program changed its umask gets
// exact modes under the new umask, even when another Writer of the process saw the old one
// (a store opened after the change, say).
func TestWriterReadsTheUmaskOfItsTime(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	first := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755}
	require.NoError(t, first.WriteFile(dir, filepath.Join(dir, "first"), []byte("x")))

	syscall.Umask(0o077)
	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o640, DirMode: 0o750}
	require.NoError(t, w.MkdirAll(filepath.Join(dir, "a", "b")))
	require.NoError(t, w.WriteFile(dir, filepath.Join(dir, "a", "b", "f"), []byte("x")))
	for p, want := range map[string]fs.FileMode{"a": 0o750, "a/b": 0o750, "a/b/f": 0o640} {
		fi, err := os.Stat(filepath.Join(dir, p))
		require.NoError(t, err)
		assert.Equal(t, want, fi.Mode().Perm(), p)
	}
}
