//go:build unix

package hashstore_test

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestWithFileModeAndDirModeAreExact stores objects, refs and metadata (every kind of file a
// store writes, the lock files included) with modes other than the defaults, under a umask of
// 077 that would narrow both, and requires every file and directory the store created to have
// exactly the mode asked for; hashstore.yaml alone has 0644, as both references leave it.
func TestWithFileModeAndDirModeAreExact(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	const fileMode, dirMode = fs.FileMode(0o640), fs.FileMode(0o750)
	root := filepath.Join(t.TempDir(), "store")
	s, err := hashstore.New(root, hashstore.DefaultConfig(), hashstore.WithFileMode(fileMode), hashstore.WithDirMode(dirMode))
	require.NoError(t, err)
	ctx := t.Context()
	vs := hashstoretest.Vectors()
	_, err = s.StoreObject(ctx, bytes.NewReader(vs[0].Data()), hashstore.WithPID(vs[0].PID))
	require.NoError(t, err)
	meta, err := s.StoreObject(ctx, bytes.NewReader(vs[1].Data()))
	require.NoError(t, err)
	require.NoError(t, s.TagObject(ctx, vs[1].PID, meta.CID))
	require.NoError(t, s.TagObject(ctx, "second.pid", meta.CID))
	require.NoError(t, s.DeleteObject(ctx, "second.pid")) // rewrites the cid refs file
	_, _, err = s.StoreFile(ctx, hashstore.WriteSource(t, vs[2].Data()), hashstore.WithPID(vs[2].PID))
	require.NoError(t, err)
	for _, v := range vs {
		_, err = s.StoreMetadata(ctx, v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
	}
	_, err = s.StoreMetadata(ctx, vs[0].PID, strings.NewReader("<eml/>"), hashstore.WithFormatID("eml://ecoinformatics.org/eml-2.1.1"))
	require.NoError(t, err)

	kinds := map[string]int{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := d.Info()
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		area, _, _ := strings.Cut(rel, "/")
		switch {
		case d.IsDir():
			kinds["dir"]++
			assert.Equal(t, dirMode, fi.Mode().Perm(), "directory %s", rel)
		case rel == "hashstore.yaml":
			assert.Equal(t, fs.FileMode(0o644), fi.Mode().Perm(), rel)
		default:
			kinds[area]++
			assert.Equal(t, fileMode, fi.Mode().Perm(), "file %s", rel)
		}
		return nil
	}))
	for _, area := range []string{"objects", "refs", "metadata", "locks"} {
		assert.Positive(t, kinds[area], "files were made in %s/", area)
	}
}
