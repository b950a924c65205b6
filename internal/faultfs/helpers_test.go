package faultfs

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backend is a base file system the tests run over, with the directory
// under it that a test may use.
type backend struct {
	name string
	make func(t *testing.T) (base afero.Fs, root string)
}

var backends = []backend{
	{"mem", func(t *testing.T) (afero.Fs, string) {
		base := afero.NewMemMapFs()
		require.NoError(t, base.MkdirAll("/data", 0o755))
		return base, "/data"
	}},
	{"os", func(t *testing.T) (afero.Fs, string) {
		return afero.NewOsFs(), t.TempDir()
	}},
	{"basepath", func(t *testing.T) (afero.Fs, string) {
		return afero.NewBasePathFs(afero.NewOsFs(), t.TempDir()), "/"
	}},
}

// forEachBackend runs fn as a subtest over every backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, base afero.Fs, root string)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			base, root := b.make(t)
			fn(t, base, root)
		})
	}
}

func exists(t *testing.T, fsys afero.Fs, name string) bool {
	t.Helper()
	_, err := fsys.Stat(name)
	if err != nil {
		require.ErrorIs(t, err, os.ErrNotExist)
		return false
	}
	return true
}

func readFile(t *testing.T, fsys afero.Fs, name string) string {
	t.Helper()
	b, err := afero.ReadFile(fsys, name)
	require.NoError(t, err)
	return string(b)
}

func writeFile(t *testing.T, fsys afero.Fs, name, content string) {
	t.Helper()
	require.NoError(t, fsys.MkdirAll(filepath.Dir(name), 0o755))
	require.NoError(t, afero.WriteFile(fsys, name, []byte(content), 0o644))
}

// snapshot describes everything under root in fsys: one line per entry
// with its kind, permissions, size, modification time and content hash.
func snapshot(t *testing.T, fsys afero.Fs, root string) []string {
	t.Helper()
	var lines []string
	err := afero.Walk(fsys, root, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		line := path + " " + fi.Mode().String() + " " + fi.ModTime().Format(time.RFC3339Nano)
		if fi.Mode().IsRegular() {
			sum := sha256.Sum256([]byte(readFile(t, fsys, path)))
			line += " " + hex.EncodeToString(sum[:])
		}
		lines = append(lines, line)
		return nil
	})
	require.NoError(t, err)
	sort.Strings(lines)
	return lines
}

// assertInjected checks that err is an injected *os.PathError with the
// given Op, Path and, exactly, Err.
func assertInjected(t *testing.T, err error, op, path string, cause error) {
	t.Helper()
	var pe *os.PathError
	if assert.ErrorAs(t, err, &pe) {
		assert.Equal(t, op, pe.Op)
		assert.Equal(t, path, pe.Path)
		assert.Equal(t, cause, pe.Err)
	}
	assert.ErrorIs(t, err, cause)
	assert.True(t, IsInjected(err), "IsInjected(%v)", err)
}

// testTime is a modification time no test run happens at.
var testTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

func join(root, name string) string { return filepath.Join(root, name) }
