//go:build unix

package safeopen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenInputRefusesWhatIsNotARegularFile(t *testing.T) {
	root, _ := tree(t)
	cases := []struct{ path, found string }{
		{filepath.Join(root, "fifo"), "a named pipe (FIFO)"},
		{filepath.Join(root, "dir"), "a directory"},
		{filepath.Join(root, "sock"), "a socket"},
		{"/dev/null", "a character device"},
		{"/dev/zero", "a character device"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			if _, err := os.Lstat(c.path); err != nil {
				t.Skipf("%s: %v", c.path, err)
			}
			f, err := within(t, func() (*os.File, error) { return OpenInput(c.path) })
			assert.Nil(t, f)
			assertRefused(t, err, c.path, c.found, false)
			data, err := within(t, func() ([]byte, error) { return ReadInput(c.path, 1<<20) })
			assert.Nil(t, data)
			assertRefused(t, err, c.path, c.found, false)
		})
	}
	// A link to one of them is followed, and what it leads to refused.
	link := filepath.Join(t.TempDir(), "to-fifo")
	require.NoError(t, os.Symlink(filepath.Join(root, "fifo"), link))
	_, err := within(t, func() (*os.File, error) { return OpenInput(link) })
	assertRefused(t, err, link, "a named pipe (FIFO)", false)
}

func TestOpenInputReadsRegularFilesThroughLinks(t *testing.T) {
	root, _ := tree(t)
	for _, rel := range []string{"file", "link-out", "link-in", "linkdir/file"} {
		p := filepath.Join(root, rel)
		f, err := within(t, func() (*os.File, error) { return OpenInput(p) })
		require.NoError(t, err, rel)
		assertReadsContent(t, f)
		data, err := ReadInput(p, int64(len(content)))
		require.NoError(t, err, rel)
		assert.Equal(t, content, string(data))
		_, err = ReadInput(p, int64(len(content))-1)
		assert.ErrorIs(t, err, ErrTooLarge, rel)
	}
	for _, rel := range []string{"dangling", "missing"} {
		_, err := OpenInput(filepath.Join(root, rel))
		assert.True(t, isNotExist(err), "%s: %v", rel, err)
	}
}

func TestOpenInputUnreadable(t *testing.T) {
	skipIfRoot(t)
	p := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(p, []byte(content), 0))
	_, err := OpenInput(p)
	assert.ErrorIs(t, err, os.ErrPermission)
	assert.NotErrorIs(t, err, ErrNotRegular)
}

func TestReadInputMemoryIsBoundedByTheLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	require.NoError(t, os.Truncate(p, bigFile))
	var err error
	got := allocated(func() { _, err = ReadInput(p, smallMax) })
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.Less(t, got, uint64(memBound))
}
