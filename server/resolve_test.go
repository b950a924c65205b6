package server

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// TestResolutionCacheFollowsTheStore: once a pid is remembered, reads skip the store's lookup,
// yet every change the store makes (delete, store again, another pid on the object, broken
// references, a new system metadata document, a missing object) is seen at once.
func TestResolutionCacheFollowsTheStore(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	get := func() (int, string) {
		resp, body := f.do(http.MethodGet, "/mn/v2/object/p.1", nil)
		return resp.StatusCode, string(body)
	}
	warm := func(want string) {
		t.Helper()
		for range 3 {
			code, body := get()
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, want, body)
		}
		_, ok := f.srv.resolved.get("p.1")
		require.True(t, ok, "remembered after the second read")
	}
	f.put("p.1", []byte("first"), true)
	warm("first")

	require.NoError(t, f.store.DeleteObject(ctx, "p.1"))
	code, _ := get()
	assert.Equal(t, http.StatusNotFound, code, "deleted")

	f.put("p.1", []byte("second"), true)
	code, body := get()
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "second", body, "stored again with other content")
	warm("second")

	require.NoError(t, f.store.TagObject(ctx, "p.2", sha256Hex([]byte("second"))))
	code, body = get()
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "second", body, "another pid on the same object")
	warm("second")

	_, err := f.store.StoreMetadata(ctx, "p.1", bytes.NewReader(sysmetaDoc(t, "p.1", []byte("second"), false)))
	require.NoError(t, err)
	code, _ = get()
	assert.Equal(t, http.StatusUnauthorized, code, "the new system metadata withdrew public read")
	_, err = f.store.StoreMetadata(ctx, "p.1", bytes.NewReader(sysmetaDoc(t, "p.1", []byte("second"), true)))
	require.NoError(t, err)
	warm("second")

	info, err := f.store.FindObject(ctx, "p.1")
	require.NoError(t, err)
	cidRefs, err := os.ReadFile(info.CIDRefsPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(info.CIDRefsPath+".tmp", []byte("p.2\n"), 0o664))
	require.NoError(t, os.Rename(info.CIDRefsPath+".tmp", info.CIDRefsPath))
	code, _ = get()
	assert.Equal(t, http.StatusInternalServerError, code, "the cid refs no longer list the pid: broken, not served")
	require.NoError(t, os.WriteFile(info.CIDRefsPath, cidRefs, 0o664))
	warm("second")

	require.NoError(t, os.Rename(info.ObjectPath, filepath.Join(f.root, "moved")))
	code, _ = get()
	assert.Equal(t, http.StatusInternalServerError, code, "the object is missing")
	_, err = f.store.FindObject(ctx, "p.1")
	assert.ErrorIs(t, err, hashstore.ErrObjectMissing)
}
