package safeopen

import (
	"bytes"
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readFilesystems are a filesystem of each kind ReadFile meets, with a directory to write in.
func readFilesystems(t *testing.T) map[string]struct {
	fs  afero.Fs
	dir string
} {
	return map[string]struct {
		fs  afero.Fs
		dir string
	}{
		"OsFs":      {afero.NewOsFs(), t.TempDir()},
		"MemMapFs":  {afero.NewMemMapFs(), "/store"},
		"OsFs:root": {afero.NewBasePathFs(afero.NewOsFs(), t.TempDir()), "/"},
	}
}

func TestReadFileLimit(t *testing.T) {
	for name, c := range readFilesystems(t) {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(c.dir, "doc")
			require.NoError(t, afero.WriteFile(c.fs, p, []byte(content), 0o644))
			n := int64(len(content))

			data, err := ReadFile(c.fs, p, n)
			require.NoError(t, err, "a file of exactly max bytes is read")
			assert.Equal(t, content, string(data))

			data, err = ReadFile(c.fs, p, n-1)
			assert.Nil(t, data, "nothing of a file over the limit is returned")
			require.ErrorIs(t, err, ErrTooLarge)
			var tl *TooLargeError
			require.ErrorAs(t, err, &tl)
			assert.Equal(t, TooLargeError{Path: p, Limit: n - 1, Size: n}, *tl)

			empty := filepath.Join(c.dir, "empty")
			require.NoError(t, afero.WriteFile(c.fs, empty, nil, 0o644))
			data, err = ReadFile(c.fs, empty, 0)
			require.NoError(t, err)
			assert.Empty(t, data)

			_, err = ReadFile(c.fs, c.dir, 1<<20)
			assert.ErrorIs(t, err, ErrNotRegular, "a directory is refused")
		})
	}
}

// A file whose size is unknown or wrong (it grows, or its filesystem reports 0 as procfs
// does) is still read only up to max+1 bytes, and refused exactly when longer than max.
func TestReadLimitedDoesNotTrustTheSize(t *testing.T) {
	const max = 1000
	for _, size := range []int64{-1, 0, 10, max} {
		for _, n := range []int{0, 1, 511, 512, 513, max - 1, max} {
			data, err := readLimited(bytes.NewReader(pattern(n)), "f", max, size)
			require.NoError(t, err, "size %d, %d bytes", size, n)
			assert.Equal(t, pattern(n), data, "size %d, %d bytes", size, n)
			assert.LessOrEqual(t, cap(data), max+1, "the buffer never outgrows the limit")
		}
		for _, n := range []int{max + 1, 3 * max} {
			data, err := readLimited(bytes.NewReader(pattern(n)), "f", max, size)
			assert.Nil(t, data)
			var tl *TooLargeError
			require.ErrorAs(t, err, &tl, "size %d, %d bytes", size, n)
			assert.Equal(t, TooLargeError{Path: "f", Limit: max, Size: -1}, *tl)
		}
	}
	assert.Panics(t, func() { readLimited(bytes.NewReader(nil), "f", -1, 0) })
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// allocated returns how many bytes of heap run allocates.
func allocated(run func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const (
	bigFile  = 64 << 20
	smallMax = 64 << 10
	// memBound is far below bigFile and leaves room for the buffer (max+1), its growth from
	// 512 bytes by doubling, and the test's own allocations.
	memBound = 1 << 20
)

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadMemoryIsBoundedByTheLimit(t *testing.T) {
	for name, c := range readFilesystems(t) {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(c.dir, "big")
			f, err := c.fs.Create(p)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(bigFile))
			require.NoError(t, f.Close())
			var err2 error
			got := allocated(func() { _, err2 = ReadFile(c.fs, p, smallMax) })
			assert.ErrorIs(t, err2, ErrTooLarge)
			assert.Less(t, got, uint64(memBound), "bytes allocated reading a %d-byte file with limit %d", bigFile, smallMax)
		})
	}
	t.Run("size unknown", func(t *testing.T) {
		var err error
		got := allocated(func() { _, err = readLimited(io.LimitReader(zeros{}, bigFile), "stream", smallMax, -1) })
		assert.ErrorIs(t, err, ErrTooLarge)
		assert.Less(t, got, uint64(memBound), "bytes allocated reading a %d-byte stream with limit %d", bigFile, smallMax)
	})
}
