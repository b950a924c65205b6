package journal

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter/internal/pidset"
)

// TestDoneMatchesThePIDExactly: Done confirms a success by reading its record, for pids that
// JSON writes escaped too, and refuses another pid or a failure at the same place.
func TestDoneMatchesThePIDExactly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	h := Header{Mode: "convert", Store: "/s", Shard: "0/1"}
	j, err := Open(path, h, Options{})
	require.NoError(t, err)
	pids := []string{"plain", `q"uo\te`, "<a&b>", "é€\u2028", "line\nbreak"}
	for i, pid := range pids {
		_, err := j.Append(&Record{Line: int64(i + 1), PID: pid, Status: StatusOK, FP: "00000000000000ff"})
		require.NoError(t, err)
	}
	off, err := j.Append(&Record{Line: 9, PID: "failed", Status: StatusFailed, FP: "00000000000000ff"})
	require.NoError(t, err)
	require.NoError(t, j.Close())

	j, err = Open(path, h, Options{})
	require.NoError(t, err)
	defer j.Close()
	for _, pid := range pids {
		_, ok := j.Done(pid, 0xff)
		assert.True(t, ok, pid)
		line, err := j.ReadAt(j.index[mustFind(t, j, pid)].offset)
		require.NoError(t, err)
		assert.True(t, j.isDone(line, pid), "the fast path takes %q", pid)
		for _, other := range pids {
			if other != pid {
				assert.False(t, j.isDone(line, other), "%q is not %q", pid, other)
			}
		}
		_, ok = j.Done(pid, 0xfe)
		assert.False(t, ok, "another fingerprint")
	}
	line, err := j.ReadAt(off)
	require.NoError(t, err)
	assert.False(t, j.isDone(line, "failed"))
	_, ok := j.Done("failed", 0xff)
	assert.False(t, ok)
}

func mustFind(t *testing.T, j *Journal, pid string) int {
	t.Helper()
	i, ok := j.find(pid)
	require.True(t, ok)
	require.Equal(t, pidset.Hash(pid), j.index[i].pid)
	return i
}
