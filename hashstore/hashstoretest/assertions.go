package hashstoretest

// Assertions the cases share: about errors, about what a call left on disk, and about the
// digests, refs files and directories of a store.

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// errorAs returns the E in err's chain (E is an error type such as *hashstore.TaggedError),
// and asserts that there is one.
func errorAs[E error](t *testing.T, err error) (E, bool) {
	t.Helper()
	var target E
	ok := errors.As(err, &target)
	assert.True(t, ok, "want %T in the error chain, got %T: %v", target, err, err)
	return target, ok
}

// requireAs is errorAs that stops the test when err has no E.
func requireAs[E error](t *testing.T, err error) E {
	t.Helper()
	target, ok := errorAs[E](t, err)
	if !ok {
		t.FailNow()
	}
	return target
}

// requireBroken asserts err is a *OrphanRefsError for pid with the given reason (and so
// matches ErrOrphanRefs), and returns it.
func requireBroken(t *testing.T, err error, pid string, reason error) *hashstore.OrphanRefsError {
	t.Helper()
	require.Error(t, err)
	be := requireAs[*hashstore.OrphanRefsError](t, err)
	assert.ErrorIs(t, err, hashstore.ErrOrphanRefs)
	assert.ErrorIs(t, err, reason)
	assert.Equal(t, reason, be.Reason)
	if pid != "" {
		assert.Equal(t, pid, be.PID)
	}
	return be
}

// findBroken calls FindObject for pid and asserts that it reports pid's broken references with
// reason (a *OrphanRefsError, never ErrNotFound) and changes nothing. It returns what FindObject
// filled in, and the error.
func findBroken(t *testing.T, e *Env, pid string, reason error) (hashstore.ObjectInfo, *hashstore.OrphanRefsError) {
	t.Helper()
	var info hashstore.ObjectInfo
	err := changesNothing(t, e, func() error {
		var err error
		info, err = e.Store.FindObject(e.Context, pid)
		return err
	})
	assert.NotErrorIs(t, err, hashstore.ErrNotFound)
	return info, requireBroken(t, err, pid, reason)
}

// requireTagged asserts err is a *TaggedError matching sentinel, with the cids given.
func requireTagged(t *testing.T, err error, sentinel error, pid, existing, requested string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, sentinel)
	te := requireAs[*hashstore.TaggedError](t, err)
	assert.Equal(t, pid, te.PID)
	assert.Equal(t, existing, te.ExistingCID)
	assert.Equal(t, requested, te.CID)
}

// requireCorrupt asserts err is a *CorruptObjectError for cid.
func requireCorrupt(t *testing.T, err error, cid string) *hashstore.CorruptObjectError {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, hashstore.ErrCorrupt)
	ce := requireAs[*hashstore.CorruptObjectError](t, err)
	assert.Equal(t, cid, ce.CID)
	return ce
}

// assertConfigMismatch asserts err is a *ConfigMismatchError naming key.
func assertConfigMismatch(t *testing.T, err error, key string) {
	t.Helper()
	require.ErrorIs(t, err, hashstore.ErrConfigMismatch)
	ce := requireAs[*hashstore.ConfigMismatchError](t, err)
	assert.Equal(t, key, ce.Key)
	assert.Contains(t, err.Error(), key, "the message names the key")
}

// unchanged asserts that the store's tree (storeTree: files with their content, and
// directories) is what before, an earlier storeTree, recorded.
func unchanged(t *testing.T, e *Env, before map[string]string, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, before, storeTree(e), msgAndArgs...)
}

// changesNothing runs fn and asserts that it left the store's tree unchanged. It returns fn's
// error.
func changesNothing(t *testing.T, env *Env, fn func() error) error {
	t.Helper()
	before := storeTree(env)
	err := callSafely(t, fn)
	unchanged(t, env, before, "the store must be unchanged")
	return err
}

// rejectsWith asserts that fn fails with an error matching target and leaves the store
// unchanged, temp directories included.
func rejectsWith(t *testing.T, env *Env, target error, fn func() error, msgAndArgs ...any) error {
	t.Helper()
	err := changesNothing(t, env, fn)
	assert.ErrorIs(t, err, target, msgAndArgs...)
	return err
}

// errPanicked stands for the error of a call that panicked (the panic is reported by
// callSafely).
var errPanicked = errors.New("call panicked")

// callSafely runs fn, turning a panic into a test failure and errPanicked, so that one broken
// call cannot take the whole suite down.
func callSafely(t *testing.T, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("call panicked: %v", r)
			err = errPanicked
		}
	}()
	return fn()
}

// assertDigestSet asserts that got holds exactly the keys given, each with v's digest.
func assertDigestSet(t *testing.T, v Vector, got map[hashstore.Algorithm]string, keys ...hashstore.Algorithm) {
	t.Helper()
	gotKeys := slices.Sorted(maps.Keys(got))
	want := slices.Sorted(slices.Values(keys))
	assert.Equal(t, want, gotKeys, "digest map keys for %s", v.PID)
	for _, k := range keys {
		require.NotEmpty(t, v.Digests[k], "vector has no %s digest", k)
		assert.Equal(t, v.Digests[k], got[k], "%s of %s", k, v.PID)
	}
}

// assertStoredVector asserts that v is stored and tagged exactly as the references would leave
// it: the object at its path with its bytes, the pid refs holding the cid, the cid refs listing
// the pid.
func assertStoredVector(t *testing.T, e *Env, v Vector) {
	t.Helper()
	assert.Equal(t, ObjectPath(v.CID), v.ObjectPath, "vector table")
	got := e.ReadFile(v.ObjectPath)
	assert.Equal(t, v.CID, SHA256Hex(got), "object content hashes to its cid")
	assert.True(t, bytes.Equal(v.Data(), got), "object bytes")
	assert.Equal(t, v.CID, string(e.ReadFile(v.PIDRefsPath)), "pid refs content")
	assert.Contains(t, strings.Split(string(e.ReadFile(v.CIDRefsPath)), "\n"), v.PID, "cid refs lists the pid")
}

// tagged asserts that pid is fully tagged to cid on disk: the pid refs file holds exactly cid
// and the cid refs file lists pid on a line of its own.
func tagged(t *testing.T, e *Env, pid, cid string) {
	t.Helper()
	assert.Equal(t, cid, string(e.ReadFile(PIDRefsPath(pid))), "pid refs of %s", pid)
	assert.Contains(t, cidRefsLines(t, e, cid), pid, "cid refs of %s", cid)
}

// assertCIDRefsExactly asserts cid's refs file lists exactly pids (in any order), each once on
// its own "\n"-terminated line.
func assertCIDRefsExactly(t *testing.T, e *Env, cid string, pids []string) {
	t.Helper()
	assert.True(t, bytes.HasSuffix(e.ReadFile(CIDRefsPath(cid)), []byte("\n")), "every line ends in \\n")
	assert.ElementsMatch(t, pids, cidRefsLines(t, e, cid))
}

// requireNothingLeft asserts the store holds no object, metadata document or refs file, and
// no temp or "_delete" file.
func requireNothingLeft(t *testing.T, e *Env) {
	t.Helper()
	assert.Zero(t, e.Count("objects"), "objects: %v", e.Files("objects"))
	assert.Zero(t, e.Count("metadata"), "metadata: %v", e.Files("metadata"))
	assert.Zero(t, e.Count("refs/pids"), "pid refs: %v", e.Files("refs/pids"))
	assert.Zero(t, e.Count("refs/cids"), "cid refs: %v", e.Files("refs/cids"))
	assert.Empty(t, deleteLeftovers(e))
	e.TmpEmpty()
}

// assertDirs asserts that each store-relative path is a directory.
func assertDirs(t *testing.T, e *Env, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		fi, err := e.Fs.Stat(e.Path(d))
		if assert.NoError(t, err, d) {
			assert.True(t, fi.IsDir(), d)
		}
	}
}
