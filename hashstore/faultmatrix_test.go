package hashstore_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// The fault matrix drives every public mutating verb through every injection point: for each
// kind of file-system call the verb makes (counted by faultfs on a run without faults) and each
// k up to that count, a fresh store in the verb's starting state has its k-th call of that
// kind fail with EIO, and the verb runs. Writes are also made to fail as on a disk that fills
// up: from the k-th write on, every write fails with ENOSPC (so rollbacks that write fail
// too), and with FailWritesAfter at a few byte offsets (a short write, then nothing). After
// each run:
//
//   - the verb either returned an *hashstore.OpError carrying the injected errno, or it
//     returned what it returns without faults (the failure was absorbed);
//   - the store's files (rbListing: every file with its content and mode, every directory with
//     its mode; lock files excluded) are exactly those before the call or exactly those after
//     a fault-free call, where the only difference ignored is an empty directory inside a
//     shard area (objects/, metadata/, refs/pids/, refs/cids/; see ignorableDir) that the
//     expected state lacks: shard directories made for a write that then failed stay, as in
//     both reference implementations. An absorbed failure must leave the "after" state;
//   - the temp directories are empty;
//   - an audit (no repair, no grace) reports exactly what it reports on the matching state:
//     nothing for the verbs that start from a consistent store;
//
// with three documented exceptions, asserted precisely:
//
//   - a deletion whose final unlink of a "_delete" file fails: the deletion has happened (the
//     renames are its commit point), the verb returns success and logs the unlink failure, and
//     the store is the "after" state plus exactly those "_delete" files (each holding what its
//     original held before the call). The audit reports each as leftover_delete and nothing
//     else; audit --repair removes them and the store is then exactly "after";
//   - StoreObject of content already stored, whose unlink of its own temp copy fails: the
//     object is stored and tagged, the verb returns success, and the store is "after" plus
//     exactly that temp file (holding the data) in objects/tmp, no longer claimed by anyone.
//     The audit reports it as abandoned_temp and nothing else; audit --repair removes it;
//   - converter.Convert whose sysmeta write fails after the object was linked and tagged:
//     documented (Convert's doc comment) to leave the object tagged without its sysmeta and
//     to say "convert again"; that state is accepted with that error only, and converting
//     again completes it.
//
// A read-only variant (faultfs.SetReadOnly) runs every verb once: it must fail with EROFS in
// an *hashstore.OpError and leave the store exactly as it was (not even a directory made),
// unless the verb has nothing to write (then it may succeed, changing nothing).
//
// Most verbs run on afero's memory filesystem, which keeps the matrix fast; the hard-link
// verbs (StoreFile and converter.Convert) need OS paths and run on faultfs over the OS
// filesystem. -faultmatrix.os (or HASHSTORE_FAULTMATRIX_OS=1) runs every verb there. Stores
// are opened with the default WithSync(true), so every fsync is an injection point.

var fmAllOS = flag.Bool("faultmatrix.os", false, "run every verb of the fault matrix on the OS filesystem (env HASHSTORE_FAULTMATRIX_OS=1)")

// fmEnv is the world of one matrix run.
type fmEnv struct {
	t      testing.TB
	base   afero.Fs
	root   string
	ffs    *faultfs.FS
	s      *hashstore.FileHashStore // the store under test, on ffs
	src    string                   // a source file outside the store (OS verbs only)
	srcDir string
	meta   hashstore.ObjectMetadata // what setup's untagged store returned, for DeleteIfInvalidObject
}

// fmVerb is one row of the matrix: a verb in a starting state.
type fmVerb struct {
	name string
	onOS bool
	// setup brings a new store (plain, on the base filesystem, no fsyncs) to the starting
	// state.
	setup func(e *fmEnv, s *hashstore.FileHashStore)
	run   func(ctx context.Context, e *fmEnv) error
	// ok says whether err is the verb's result without faults (nil if ok is nil).
	ok func(err error) bool
	// partial, if set, brings a fresh starting state to the documented intermediate state a
	// failure may leave, and partialErr recognises the error that must come with it.
	partial    func(ctx context.Context, e *fmEnv) error
	partialErr func(err error) bool
}

var (
	fmDoi  = hashstoretest.Vectors()[0]
	fmJtao = hashstoretest.Vectors()[1]
)

const (
	fmOtherPID = "fm.other.pid"
	fmFmtEML   = "eml://ecoinformatics.org/eml-2.1.1"
	fmBadMD5   = "00000000000000000000000000000000"
)

// fmBase is the content every starting state has besides the verb's own: another object with
// its pid and sysmeta, so that shard directories and refs are not all new.
func fmBase(t testing.TB, s *hashstore.FileHashStore) {
	t.Helper()
	ctx := t.Context()
	_, err := s.StoreObject(ctx, bytes.NewReader(fmDoi.Data()), hashstore.WithPID(fmDoi.PID))
	require.NoError(t, err)
	_, err = s.StoreMetadata(ctx, fmDoi.PID, bytes.NewReader(fmDoi.Sysmeta()))
	require.NoError(t, err)
}

func fmStore(t testing.TB, s *hashstore.FileHashStore, data []byte, opts ...hashstore.StoreOption) hashstore.ObjectMetadata {
	t.Helper()
	m, err := s.StoreObject(t.Context(), bytes.NewReader(data), opts...)
	require.NoError(t, err)
	return m
}

func fmMeta(t testing.TB, s *hashstore.FileHashStore, pid string, doc []byte, opts ...hashstore.MetadataOption) {
	t.Helper()
	_, err := s.StoreMetadata(t.Context(), pid, bytes.NewReader(doc), opts...)
	require.NoError(t, err)
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// fmVerbs returns the rows of the matrix: with -faultmatrix.os, all on the OS filesystem.
func fmVerbs() []fmVerb {
	verbs := fmVerbList()
	if *fmAllOS || os.Getenv("HASHSTORE_FAULTMATRIX_OS") == "1" {
		for i := range verbs {
			verbs[i].onOS = true
		}
	}
	return verbs
}

func fmVerbList() []fmVerb {
	v := fmJtao
	data := v.Data()
	md5 := v.Digests[hashstore.MD5]
	size := int64(len(data))
	storeWithPID := func(ctx context.Context, e *fmEnv) error {
		_, err := e.s.StoreObject(ctx, bytes.NewReader(data), hashstore.WithPID(v.PID), hashstore.WithChecksum(md5, hashstore.MD5), hashstore.WithExpectedSize(size))
		return err
	}
	deletePID := func(ctx context.Context, e *fmEnv) error { return e.s.DeleteObject(ctx, v.PID) }
	tagged := func(e *fmEnv, s *hashstore.FileHashStore) {
		fmBase(e.t, s)
		fmStore(e.t, s, data, hashstore.WithPID(v.PID))
		fmMeta(e.t, s, v.PID, v.Sysmeta())
		fmMeta(e.t, s, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmFmtEML))
	}
	rel := func(e *fmEnv, p string) string { return filepath.Join(e.root, filepath.FromSlash(p)) }
	return []fmVerb{
		{name: "StoreObject/pid", setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: storeWithPID},
		{name: "StoreObject/no_pid", setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: func(ctx context.Context, e *fmEnv) error {
				_, err := e.s.StoreObject(ctx, bytes.NewReader(data))
				return err
			}},
		{name: "StoreObject/dedupe_onto_tagged", run: storeWithPID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data, hashstore.WithPID(fmOtherPID))
			}},
		{name: "StoreObject/dedupe_onto_untagged", run: storeWithPID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data)
			}},
		{name: "TagObject/new_cid_refs",
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data)
			},
			run: func(ctx context.Context, e *fmEnv) error { return e.s.TagObject(ctx, v.PID, v.CID) }},
		{name: "TagObject/existing_cid_refs",
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data, hashstore.WithPID(fmOtherPID))
			},
			run: func(ctx context.Context, e *fmEnv) error { return e.s.TagObject(ctx, v.PID, v.CID) }},
		{name: "DeleteIfInvalidObject/deleting", ok: isErr(hashstore.ErrChecksumMismatch),
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				e.meta = fmStore(e.t, s, data)
			},
			run: func(ctx context.Context, e *fmEnv) error {
				return e.s.DeleteIfInvalidObject(ctx, e.meta, fmBadMD5, hashstore.MD5, size)
			}},
		{name: "DeleteIfInvalidObject/keeping_valid",
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				e.meta = fmStore(e.t, s, data)
			},
			run: func(ctx context.Context, e *fmEnv) error {
				// Without SHA-256 among the digests given, the stored object is reread to check it.
				m := e.meta
				m.HexDigests = map[hashstore.Algorithm]string{hashstore.MD5: md5}
				return e.s.DeleteIfInvalidObject(ctx, m, v.Digests[hashstore.SHA256], hashstore.SHA256, size)
			}},
		{name: "DeleteIfInvalidObject/keeping_referenced", ok: isErr(hashstore.ErrChecksumMismatch),
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				e.meta = fmStore(e.t, s, data, hashstore.WithPID(fmOtherPID))
			},
			run: func(ctx context.Context, e *fmEnv) error {
				return e.s.DeleteIfInvalidObject(ctx, e.meta, fmBadMD5, hashstore.MD5, size)
			}},
		{name: "StoreMetadata/new",
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data, hashstore.WithPID(v.PID))
			},
			run: func(ctx context.Context, e *fmEnv) error {
				_, err := e.s.StoreMetadata(ctx, v.PID, bytes.NewReader(v.Sysmeta()))
				return err
			}},
		{name: "StoreMetadata/replacing",
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data, hashstore.WithPID(v.PID))
				fmMeta(e.t, s, v.PID, []byte("<old/>"))
			},
			run: func(ctx context.Context, e *fmEnv) error {
				_, err := e.s.StoreMetadata(ctx, v.PID, bytes.NewReader(v.Sysmeta()))
				return err
			}},
		{name: "DeleteObject/last_pid", setup: tagged, run: deletePID},
		{name: "DeleteObject/shared", run: deletePID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				tagged(e, s)
				require.NoError(e.t, s.TagObject(e.t.Context(), fmOtherPID, v.CID))
			}},
		{name: "DeleteObject/orphan_pid_refs", run: deletePID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				tagged(e, s)
				require.NoError(e.t, e.base.Remove(rel(e, v.CIDRefsPath)))
			}},
		{name: "DeleteObject/orphan_pid_refs_no_object", run: deletePID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				tagged(e, s)
				require.NoError(e.t, e.base.Remove(rel(e, v.CIDRefsPath)))
				require.NoError(e.t, e.base.Remove(rel(e, v.ObjectPath)))
			}},
		{name: "DeleteObject/pid_not_in_cid_refs", run: deletePID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				tagged(e, s)
				require.NoError(e.t, s.TagObject(e.t.Context(), fmOtherPID, v.CID))
				require.NoError(e.t, afero.WriteFile(e.base, rel(e, v.CIDRefsPath), []byte(fmOtherPID+"\n"), 0o664))
			}},
		{name: "DeleteObject/object_missing", run: deletePID,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				tagged(e, s)
				require.NoError(e.t, e.base.Remove(rel(e, v.ObjectPath)))
			}},
		{name: "DeleteMetadata", setup: tagged,
			run: func(ctx context.Context, e *fmEnv) error { return e.s.DeleteMetadata(ctx, v.PID, fmFmtEML) }},
		{name: "DeleteMetadata/absent", setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: func(ctx context.Context, e *fmEnv) error { return e.s.DeleteMetadata(ctx, v.PID, fmFmtEML) }},
		{name: "DeleteAllMetadata", setup: tagged,
			run: func(ctx context.Context, e *fmEnv) error { return e.s.DeleteAllMetadata(ctx, v.PID) }},

		// The verbs that take a source file, on faultfs over the OS filesystem.
		{name: "StoreFile/link", onOS: true,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: func(ctx context.Context, e *fmEnv) error {
				_, _, err := e.s.StoreFile(ctx, e.src, hashstore.WithLink(hashstore.LinkFile), hashstore.WithPID(v.PID), hashstore.WithChecksum(md5, hashstore.MD5))
				return err
			}},
		{name: "StoreFile/link_no_pid", onOS: true,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: func(ctx context.Context, e *fmEnv) error {
				_, _, err := e.s.StoreFile(ctx, e.src, hashstore.WithLink(hashstore.LinkFile), hashstore.WithExpectedSize(size))
				return err
			}},
		{name: "StoreFile/link_dedupe", onOS: true,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) {
				fmBase(e.t, s)
				fmStore(e.t, s, data, hashstore.WithPID(fmOtherPID))
			},
			run: func(ctx context.Context, e *fmEnv) error {
				_, _, err := e.s.StoreFile(ctx, e.src, hashstore.WithLink(hashstore.LinkFile), hashstore.WithPID(v.PID))
				return err
			}},
		{name: "StoreFile/copy", onOS: true,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: func(ctx context.Context, e *fmEnv) error {
				_, _, err := e.s.StoreFile(ctx, e.src, hashstore.WithPID(v.PID), hashstore.WithExpectedSize(size))
				return err
			}},
		{name: "converter.Convert", onOS: true,
			setup: func(e *fmEnv, s *hashstore.FileHashStore) { fmBase(e.t, s) },
			run: func(ctx context.Context, e *fmEnv) error {
				_, err := converter.New(e.s, hashstore.LinkFile).Convert(ctx, e.src, v.PID, v.Sysmeta())
				return err
			},
			partial: func(ctx context.Context, e *fmEnv) error {
				_, _, err := e.s.StoreFile(ctx, e.src, hashstore.WithLink(hashstore.LinkFile), hashstore.WithPID(v.PID))
				return err
			},
			partialErr: func(err error) bool { return strings.Contains(err.Error(), "convert again") }},
	}
}

// fmNewEnv makes a store in verb's starting state and opens the store under test on a
// faultfs over it, with nothing counted yet.
func fmNewEnv(t testing.TB, verb fmVerb) *fmEnv {
	t.Helper()
	e := &fmEnv{t: t}
	if verb.onOS {
		dir := t.TempDir()
		e.base, e.root, e.srcDir = afero.NewOsFs(), filepath.Join(dir, "store"), filepath.Join(dir, "src")
		require.NoError(t, os.Mkdir(e.srcDir, 0o755))
		e.src = filepath.Join(e.srcDir, "source")
		require.NoError(t, os.WriteFile(e.src, fmJtao.Data(), 0o640))
		past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		require.NoError(t, os.Chtimes(e.src, past, past))
	} else {
		e.base, e.root = afero.NewMemMapFs(), "/store"
	}
	plain, err := hashstore.New(e.root, hashstore.DefaultConfig(), hashstore.WithFs(e.base), hashstore.WithSync(false))
	require.NoError(t, err)
	verb.setup(e, plain)
	e.ffs = faultfs.New(e.base)
	e.s, err = hashstore.Open(e.root, hashstore.WithFs(e.ffs))
	require.NoError(t, err)
	e.ffs.Reset()
	return e
}

// plain opens a second store on the same root without faults (for audits and re-runs).
func (e *fmEnv) plain() *hashstore.FileHashStore {
	e.t.Helper()
	s, err := hashstore.Open(e.root, hashstore.WithFs(e.base), hashstore.WithSync(false))
	require.NoError(e.t, err)
	return s
}

func (e *fmEnv) listing() map[string]string { return rbListing(e.t, e.base, e.root) }

func (e *fmEnv) srcState() string {
	if e.src == "" {
		return ""
	}
	fi, err := os.Stat(e.src)
	require.NoError(e.t, err)
	b, err := os.ReadFile(e.src)
	require.NoError(e.t, err)
	return fmt.Sprintf("%v %v %x", fi.Mode(), fi.ModTime(), b)
}

// fmState is a listing with the audit findings it has.
type fmState struct {
	files map[string]string
	audit []string
}

// fmPoint is one injection point.
type fmPoint struct {
	name  string
	kind  string // the op, or "enospc_from_write" / "enospc_after_bytes"
	errno syscall.Errno
	arm   func(f *faultfs.FS)
}

// fmProbe is what a fault-free run of a verb shows.
type fmProbe struct {
	before, after, partial fmState
	counts                 map[faultfs.Op]int
	writeBytes             int64
}

func fmRunProbe(t *testing.T, verb fmVerb) fmProbe {
	var p fmProbe
	e := fmNewEnv(t, verb)
	p.before = fmState{e.listing(), nil}
	p.before.audit, _ = rbAudit(t, e.plain(), false)
	err := verb.run(t.Context(), e)
	if verb.ok != nil {
		require.True(t, verb.ok(err), "the verb without faults: %v", err)
	} else {
		require.NoError(t, err, "the verb without faults")
	}
	p.counts = e.ffs.Counts()
	p.after = fmState{e.listing(), nil}
	p.after.audit, _ = rbAudit(t, e.plain(), false)
	require.Empty(t, rbTemps(t, e.base, e.root))
	if verb.partial != nil {
		e := fmNewEnv(t, verb)
		require.NoError(t, verb.partial(t.Context(), e))
		p.partial = fmState{e.listing(), nil}
		p.partial.audit, _ = rbAudit(t, e.plain(), false)
	}
	// How many bytes the verb writes: the least FailWritesAfter limit that injects nothing.
	injects := func(n int64) bool {
		e := fmNewEnv(t, verb)
		e.ffs.FailWritesAfter(n, syscall.ENOSPC)
		_ = verb.run(t.Context(), e)
		return e.ffs.Injected() > 0
	}
	if p.counts[faultfs.OpWrite] > 0 {
		hi := int64(256)
		for injects(hi) {
			hi *= 4
		}
		lo := int64(0) // injects(lo) is true: there are writes
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if injects(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		p.writeBytes = hi
	}
	return p
}

// fmPoints lists the injection points of a verb whose fault-free run made counts calls.
func fmPoints(p fmProbe) []fmPoint {
	var pts []fmPoint
	for _, op := range faultfs.AllOps() {
		for k := 1; k <= p.counts[op]; k++ {
			pts = append(pts, fmPoint{name: fmt.Sprintf("%v_%d_EIO", op, k), kind: op.String(), errno: syscall.EIO,
				arm: func(f *faultfs.FS) { f.FailAt(op, k, syscall.EIO) }})
		}
	}
	// A disk that is full from the k-th write on: that write and every later one (rollbacks
	// included) fail.
	for k := 1; k <= p.counts[faultfs.OpWrite]; k++ {
		pts = append(pts, fmPoint{name: fmt.Sprintf("write_%d+_ENOSPC", k), kind: "enospc_from_write", errno: syscall.ENOSPC,
			arm: func(f *faultfs.FS) {
				for j := k; j < k+64; j++ {
					f.FailAt(faultfs.OpWrite, j, syscall.ENOSPC)
				}
			}})
	}
	// A disk that fills up after n bytes: a short write, then nothing.
	if n := p.writeBytes; n > 0 {
		seen := map[int64]bool{}
		for _, off := range []int64{0, 1, n / 3, n / 2, n - 65, n - 1} {
			if off < 0 || off >= n || seen[off] {
				continue
			}
			seen[off] = true
			pts = append(pts, fmPoint{name: fmt.Sprintf("after_%d_bytes_ENOSPC", off), kind: "enospc_after_bytes", errno: syscall.ENOSPC,
				arm: func(f *faultfs.FS) { f.FailWritesAfter(off, syscall.ENOSPC) }})
		}
	}
	return pts
}

// fmOutcome names what a run ended in.
type fmOutcome string

const (
	outAbsorbed       fmOutcome = "succeeded (fault absorbed)"
	outLeftoverDelete fmOutcome = "succeeded, _delete file left for audit"
	outLeftoverTemp   fmOutcome = "succeeded, temp file left for audit"
	outFailedBefore   fmOutcome = "failed, store as before"
	outFailedAfter    fmOutcome = "failed, change complete"
	outPartial        fmOutcome = "failed, documented partial"
)

// fmCheck runs the verb with one injection point armed and checks the outcome.
func fmCheck(t *testing.T, verb fmVerb, p fmProbe, pt fmPoint) fmOutcome {
	e := fmNewEnv(t, verb)
	src := e.srcState()
	pt.arm(e.ffs)
	err := verb.run(t.Context(), e)
	require.Positive(t, e.ffs.Injected(), "the point was not reached")
	got := e.listing()
	temps := rbTemps(t, e.base, e.root)
	assert.Equal(t, src, e.srcState(), "the source file changed")
	audit, _ := rbAudit(t, e.plain(), false)

	okResult := err == nil
	if verb.ok != nil {
		okResult = verb.ok(err)
	}
	if okResult && !errors.Is(err, pt.errno) && !faultfs.IsInjected(err) {
		if d := rbDiff(got, p.after.files); len(d) == 0 {
			assert.Equal(t, p.after.audit, audit, "audit")
			return outAbsorbed
		}
		return fmCheckLeftover(t, e, p, got, audit)
	}
	assert.Empty(t, temps, "temp files left (err %v)", err)

	require.Error(t, err, "the verb reported success")
	var oe *hashstore.OpError
	assert.True(t, errors.As(err, &oe), "not an *hashstore.OpError: %T %v", err, err)
	assert.ErrorIs(t, err, pt.errno, "the injected errno is lost")
	dBefore, dAfter := rbDiff(got, p.before.files), rbDiff(got, p.after.files)
	switch {
	case len(dBefore) == 0:
		assert.Equal(t, p.before.audit, audit, "audit")
		return outFailedBefore
	case len(dAfter) == 0:
		assert.Equal(t, p.after.audit, audit, "audit")
		return outFailedAfter
	case verb.partial != nil && len(rbDiff(got, p.partial.files)) == 0:
		assert.Equal(t, p.partial.audit, audit, "audit")
		assert.True(t, verb.partialErr(err), "the documented intermediate state without its error: %v", err)
		// Running the verb again completes it.
		e.ffs.Reset()
		require.NoError(t, verb.run(t.Context(), e))
		assert.Empty(t, rbDiff(e.listing(), p.after.files), "a re-run must complete the change")
		return outPartial
	}
	t.Errorf("failed (%v), leaving a store that is neither as before nor as after:\nvs before: %s\nvs after: %s\naudit: %v",
		err, strings.Join(dBefore, "\n  "), strings.Join(dAfter, "\n  "), audit)
	return ""
}

// fmCheckLeftover accepts a successful run that could not unlink a file it no longer needed:
// a "_delete" file (a deletion's renames are its commit point; the unlink after them failed) or
// a temp file (StoreObject of content already stored discards its temp copy). Each is only
// logged by the store. The store must be exactly the "after" state plus those files, each
// "_delete" file holding what its original held before and each temp file the data the verb
// stored; the audit reports each (leftover_delete, abandoned_temp) and nothing else; audit
// --repair removes them and the store is then exactly "after".
func fmCheckLeftover(t *testing.T, e *fmEnv, p fmProbe, got map[string]string, audit []string) fmOutcome {
	want := map[string]string{}
	for k, v := range p.after.files {
		want[k] = v
	}
	wantAudit := append([]string{}, p.after.audit...)
	out := outLeftoverDelete
	for path, desc := range got {
		if _, inAfter := p.after.files[path]; inAfter {
			continue
		}
		if orig, ok := strings.CutSuffix(path, "_delete"); ok {
			if p.before.files[orig] != desc {
				t.Errorf("%s holds %.60q, not what %s held before (%.60q)", path, desc, orig, p.before.files[orig])
			}
			want[path] = desc
			wantAudit = append(wantAudit, "leftover_delete "+path)
		}
		if strings.HasPrefix(path, "objects/tmp/") {
			if desc != "f -rw-rw-r-- "+string(fmJtao.Data()) {
				t.Errorf("%s holds %.60q, not the data stored", path, desc)
			}
			want[path] = desc
			wantAudit = append(wantAudit, "abandoned_temp "+path)
			out = outLeftoverTemp
		}
	}
	sort.Strings(wantAudit)
	if d := rbDiff(got, want); len(d) > 0 || len(want) == len(p.after.files) {
		t.Errorf("succeeded, but the store is not as after (plus files left to the audit):\n  %s", strings.Join(d, "\n  "))
		return ""
	}
	assert.Equal(t, wantAudit, audit, "the audit reports the leftovers, and nothing else")
	repaired, _ := rbAudit(t, e.plain(), true)
	assert.Len(t, repaired, len(wantAudit))
	assert.Empty(t, rbDiff(e.listing(), p.after.files), "after audit --repair the store is as after")
	again, _ := rbAudit(t, e.plain(), false)
	assert.Equal(t, p.after.audit, again)
	return out
}

// TestFaultMatrix is the matrix described at the top of this file.
func TestFaultMatrix(t *testing.T) {
	type row struct {
		verb    string
		points  int
		byOp    map[string]int
		results map[fmOutcome]int
	}
	var (
		mu   sync.Mutex
		rows []row
	)
	t.Run("verbs", func(t *testing.T) {
		for _, verb := range fmVerbs() {
			t.Run(verb.name, func(t *testing.T) {
				t.Parallel()
				p := fmRunProbe(t, verb)
				r := row{verb: verb.name, byOp: map[string]int{}, results: map[fmOutcome]int{}}
				for _, pt := range fmPoints(p) {
					r.points++
					r.byOp[pt.kind]++
					var out fmOutcome
					ok := t.Run(pt.name, func(t *testing.T) {
						out = fmCheck(t, verb, p, pt)
						t.Log(out)
					})
					if !ok {
						out = "FAILED"
					}
					r.results[out]++
				}
				mu.Lock()
				rows = append(rows, r)
				mu.Unlock()
			})
		}
	})
	sort.Slice(rows, func(i, j int) bool { return rows[i].verb < rows[j].verb })
	total := map[fmOutcome]int{}
	points := 0
	for _, r := range rows {
		points += r.points
		var ops, res []string
		for op, n := range r.byOp {
			ops = append(ops, fmt.Sprintf("%s=%d", op, n))
		}
		for o, n := range r.results {
			res = append(res, fmt.Sprintf("%s: %d", o, n))
			total[o] += n
		}
		sort.Strings(ops)
		sort.Strings(res)
		t.Logf("%-42s %4d points (%s)\n%48s%s", r.verb, r.points, strings.Join(ops, " "), "", strings.Join(res, "; "))
	}
	t.Logf("fault matrix: %d verbs x injection points = %d runs; outcomes: %v", len(rows), points, total)
}

// TestFaultMatrixReadOnly runs every verb once on a filesystem that has turned read-only.
func TestFaultMatrixReadOnly(t *testing.T) {
	var refused, nothing []string
	var mu sync.Mutex
	t.Run("verbs", func(t *testing.T) {
		fmReadOnly(t, func(name string, wrote bool) {
			mu.Lock()
			defer mu.Unlock()
			if wrote {
				refused = append(refused, name)
			} else {
				nothing = append(nothing, name)
			}
		})
	})
	sort.Strings(nothing)
	t.Logf("read-only filesystem: %d verbs refused with EROFS, store unchanged; %d had nothing to write and succeeded: %v",
		len(refused), len(nothing), nothing)
}

func fmReadOnly(t *testing.T, note func(name string, wrote bool)) {
	for _, verb := range fmVerbs() {
		t.Run(verb.name, func(t *testing.T) {
			t.Parallel()
			e := fmNewEnv(t, verb)
			before := e.listing()
			beforeAudit, _ := rbAudit(t, e.plain(), false)
			e.ffs.SetReadOnly(true)
			err := verb.run(t.Context(), e)
			assert.Equal(t, before, e.listing(), "a read-only filesystem must not change: %v", err)
			assert.Empty(t, rbTemps(t, e.base, e.root))
			audit, _ := rbAudit(t, e.plain(), false)
			assert.Equal(t, beforeAudit, audit)
			note(verb.name, e.ffs.Injected() > 0)
			if e.ffs.Injected() == 0 {
				// The verb had nothing to write.
				if verb.ok != nil {
					assert.True(t, verb.ok(err), "%v", err)
				} else {
					assert.NoError(t, err)
				}
				return
			}
			require.Error(t, err)
			var oe *hashstore.OpError
			assert.True(t, errors.As(err, &oe), "not an *hashstore.OpError: %T %v", err, err)
			assert.ErrorIs(t, err, syscall.EROFS)
		})
	}
}
