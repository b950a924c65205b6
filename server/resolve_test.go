package server

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// TestResolutionCacheFollowsTheStore: once a pid is remembered, reads skip the store's lookup,
// yet every change the store makes (delete, store again, another pid on the object, broken
// references, a new system metadata document, an object changed in place, a missing object)
// is seen at once, whether the caches hold the files open or look them up by path.
func TestResolutionCacheFollowsTheStore(t *testing.T) {
	for _, hold := range []bool{true, false} {
		t.Run(map[bool]string{true: "held", false: "by path"}[hold], func(t *testing.T) {
			f := newFixture(t, nil)
			if hold && !f.srv.holdFiles {
				t.Skip("the test directory's filesystem is not one the server holds files on")
			}
			f.srv.holdFiles = hold
			resolutionCacheFollowsTheStore(t, f)
		})
	}
}

func resolutionCacheFollowsTheStore(t *testing.T, f *fixture) {
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
	r, _ := f.srv.resolved.get("p.1")
	assert.Equal(t, f.srv.holdFiles, r.object != nil, "a small object is held open when files are held")
	r.files.release()

	require.NoError(t, os.WriteFile(info.ObjectPath, []byte("sec0nd"), 0o444), "changed in place, as a disk error would")
	code, _ = get()
	assert.Equal(t, http.StatusInternalServerError, code, "the changed object is refused, not sent from the held file")
	require.NoError(t, os.WriteFile(info.ObjectPath+".new", []byte("second"), 0o444))
	require.NoError(t, os.Rename(info.ObjectPath+".new", info.ObjectPath), "repaired by replacing the file")
	warm("second")

	require.NoError(t, os.Rename(info.ObjectPath, filepath.Join(f.root, "moved")))
	code, _ = get()
	assert.Equal(t, http.StatusInternalServerError, code, "the object is missing")
	_, err = f.store.FindObject(ctx, "p.1")
	assert.ErrorIs(t, err, hashstore.ErrObjectMissing)
}

// TestHeldFilesUnderEviction: with a cache far smaller than the pids read, entries are evicted
// while other requests still read their files; every response is complete and right, and the
// files held stay within the caches' bounds (three per resolution, one per document).
func TestHeldFilesUnderEviction(t *testing.T) {
	f := newFixture(t, nil)
	if !f.srv.holdFiles {
		t.Skip("the test directory's filesystem is not one the server holds files on")
	}
	f.srv.resolved.limit, f.srv.sysmeta.limit = 4, 4
	const pids = 24
	for i := range pids {
		f.put(fmt.Sprintf("e.%d", i), bytes.Repeat([]byte{byte(i)}, 1000+i), true)
	}
	before := openFiles(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for k := range 60 {
				i := (w*7 + k) % pids
				resp, body := f.do(http.MethodGet, fmt.Sprintf("/mn/v2/object/e.%d", i), nil)
				if !assert.Equal(t, http.StatusOK, resp.StatusCode) || !assert.Equal(t, bytes.Repeat([]byte{byte(i)}, 1000+i), body) {
					return
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, openFiles(t)-before, 3*4+4+8, "held files beyond the caches' bounds (and the test's connections)")
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(fds)
}
