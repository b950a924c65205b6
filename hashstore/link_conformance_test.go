package hashstore_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestConformanceLinkFile runs the store's conformance suite on the OS filesystem with every
// object added by hard link: each Put writes the data to a fresh file outside the store and
// links it in with StoreFile (tagged when the options carry a pid, untagged otherwise), so the
// tag, find, retrieve, digest and delete cases run on linked objects.
//
// No case needs skipping (Harness.Skip): the cases whose premise is a stream (a failing,
// cancelled, stalling or one-byte-at-a-time reader, temp files while a store is under way, the
// object files' mode) call StoreObject directly or skip themselves when Put is set.
func TestConformanceLinkFile(t *testing.T) {
	h := hashstoretest.FileHashStore(hashstoretest.OSRoot)
	h.Put = func(t *testing.T, e *hashstoretest.Env, data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
		s, ok := e.Store.(*hashstore.FileHashStore)
		require.True(t, ok, "store is %T", e.Store)
		src := filepath.Join(t.TempDir(), "source")
		require.NoError(t, os.WriteFile(src, data, 0o644))
		meta, _, err := s.StoreFile(e.Context, src, append(slices.Clip(opts), linkFile)...)
		return meta, err
	}
	hashstoretest.Run(t, h)
}

// TestConformanceLinkFileMem runs the conformance suite on the memory filesystem, where the
// store emulates hard links, with files outside the store's root.
func TestConformanceLinkFileMem(t *testing.T) {
	h := hashstoretest.FileHashStore(hashstoretest.MemRoot)
	h.Put = func(t *testing.T, e *hashstoretest.Env, data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
		s, ok := e.Store.(*hashstore.FileHashStore)
		require.True(t, ok, "store is %T", e.Store)
		f, err := afero.TempFile(e.Fs, "/sources", "src")
		require.NoError(t, err)
		_, err = f.Write(data)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		meta, _, err := s.StoreFile(e.Context, f.Name(), append(slices.Clip(opts), linkFile)...)
		return meta, err
	}
	hashstoretest.Run(t, h)
}
