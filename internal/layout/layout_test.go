package layout

import (
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// C118: the shard rule on a real pid hash.
func TestC118Shard(t *testing.T) {
	id := "0d555ed77052d7e166017f779cbc193357c3a5006ee8b8457230bcf7abcef65e"
	assert.Equal(t, []string{"0d", "55", "5e", "d77052d7e166017f779cbc193357c3a5006ee8b8457230bcf7abcef65e"}, Shard(id, 3, 2))
}

func TestShardEdges(t *testing.T) {
	cases := []struct {
		id           string
		depth, width int
		want         []string
	}{
		{"abc", 3, 2, []string{"ab", "c"}},
		{"abcdef", 3, 2, []string{"ab", "cd", "ef"}},
		{"abcdefg", 3, 2, []string{"ab", "cd", "ef", "g"}},
		{"abcdefg", 1, 1, []string{"a", "bcdefg"}},
		{"abcdefg", 2, 3, []string{"abc", "def", "g"}},
		{"a", 3, 2, []string{"a"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Shard(c.id, c.depth, c.width), "%s %d/%d", c.id, c.depth, c.width)
		assert.Equal(t, c.id, strings.Join(Shard(c.id, c.depth, c.width), ""))
	}
	assert.Equal(t, "objects/ab/cd/ef/g", ShardPath("objects", "abcdefg", 3, 2))
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"abcdef123456789", "4d198171eef969d553d4c9537b1811a7b078f9a3804fc978a761bc014c05972c", "a.b", "tm"} {
		assert.NoError(t, CheckID(ok, 3, 2), ok)
	}
	bad := map[string][3]int{
		"":            {3, 2},
		"ab/cd":       {3, 2},
		`ab\cd`:       {3, 2},
		"ab\x00cd":    {3, 2},
		"ab cd":       {3, 2},
		"ab\tcd":      {3, 2},
		"ab\u00a0cd":  {3, 2},
		"ab\x1ccd":    {3, 2},
		"../etc":      {3, 2},
		"a..b":        {3, 2},
		"abcd_delete": {3, 2},
		"a.b":         {3, 1}, // middle element "."
		"tmpabc":      {3, 3},
		"tmp":         {1, 3},
	}
	for id, dw := range bad {
		err := CheckID(id, dw[0], dw[1])
		assert.ErrorIs(t, err, ErrUnsafeID, "%q", id)
	}
}

// FuzzShardPath: an id that passes CheckID never produces a path outside its directory, never
// lands in tmp/, and shards back into itself.
func FuzzShardPath(f *testing.F) {
	for _, s := range []string{"abc", "0d555ed77052d7e1", "../x", "a/b", "tmpx", ".", "a.b.c", "ab..", "x_delete"} {
		f.Add(s, 3, 2)
		f.Add(s, 1, 1)
	}
	f.Fuzz(func(t *testing.T, id string, depth, width int) {
		depth, width = 1+abs(depth)%6, 1+abs(width)%6
		if CheckID(id, depth, width) != nil {
			return
		}
		p := ShardPath("objects", id, depth, width)
		require.True(t, strings.HasPrefix(p, "objects/"), "%q -> %q", id, p)
		require.NotEqual(t, TmpDir, strings.Split(strings.TrimPrefix(p, "objects/"), "/")[0])
		require.Equal(t, path.Clean(p), p, "path must already be clean")
		require.Equal(t, id, strings.ReplaceAll(strings.TrimPrefix(p, "objects/"), "/", ""))
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // MinInt
			return 0
		}
		return -n
	}
	return n
}

// TestCheckIDRefusesNamesTooLong: a cid (from a caller, or read from a damaged pid refs file)
// whose last shard element could not be a file name, with room for the deletion suffix, is
// refused before any path is built from it; the longest acceptable one passes.
func TestCheckIDRefusesNamesTooLong(t *testing.T) {
	longest := strings.Repeat("a", 3*2+MaxName-len(DeleteSuffix))
	assert.NoError(t, CheckID(longest, 3, 2))
	assert.ErrorIs(t, CheckID(longest+"a", 3, 2), ErrUnsafeID)
	assert.ErrorIs(t, CheckID(strings.Repeat("f", 5000), 3, 2), ErrUnsafeID)
}
