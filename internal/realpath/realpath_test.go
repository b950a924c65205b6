package realpath

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
)

func TestOf(t *testing.T) {
	dir := t.TempDir()
	p, ok := Of(afero.NewOsFs(), filepath.Join(dir, "x"))
	assert.True(t, ok)
	assert.Equal(t, filepath.Join(dir, "x"), p)

	p, ok = Of(afero.NewBasePathFs(afero.NewOsFs(), dir), "/a/b")
	assert.True(t, ok)
	assert.Equal(t, filepath.Join(dir, "a", "b"), p)

	mem := afero.NewMemMapFs()
	_, ok = Of(mem, "/a")
	assert.False(t, ok, "memory filesystem has no OS path")
	mem.MkdirAll(dir, 0o755) // even when the same path exists in memory
	_, ok = Of(afero.NewBasePathFs(mem, dir), "/a")
	assert.False(t, ok, "a BasePathFs over memory is not the OS")

	wd, _ := os.Getwd()
	p, ok = Of(afero.NewOsFs(), "rel")
	assert.True(t, ok)
	assert.Equal(t, filepath.Join(wd, "rel"), p, "relative paths are made absolute")
}
