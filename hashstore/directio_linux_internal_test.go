//go:build linux

package hashstore

import (
	"bytes"
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// skipUnlessDirectWrites skips a test about direct writes when dir's filesystem is not one of
// those the feature promises them on (decided here, not by the code under test), so that it
// cannot pass without exercising them.
func skipUnlessDirectWrites(t *testing.T, dir string) {
	t.Helper()
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(dir, &st))
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC:
	default:
		t.Skipf("the temp directory's filesystem (magic %#x) is not one that takes direct writes", st.Type)
	}
}

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
	skipUnlessDirectWrites(t, t.TempDir())
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
		resident, pages := residentPages(t, s.objectPath(meta.CID))
		if direct {
			assert.LessOrEqual(t, resident, pages/10, "direct: only the first 8 KiB went through the cache")
		} else {
			assert.GreaterOrEqual(t, resident, pages*9/10, "buffered: the content is in the page cache")
		}
	}
}

// A disk that fills up while an object is being written directly (here after 1 MiB + 1000
// bytes, so the failing write is cut at an unaligned length) fails the store with the disk's
// error and leaves nothing behind: no object, no refs, no temp file.
func TestStoreObjectDiskFullDuringDirectWrites(t *testing.T) {
	ctx := context.Background()
	ffs := faultfs.New(afero.NewOsFs())
	root := filepath.Join(t.TempDir(), "s")
	skipUnlessDirectWrites(t, filepath.Dir(root))
	s, err := New(root, DefaultConfig(), WithFs(ffs), WithSync(false),
		func(st *settings) { st.directAfter = 8192 })
	require.NoError(t, err)

	data := make([]byte, 3<<20)
	_, _ = rand.NewChaCha8([32]byte{9}).Read(data)
	ffs.FailWritesAfter(1<<20+1000, syscall.ENOSPC)
	_, err = s.StoreObject(ctx, bytes.NewReader(data), WithPID("full"))
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC, "the disk's error, not the O_DIRECT fallback's")

	var files []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "hashstore.yaml" && filepath.Base(filepath.Dir(p)) != "locks" {
			files = append(files, p)
		}
		return err
	}))
	assert.Empty(t, files, "a failed store leaves no file")
}
