//go:build unix

package hashstore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// otherDeviceDir returns a fresh directory on another filesystem than dir (the tmpfs at
// /dev/shm, when t.TempDir is on a disk), removed at the end of the test, or skips the test
// when there is none.
func otherDeviceDir(t *testing.T, dir string) string {
	t.Helper()
	const shm = "/dev/shm"
	a, err1 := os.Stat(dir)
	b, err2 := os.Stat(shm)
	if err1 != nil || err2 != nil {
		t.Skipf("no %s to put a file on another filesystem", shm)
	}
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || sa.Dev == sb.Dev {
		t.Skipf("%s and %s are on one filesystem: no cross-device situation here", dir, shm)
	}
	other, err := os.MkdirTemp(shm, "hashstore-test-")
	if err != nil {
		t.Skipf("cannot write to %s: %v", shm, err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	return other
}

// TestStoreFileRealCrossDevice links a file on a real other filesystem: LinkFile refuses it
// with a *CrossDeviceError before reading it, changing nothing; LinkOrCopyFile and CopyFile
// copy it in.
func TestStoreFileRealCrossDevice(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	dir := otherDeviceDir(t, s.Root())
	v := hashstoretest.Vectors()[1]
	src := filepath.Join(dir, "source")
	require.NoError(t, os.WriteFile(src, v.Data(), 0o640))
	before := hashstore.StateOf(t, src)

	var placed hashstore.Placement
	err := hashstore.Unchanged(t, s.Root(), func() error {
		var err error
		_, placed, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrCrossDevice, v.PID, src)
	assert.Equal(t, hashstore.NotPlaced, placed)
	var ce *hashstore.CrossDeviceError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, src, ce.Source)
	assert.Equal(t, s.Root(), ce.Store)
	assert.ErrorIs(t, err, syscall.EXDEV)
	assert.Equal(t, "cross_device", hashstore.ErrorKind(err))

	for i, p := range []hashstore.LinkPolicy{hashstore.LinkOrCopyFile, hashstore.CopyFile} {
		pid := v.PID + "." + []string{"fallback", "copy"}[i]
		meta, placed, err := s.StoreFile(t.Context(), src, hashstore.WithLink(p), hashstore.WithPID(pid), hashstore.WithExpectedSize(v.Size))
		require.NoError(t, err, p)
		assert.Equal(t, hashstore.Copied, placed)
		assert.Equal(t, v.CID, meta.CID)
		assertDigests(t, v, meta.HexDigests, withDefaults()...)
		got, err := os.ReadFile(storePath(s, v.ObjectPath))
		require.NoError(t, err)
		assert.Equal(t, v.Data(), got)
	}
	assert.Equal(t, before, hashstore.StateOf(t, src), "the file is untouched")
	assert.Equal(t, 1, hashstore.Nlink(t, src))
	cidRefs, err := os.ReadFile(storePath(s, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Equal(t, v.PID+".fallback\n"+v.PID+".copy\n", string(cidRefs))
}
