package hashstoretest

// docs/CONFORMANCE.md section 12: DeleteObject (docs/FORMAT.md 7.8). Go follows Java where the
// references disagree: a pid whose references exist but whose object is missing is cleaned up
// (Python crashes half way), and an emptied cid refs file is deleted.

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func deleteWithMetadata(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	for _, p := range []string{v.ObjectPath, v.SysmetaPath, MetadataPath(v.PID, fmtEML), v.PIDRefsPath, v.CIDRefsPath} {
		assert.False(t, e.Exists(p), p)
	}
	requireNothingLeft(t, e)
}

func deleteAtEveryFailurePoint(t *testing.T, e *Env) {
	// Whatever single file-system call fails, DeleteObject either removes everything or
	// fails leaving every file as it was (the "_delete" renames are undone).
	v := Vectors()[0]
	failureMatrix(t, e,
		func(env *Env) {
			env.PutVector(v)
			env.PutSysmeta(v)
			storeMeta(t, env, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
		},
		func(s hashstore.Store) error { return s.DeleteObject(e.Context, v.PID) },
		func(t *testing.T, env *Env, err error) {
			if err == nil {
				requireNothingLeft(t, env)
			}
		})
}

func deleteSharedAtEveryFailurePoint(t *testing.T, e *Env) {
	// As above where the cid refs file is rewritten (another pid keeps the object): never
	// a pid refs file left whose pid the cid refs file no longer lists.
	v := Vectors()[1]
	failureMatrix(t, e,
		func(env *Env) {
			env.PutVector(v)
			require.NoError(t, env.Store.TagObject(env.Context, "dou.test.2", v.CID))
			env.PutSysmeta(v)
		},
		func(s hashstore.Store) error { return s.DeleteObject(e.Context, v.PID) },
		func(t *testing.T, env *Env, err error) {
			if err == nil {
				assert.Equal(t, "dou.test.2\n", string(env.ReadFile(v.CIDRefsPath)))
				assert.True(t, env.Exists(v.ObjectPath))
				assert.Empty(t, deleteLeftovers(env))
			}
		})
}

func deleteWithoutMetadata(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.False(t, e.Exists(v.ObjectPath))
	requireNothingLeft(t, e)
}

func directoriesRemain(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assertDirs(t, e, "objects", "objects/4d/19/81", "refs/cids/4d/19/81", "refs/pids/0d/55/5e", metadataDir(v.PID), "metadata")
}

func deleteAllThree(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
		e.PutSysmeta(v)
	}
	for _, v := range Vectors() {
		require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	}
	requireNothingLeft(t, e)
}

func deleteSharedObject(t *testing.T, e *Env) {
	v := Vectors()[2]
	e.PutVector(v)
	e.PutSysmeta(v)
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", v.CID))
	storeMeta(t, e, "dou.test.2", []byte("<other/>"))
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.False(t, e.Exists(v.PIDRefsPath))
	assert.False(t, e.Exists(v.SysmetaPath))
	assert.Equal(t, "dou.test.2\n", string(e.ReadFile(v.CIDRefsPath)))
	assert.Equal(t, v.Data(), e.ReadFile(v.ObjectPath))
	assert.True(t, e.Exists(MetadataPath("dou.test.2", hashstore.DefaultNamespace)))
	got, err := retrieveAll(e, "dou.test.2")
	require.NoError(t, err)
	assert.Equal(t, v.Data(), got)
}

func deletePidRemovedFromCidRefs(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.2", v.CID))
	e.WriteFile(v.CIDRefsPath, []byte("dou.test.2\n")) // v.PID taken out
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.False(t, e.Exists(v.PIDRefsPath))
	assert.Equal(t, "dou.test.2\n", string(e.ReadFile(v.CIDRefsPath)))
	assert.True(t, e.Exists(v.ObjectPath))
	_, err := e.Store.FindObject(e.Context, "dou.test.2")
	assert.NoError(t, err)
}

func deleteTaggedPidWithoutObject(t *testing.T, e *Env) {
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", javaCID))
	storeMeta(t, e, "dou.test.1", Vectors()[0].Sysmeta())
	require.NoError(t, e.Store.DeleteObject(e.Context, "dou.test.1"))
	requireNothingLeft(t, e)
}

func deleteUnknownPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	// metadata alone does not make a pid deletable through DeleteObject
	storeMeta(t, e, "dou.test.1", []byte("<x/>"))
	before := storeTree(e)
	err := e.Store.DeleteObject(e.Context, "dou.test.1")
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	unchanged(t, e, before)
}

func deleteObjectInvalidPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	before := storeTree(e)
	for _, pid := range invalidIDs {
		assert.ErrorIs(t, e.Store.DeleteObject(e.Context, pid), hashstore.ErrInvalidArgument, "%q", pid)
	}
	unchanged(t, e, before)
}

func delete100PidsSequentially(t *testing.T, e *Env) {
	v := Vectors()[1]
	for i := range 100 {
		_, err := e.Put(v.Data(), hashstore.WithPID(fmt.Sprintf("dou.test.%d", i)))
		require.NoError(t, err)
	}
	require.Equal(t, 1, e.Count("objects"))
	require.Len(t, cidRefsLines(t, e, v.CID), 100)
	for i := range 100 {
		require.NoError(t, e.Store.DeleteObject(e.Context, fmt.Sprintf("dou.test.%d", i)))
	}
	requireNothingLeft(t, e)
}

func store300By3ThenDeleteBy3(t *testing.T, e *Env) {
	vs := Vectors()
	pid := func(i int) string { return fmt.Sprintf("dou.test.%d", i) }
	var wg sync.WaitGroup
	errs := make([]error, 300)
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g * 100; i < (g+1)*100; i++ {
				_, errs[i] = e.Put(vs[i%3].Data(), hashstore.WithPID(pid(i)))
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, pid(i))
	}
	require.Equal(t, 3, e.Count("objects"))
	require.Equal(t, 300, e.Count("refs/pids"))
	for _, v := range vs {
		require.Len(t, cidRefsLines(t, e, v.CID), 100)
	}
	// Deleted in another partition than stored: goroutine g deletes pid g, g+3, ..., every pid
	// of one cid, where each storing goroutine stored pids of all three.
	errs = concurrently(300, 3, func(i int) error { return e.Store.DeleteObject(e.Context, pid(i)) })
	for i, err := range errs {
		require.NoError(t, err, pid(i))
	}
	requireNothingLeft(t, e)
}

func store1000ThenDeleteConcurrently(t *testing.T, e *Env) {
	data := []byte("one object shared by a thousand pids\n")
	pid := func(i int) string { return fmt.Sprintf("dou.test.%04d", i) }
	errs := concurrently(1000, 16, func(i int) error {
		_, err := e.Put(data, hashstore.WithPID(pid(i)))
		return err
	})
	for i, err := range errs {
		require.NoError(t, err, pid(i))
	}
	require.Equal(t, 1, e.Count("objects"))
	require.Equal(t, 1000, e.Count("refs/pids"))
	lines := cidRefsLines(t, e, SHA256Hex(data))
	require.Len(t, lines, 1000)
	for _, l := range lines {
		require.True(t, strings.HasPrefix(l, "dou.test."), l)
	}
	errs = concurrently(1000, 16, func(i int) error { return e.Store.DeleteObject(e.Context, pid(i)) })
	for i, err := range errs {
		require.NoError(t, err, pid(i))
	}
	requireNothingLeft(t, e)
}

func deleteOrphanPidRefs(t *testing.T, e *Env) {
	// Python and Java both clean the pid's own files up and leave the object alone.
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	e.Remove(v.CIDRefsPath)
	require.NoError(t, e.Store.DeleteObject(e.Context, v.PID))
	assert.False(t, e.Exists(v.PIDRefsPath))
	assert.Zero(t, e.Count("metadata"))
	assert.Equal(t, v.Data(), e.ReadFile(v.ObjectPath), "object untouched")
	assert.Empty(t, deleteLeftovers(e))
}
