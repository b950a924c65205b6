package hostile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// TestHostileLayoutBounds: depth and width are bounded before anything is computed from them:
// a width is a file name with room for "_delete" (at most 248), and the shard directories of
// one path take at most 2048 characters with their separators (depth x (width+1)). A value
// past a bound is ErrInvalidArgument naming the key, whether given to New or read from
// hashstore.yaml, and nothing is created.
func TestHostileLayoutBounds(t *testing.T) {
	cfg := func(depth, width int) hashstore.Config {
		c := hashstore.DefaultConfig()
		c.Depth, c.Width = depth, width
		return c
	}
	for _, c := range []struct {
		depth, width int
		ok           bool
		want         string
	}{
		{682, 2, true, ""},
		{683, 2, false, "store_depth 683 with store_width 2 makes paths longer than 2048 characters"},
		{8, 248, true, ""},
		{1, 249, false, "store_width must be at most 248"},
		{4611686018427387904, 2, false, "store_depth 4611686018427387904"},
		{2147483647, 2, false, "store_depth 2147483647"},
		{3, 4611686018427387904, false, "store_width must be at most 248"},
	} {
		root := filepath.Join(t.TempDir(), "store")
		_, err := within(t, func() (*hashstore.FileHashStore, error) { return hashstore.New(root, cfg(c.depth, c.width)) })
		if c.ok {
			require.NoError(t, err, "depth %d width %d", c.depth, c.width)
			continue
		}
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
		assert.Contains(t, err.Error(), c.want)
		_, statErr := os.Lstat(root)
		assert.True(t, os.IsNotExist(statErr), "nothing is created")
	}

	// The same bounds when the values come from hashstore.yaml.
	w := newWorld(t)
	yamlPath := filepath.Join(w.root, "hashstore.yaml")
	orig, err := os.ReadFile(yamlPath)
	require.NoError(t, err)
	for _, depth := range []string{"4611686018427387904", "2147483647", "683"} {
		require.NoError(t, os.WriteFile(yamlPath, []byte(strings.Replace(string(orig), "store_depth: 3", "store_depth: "+depth, 1)), 0o644))
		_, err := within(t, func() (*hashstore.FileHashStore, error) { return hashstore.Open(w.root, hashstore.WithReadOnly()) })
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument, depth)
		assert.Contains(t, err.Error(), "hashstore.yaml: invalid argument: store_depth "+depth)
	}
}

// TestHostileConfigFile: hashstore.yaml is read as store files are (a regular file, no link,
// without blocking) and only up to 64 KiB: a longer one is refused unread, whatever it holds.
func TestHostileConfigFile(t *testing.T) {
	w := newWorld(t)
	yamlPath := filepath.Join(w.root, "hashstore.yaml")
	orig, err := os.ReadFile(yamlPath)
	require.NoError(t, err)
	open := func() error {
		_, err := within(t, func() (*hashstore.FileHashStore, error) { return hashstore.Open(w.root, hashstore.WithReadOnly()) })
		return err
	}
	pad := func(n int) []byte {
		data := append([]byte(nil), orig...)
		data = append(data, '#')
		for len(data) < n-1 {
			data = append(data, 'x')
		}
		return append(data, '\n')
	}
	require.NoError(t, os.WriteFile(yamlPath, pad(64<<10), 0o644))
	require.NoError(t, open(), "64 KiB is allowed")
	require.NoError(t, os.WriteFile(yamlPath, pad(64<<10+1), 0o644))
	err = open()
	require.ErrorIs(t, err, safeopen.ErrTooLarge)
	assert.Contains(t, err.Error(), "65537 bytes is more than the limit of 65536 bytes")

	moved := filepath.Join(w.outside, "hashstore.yaml")
	require.NoError(t, os.WriteFile(moved, orig, 0o644))
	for name, plant := range map[string]func(){
		"fifo":         func() { mkfifo(t, yamlPath) },
		"link outside": func() { require.NoError(t, os.Symlink(moved, yamlPath)) },
		"directory":    func() { require.NoError(t, os.Mkdir(yamlPath, 0o755)) },
	} {
		require.NoError(t, os.RemoveAll(yamlPath))
		plant()
		err := open()
		require.ErrorIs(t, err, safeopen.ErrNotRegular, name)
	}
}
