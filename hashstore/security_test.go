package hashstore_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/internal/faultfs"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// listAll maps every path under dir to its content, for "nothing changed here" checks.
func listAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			out[p] = string(b)
			return err
		}
		out[p] = fi.Mode().String()
		return nil
	}))
	return out
}

// TestSymlinkInStoreIsNotFollowedWhenWriting plants a symbolic link, in each area of a store,
// at the shard directory a write will use, pointing outside the store. The write must fail
// with safeopen.ErrSymlink and nothing outside the store may change.
func TestSymlinkInStoreIsNotFollowedWhenWriting(t *testing.T) {
	v := hashstoretest.Vectors()[1] // jtao.1700.1
	cases := map[string]struct {
		link string // store-relative directory replaced by a symlink
		op   func(s *hashstore.FileHashStore) error
	}{
		"object shard": {"objects/94", func(s *hashstore.FileHashStore) error {
			_, err := s.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID))
			return err
		}},
		"objects tmp": {"objects/tmp", func(s *hashstore.FileHashStore) error {
			_, err := s.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID))
			return err
		}},
		"cid refs shard": {"refs/cids/94/f9", func(s *hashstore.FileHashStore) error {
			return s.TagObject(t.Context(), v.PID, v.CID)
		}},
		"pid refs shard": {"refs/pids/a8", func(s *hashstore.FileHashStore) error {
			return s.TagObject(t.Context(), v.PID, v.CID)
		}},
		"metadata shard": {"metadata/a8/24", func(s *hashstore.FileHashStore) error {
			_, err := s.StoreMetadata(t.Context(), v.PID, bytes.NewReader(v.Sysmeta()))
			return err
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "store")
			outside := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(outside, "precious"), []byte("keep"), 0o644))
			s, err := hashstore.New(root, hashstore.DefaultConfig())
			require.NoError(t, err)
			link := filepath.Join(root, filepath.FromSlash(c.link))
			require.NoError(t, os.MkdirAll(filepath.Dir(link), 0o755))
			os.RemoveAll(link)
			require.NoError(t, os.Symlink(outside, link))
			before := listAll(t, outside)

			err = c.op(s)
			require.Error(t, err)
			assert.ErrorIs(t, err, safeopen.ErrSymlink)
			assert.Equal(t, before, listAll(t, outside), "nothing outside the store may change")
		})
	}
}

// TestSymlinkInStoreIsNotFollowedWhenDeleting: a delete whose object shard directory was
// replaced by a link to outside files must not remove or rename them.
func TestSymlinkInStoreIsNotFollowedWhenDeleting(t *testing.T) {
	v := hashstoretest.Vectors()[1]
	root := filepath.Join(t.TempDir(), "store")
	s, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	_, err = s.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID))
	require.NoError(t, err)

	// Move the real shard away and put a link to a look-alike tree outside in its place.
	outside := t.TempDir()
	shard := filepath.Join(root, "objects", "94")
	require.NoError(t, os.Rename(shard, filepath.Join(outside, "94")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "94"), shard))
	before := listAll(t, outside)

	err = s.DeleteObject(t.Context(), v.PID)
	assert.ErrorIs(t, err, safeopen.ErrSymlink)
	assert.Equal(t, before, listAll(t, outside))
	_, err = s.FindObject(t.Context(), v.PID)
	assert.NoError(t, err, "a refused delete leaves the references as they were")
}

// TestReadOnlyStoreNeverWrites opens a store read-only on a filesystem that refuses (and
// counts) every write attempt: every read works without a single attempt, every write verb
// fails with ErrReadOnly before trying, and no lock file appears.
func TestReadOnlyStoreNeverWrites(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	w, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	vs := hashstoretest.Vectors()
	for _, v := range vs {
		_, err := w.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID))
		require.NoError(t, err)
		_, err = w.StoreMetadata(t.Context(), v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
	}
	require.NoError(t, os.RemoveAll(filepath.Join(root, "locks")))
	before := listAll(t, root)

	ffs := faultfs.New(afero.NewOsFs())
	ffs.SetReadOnly(true)
	s, err := hashstore.Open(root, hashstore.WithFs(ffs), hashstore.WithReadOnly())
	require.NoError(t, err)
	ctx := t.Context()
	v := vs[0]

	r, err := s.RetrieveObject(ctx, v.PID, hashstore.WithVerify())
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, r)
	require.NoError(t, err)
	r.Close()
	m, err := s.RetrieveMetadata(ctx, v.PID)
	require.NoError(t, err)
	m.Close()
	_, err = s.GetHexDigest(ctx, v.PID, "SHA3-256")
	require.NoError(t, err)
	_, err = s.FindObject(ctx, v.PID)
	require.NoError(t, err)

	writes := map[string]error{}
	_, writes["StoreObject"] = s.StoreObject(ctx, bytes.NewReader([]byte("x")), hashstore.WithPID("new"))
	writes["TagObject"] = s.TagObject(ctx, "new", v.CID)
	_, writes["StoreMetadata"] = s.StoreMetadata(ctx, v.PID, bytes.NewReader([]byte("<x/>")))
	writes["DeleteObject"] = s.DeleteObject(ctx, v.PID)
	writes["DeleteMetadata"] = s.DeleteMetadata(ctx, v.PID, hashstore.DefaultNamespace)
	writes["DeleteAllMetadata"] = s.DeleteAllMetadata(ctx, v.PID)
	writes["DeleteIfInvalidObject"] = s.DeleteIfInvalidObject(ctx,
		hashstore.ObjectMetadata{CID: v.CID, Size: v.Size, HexDigests: v.Digests}, "00", "MD5", v.Size)
	for verb, err := range writes {
		assert.ErrorIs(t, err, hashstore.ErrReadOnly, verb)
	}
	assert.Zero(t, ffs.Injected(), "a read-only store must not even attempt a write")
	assert.Equal(t, before, listAll(t, root))
	_, err = os.Stat(filepath.Join(root, "locks"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "no lock directory")
}
