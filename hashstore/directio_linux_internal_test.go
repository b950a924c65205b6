package hashstore

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// residentPages returns how many of the file's pages are in the page cache, and how many
// pages it has (mincore over a read-only mapping, which reads nothing).
func residentPages(t *testing.T, path string) (resident, pages int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	require.NoError(t, err)
	defer unix.Munmap(m)
	pageSize := os.Getpagesize()
	vec := make([]byte, (len(m)+pageSize-1)/pageSize)
	// x/sys/unix has no wrapper for mincore(2).
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		require.NoError(t, errno)
	}
	for _, v := range vec {
		resident += int(v & 1)
	}
	return resident, len(vec)
}

// What direct writes are for: a stored object's content past the threshold does not sit in
// the page cache, while without them every page of it does.
func TestDirectIOKeepsLargeObjectsOutOfThePageCache(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 4<<20)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(data)
	for _, direct := range []bool{true, false} {
		s, err := New(filepath.Join(t.TempDir(), "s"), DefaultConfig(), WithSync(false),
			WithDirectIO(direct), func(st *settings) {
				if direct {
					st.directAfter = 8192
				}
			})
		require.NoError(t, err)
		meta, err := s.StoreObject(ctx, bytes.NewReader(data), WithPID("cache"))
		require.NoError(t, err)
		path := s.ObjectPath(meta.CID)
		var st unix.Statfs_t
		require.NoError(t, unix.Statfs(path, &st))
		// Decided here, not by the code under test: the filesystems the feature promises.
		switch st.Type {
		case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC:
		default:
			t.Skipf("the temp directory's filesystem (magic %#x) is not one that takes direct writes", st.Type)
		}
		resident, pages := residentPages(t, path)
		if direct {
			assert.LessOrEqual(t, resident, pages/10, "direct: only the first 8 KiB went through the cache")
		} else {
			assert.GreaterOrEqual(t, resident, pages*9/10, "buffered: the content is in the page cache")
		}
	}
}
