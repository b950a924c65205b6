package links_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/links"
)

// TestConformanceHardLinks runs the store's conformance suite on the OS filesystem with every
// object added by hard link: each Put writes the data to a fresh source file outside the store
// and links it in (StoreHardLink when the options carry a pid, Link without one), so the tag,
// find, retrieve, digest and delete cases run on linked objects.
//
// No case needs skipping (Harness.Skip): the cases whose premise is a stream (a failing,
// cancelled, stalling or one-byte-at-a-time reader, temp files while a store is under way, the
// object files' mode) call StoreObject directly or skip themselves when Put is set, and
// StoreObject is the store's own.
func TestConformanceHardLinks(t *testing.T) {
	h := hashstoretest.FileHashStore(hashstoretest.OSRoot)
	h.Put = func(t *testing.T, e *hashstoretest.Env, data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
		fhs, ok := e.Store.(*hashstore.FileHashStore)
		require.True(t, ok, "store is %T", e.Store)
		ls, err := links.New(fhs)
		require.NoError(t, err)
		src := filepath.Join(t.TempDir(), "source")
		require.NoError(t, os.WriteFile(src, data, 0o644))
		if plan, err := fhs.PlanStore(opts...); err == nil && plan.PID != "" {
			return ls.StoreHardLink(e.Context, src, plan.PID, opts...)
		}
		res, err := ls.Link(e.Context, src, links.StoreOptions(opts...))
		return res.Object, err
	}
	hashstoretest.Run(t, h)
}

// TestConformanceHardLinksMem runs the conformance suite on the memory filesystem with the
// memory linker, sources being files outside the store's root.
func TestConformanceHardLinksMem(t *testing.T) {
	var mu sync.Mutex
	linkers := map[afero.Fs]*links.MemLinker{}
	h := hashstoretest.FileHashStore(hashstoretest.MemRoot)
	h.Put = func(t *testing.T, e *hashstoretest.Env, data []byte, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
		fhs, ok := e.Store.(*hashstore.FileHashStore)
		require.True(t, ok, "store is %T", e.Store)
		mem := e.Fs
		mu.Lock()
		ml := linkers[mem]
		if ml == nil {
			ml = links.NewMemLinker(mem)
			linkers[mem] = ml
		}
		mu.Unlock()
		ls, err := links.New(fhs, links.WithLinker(ml))
		require.NoError(t, err)
		f, err := afero.TempFile(mem, "/sources", "src")
		require.NoError(t, err)
		_, err = f.Write(data)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		res, err := ls.Link(e.Context, f.Name(), links.StoreOptions(opts...))
		return res.Object, err
	}
	hashstoretest.Run(t, h)
}
