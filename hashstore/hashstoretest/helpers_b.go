package hashstoretest

// Helpers for the cases of CONFORMANCE.md sections 5-14 and 17-18 (cases_tag.go ... cases_interop.go).

import (
	"bytes"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// invalidIDs are ids every call rejects with ErrInvalidArgument: empty, whitespace only, and
// containing whitespace anywhere (both references; Go's zero value "" stands in for Java's
// null).
var invalidIDs = []string{"", " ", "   ", "\t", "\n", "dou.test.1\n", "hello \n", "a b", "pid\t"}

// unknownAlgorithms are algorithm names no implementation here supports.
var unknownAlgorithms = []hashstore.Algorithm{"SM3", "sm3", "abc", "SHA-DOU", "md10"}

// javaCID is a cid with no object that the reference suites tag (abcdef123456789).
const javaCID = "abcdef123456789"

// vectorByPID returns the reference vector with that pid.
func vectorByPID(t *testing.T, pid string) Vector {
	t.Helper()
	for _, v := range Vectors() {
		if v.PID == pid {
			return v
		}
	}
	t.Fatalf("no vector %q", pid)
	return Vector{}
}

// storeTree is e.Tree() restricted to the on-disk contract of FORMAT.md: hashstore.yaml and
// everything under objects/, metadata/ and refs/ (files with their content, and directories).
// Anything else under the root, such as the lock files an implementation keeps in locks/, is
// not part of the format and is left out.
func storeTree(e *Env) map[string]string {
	out := map[string]string{}
	for p, h := range e.Tree() {
		if p == "hashstore.yaml" || strings.HasPrefix(p, "objects/") || strings.HasPrefix(p, "metadata/") || strings.HasPrefix(p, "refs/") {
			out[p] = h
		}
	}
	return out
}

// unchanged asserts that the store (files and directories, with content, see storeTree) is
// what before, an earlier storeTree, recorded.
func unchanged(t *testing.T, e *Env, before map[string]string, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, before, storeTree(e), msgAndArgs...)
}

// fileTree is storeTree without the directories (failed operations may leave empty shard
// directories behind, which both references do too).
func fileTree(e *Env) map[string]string { return fileOnly(storeTree(e)) }

// fileOnly drops the directory entries of a Tree.
func fileOnly(tree map[string]string) map[string]string {
	out := map[string]string{}
	for p, h := range tree {
		if h != "dir/" {
			out[p] = h
		}
	}
	return out
}

// deleteLeftovers lists files under the root whose names end in "_delete".
func deleteLeftovers(e *Env) []string {
	var out []string
	for p := range fileTree(e) {
		if strings.HasSuffix(p, "_delete") {
			out = append(out, p)
		}
	}
	return out
}

// requireBroken asserts err is a *OrphanRefsError for pid with the given reason (and so
// matches ErrOrphanRefs), and returns it.
func requireBroken(t *testing.T, err error, pid string, reason error) *hashstore.OrphanRefsError {
	t.Helper()
	require.Error(t, err)
	var be *hashstore.OrphanRefsError
	require.True(t, errors.As(err, &be), "want *OrphanRefsError, got %T: %v", err, err)
	assert.ErrorIs(t, err, hashstore.ErrOrphanRefs)
	assert.ErrorIs(t, err, reason)
	assert.Equal(t, reason, be.Reason)
	if pid != "" {
		assert.Equal(t, pid, be.PID)
	}
	return be
}

// requireTagged asserts err is a *TaggedError matching sentinel, with the cids given.
func requireTagged(t *testing.T, err error, sentinel error, pid, existing, requested string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, sentinel)
	var te *hashstore.TaggedError
	require.True(t, errors.As(err, &te), "want *TaggedError, got %T: %v", err, err)
	assert.Equal(t, pid, te.PID)
	assert.Equal(t, existing, te.ExistingCID)
	assert.Equal(t, requested, te.CID)
}

// putDataOnly stores data without a pid and fails the test on error.
func putDataOnly(t *testing.T, e *Env, data []byte) hashstore.ObjectMetadata {
	t.Helper()
	meta, err := e.Put(data)
	require.NoError(t, err)
	return meta
}

// tagged asserts that pid is fully tagged to cid on disk: the pid refs file holds exactly cid
// and the cid refs file lists pid on a line of its own.
func tagged(t *testing.T, e *Env, pid, cid string) {
	t.Helper()
	assert.Equal(t, cid, string(e.ReadFile(PIDRefsPath(pid))), "pid refs of %s", pid)
	assert.Contains(t, cidRefsLines(t, e, cid), pid, "cid refs of %s", cid)
}

// cidRefsLines returns the lines of cid's refs file, split on "\n" with the final empty
// element dropped (so a file without a final newline shows as a line too).
func cidRefsLines(t *testing.T, e *Env, cid string) []string {
	t.Helper()
	s := string(e.ReadFile(CIDRefsPath(cid)))
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// writeForeignTag writes the references a reference implementation would leave for pid -> cid,
// with cidRefs as the exact cid refs bytes (Java: "pid", Python: "pid\n").
func writeForeignTag(e *Env, pid, cid string, cidRefs []byte) {
	e.WriteFile(PIDRefsPath(pid), []byte(cid))
	e.WriteFile(CIDRefsPath(cid), cidRefs)
}

// openOnFaultFs opens a second store on the same root through a fault-injecting view of the
// environment's filesystem. Failures armed on the returned *faultfs.FS hit that store only.
func openOnFaultFs(t *testing.T, e *Env) (hashstore.Store, *faultfs.FS) {
	t.Helper()
	ffs := faultfs.New(e.Fs)
	s, err := e.H.Open(t, ffs, e.Root, e.Config)
	require.NoError(t, err)
	return s, ffs
}

// errInjected is the cause used for injected failures.
var errInjected = syscall.EIO

// faultOps are the kinds of call the failure matrices make fail, one call at a time. Remove is
// left out: it only runs on cleanup paths, where a failure is a second fault.
var faultOps = []faultfs.Op{
	faultfs.OpCreate, faultfs.OpOpen, faultfs.OpWrite, faultfs.OpSync, faultfs.OpClose,
	faultfs.OpRename, faultfs.OpMkdir, faultfs.OpChmod, faultfs.OpStat, faultfs.OpReadDir,
}

// failureMatrix runs op once per failure point: for every kind in faultOps and k = 1, 2, ...
// it makes a fresh store, runs setup on it, then runs op on a fault-injecting view with the
// k-th call of that kind failing, until op no longer reaches a k-th call.
//
// The files (storeTree without directories) must then be in one of two states: as after a run
// of op with nothing failing (required when op returned nil), or, when op returned an error,
// also as they were before op. An fsync that fails after the last rename may leave the change
// made but not known to be durable, so the "done" state is accepted with an error; a third
// state (half a change: a dangling reference, a stray temp or "_delete" file) never is. check,
// if not nil, is called with every run's environment and error for further assertions.
func failureMatrix(t *testing.T, e *Env, setup func(*Env), op func(hashstore.Store) error, check func(t *testing.T, env *Env, err error)) {
	t.Helper()
	clean := NewEnv(t, e.H, e.Config)
	setup(clean)
	require.NoError(t, op(clean.Store), "the operation without failures")
	done := fileTree(clean)
	for _, kind := range faultOps {
		for k := 1; k < 200; k++ {
			env := NewEnv(t, e.H, e.Config)
			setup(env)
			before := fileTree(env)
			s, ffs := openOnFaultFs(t, env)
			ffs.FailAt(kind, k, errInjected)
			err := op(s)
			if ffs.Injected() == 0 {
				require.NoError(t, err, "%v call %d was not reached, so nothing failed", kind, k)
				break
			}
			t.Run(kind.String()+"_"+strconv.Itoa(k), func(t *testing.T) {
				after := fileTree(env)
				switch {
				case err == nil:
					assert.Equal(t, done, after, "succeeded despite the failure, so the change must be complete")
				case equalTrees(after, before):
				case equalTrees(after, done):
					t.Logf("failed (%v) after completing the change", err)
				default:
					assert.Equal(t, before, after, "failed (%v): the files must be as before (or as after success), not half changed", err)
				}
				env.TmpEmpty()
				if check != nil {
					check(t, env, err)
				}
			})
		}
	}
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// readAll reads r to the end, returning what was read and the error that ended it (nil for a
// clean io.EOF).
func readAll(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	_, err := io.Copy(&b, r)
	return b.Bytes(), err
}

// readFileAt reads a file by the full path the store reported.
func readFileAt(e *Env, p string) ([]byte, error) {
	f, err := e.Fs.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f)
}

// retrieveMeta reads a whole metadata document through RetrieveMetadata.
func retrieveMeta(t *testing.T, e *Env, pid string, opts ...hashstore.MetadataOption) ([]byte, error) {
	t.Helper()
	r, err := e.Store.RetrieveMetadata(e.Context, pid, opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readAll(r)
}

// storeMeta stores a document and fails the test on error, returning the path.
func storeMeta(t *testing.T, e *Env, pid string, doc []byte, opts ...hashstore.MetadataOption) string {
	t.Helper()
	p, err := e.Store.StoreMetadata(e.Context, pid, bytes.NewReader(doc), opts...)
	require.NoError(t, err)
	return p
}

// metadataDir is metadata/shard(H(pid)), computed independently.
func metadataDir(pid string) string { return path.Dir(MetadataPath(pid, "")) }

// retrieveAll opens pid's object and reads it to the end.
func retrieveAll(t *testing.T, e *Env, pid string, opts ...hashstore.RetrieveOption) ([]byte, error) {
	t.Helper()
	r, err := e.Store.RetrieveObject(e.Context, pid, opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readAll(r)
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

// runParallel runs fn(i) for i in [0, n) on workers goroutines and returns the errors by i.
func runParallel(n, workers int, fn func(i int) error) []error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}
