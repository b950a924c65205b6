package hashstoretest

// docs/CONFORMANCE.md sections 2 and 3: StoreObject with and without a pid (docs/FORMAT.md 7.1,
// 7.2).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func storeVectors(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta, err := e.Put(v.Data(), hashstore.WithPID(v.PID))
		require.NoError(t, err, v.PID)
		assert.Equal(t, v.CID, meta.CID, "C037 cid")
		assert.Equal(t, v.PID, meta.PID, "C038 pid")
		assert.Equal(t, v.Size, meta.Size, "C039 size")
		assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...) // C040
	}
}

func dataAsFileOrStream(t *testing.T, e *Env) {
	// Go takes any io.Reader: an open file (Python's path inputs), a plain stream, and a
	// stream that returns one byte per Read.
	vs := Vectors()
	src := outsideRoot(e, "input")
	require.NoError(t, afero.WriteFile(e.Fs, src, vs[0].Data(), 0o644))
	f, err := e.Fs.Open(src)
	require.NoError(t, err)
	defer f.Close()
	readers := []io.Reader{f, strings.NewReader(string(vs[1].Data())), iotest.OneByteReader(bytes.NewReader(vs[2].Data()))}
	for i, v := range vs {
		meta, err := e.Store.StoreObject(e.Context, readers[i], hashstore.WithPID(v.PID))
		require.NoError(t, err, v.PID)
		assert.Equal(t, v.CID, meta.CID)
		assert.Equal(t, v.Size, meta.Size)
		assertStoredVector(t, e, v)
	}
}

func threeVectorsFileCounts(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
	}
	var objects, pidRefs, cidRefs []string
	for _, v := range Vectors() {
		objects = append(objects, v.ObjectPath)
		pidRefs = append(pidRefs, v.PIDRefsPath)
		cidRefs = append(cidRefs, v.CIDRefsPath)
	}
	assert.ElementsMatch(t, objects, e.Files("objects"))
	assert.ElementsMatch(t, pidRefs, e.Files("refs/pids"))
	assert.ElementsMatch(t, cidRefs, e.Files("refs/cids"))
	e.TmpEmpty()
}

func objectPathAndContent(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v)
		assert.Equal(t, v.ObjectPath, ObjectPath(meta.CID))
		assertStoredVector(t, e, v)
	}
}

func objectFileMode(t *testing.T, e *Env) {
	// Go's policy (documented on hashstore.WithFileMode/WithDirMode) is Python's: files 0664,
	// directories 0755, whatever the umask; Java's 0640/0750 is selectable. Either way every
	// file the store writes has the one policy mode.
	if e.H.Put != nil {
		t.Skip("objects placed by the harness's Put keep their source's mode")
	}
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	mode := modeOf(t, e, v.ObjectPath)
	assert.Contains(t, policyFileModes, mode, "object mode %v", mode)
	for _, p := range []string{v.PIDRefsPath, v.CIDRefsPath, v.SysmetaPath} {
		assert.Equal(t, mode, modeOf(t, e, p), p)
	}
}

func dataNil(t *testing.T, e *Env) {
	rejectsWith(t, e, hashstore.ErrInvalidArgument, func() error {
		_, err := e.Store.StoreObject(e.Context, nil, hashstore.WithPID("dou.test.1"))
		return err
	})
	e.TmpEmpty()
}

func pidEmpty(t *testing.T, e *Env) {
	// WithPID("") is Go's null and empty pid alike.
	rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[0].Data(), hashstore.WithPID("")))
}

func pidSpace(t *testing.T, e *Env) {
	for _, pid := range []string{" ", "   "} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[0].Data(), hashstore.WithPID(pid)), "%q", pid)
	}
}

func pidTrailingNewline(t *testing.T, e *Env) {
	rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[0].Data(), hashstore.WithPID("dou.test.1\n")))
}

func pidTrailingTab(t *testing.T, e *Env) {
	rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[0].Data(), hashstore.WithPID("dou.test.1\t")))
}

func invalidPIDDataUntouched(t *testing.T, e *Env) {
	// An invalid pid is refused before any data is read (Python checks the pid before it
	// opens the data path).
	for _, pid := range []string{"", "dou.test.1\n"} {
		r := &countingReader{r: bytes.NewReader(Vectors()[0].Data())}
		rejectsWith(t, e, hashstore.ErrInvalidArgument, func() error {
			_, err := e.Store.StoreObject(e.Context, r, hashstore.WithPID(pid))
			return err
		}, "%q", pid)
		_, calls := r.consumed()
		assert.Zero(t, calls, "the data must not be read")
	}
}

func expectedSizeZero(t *testing.T, e *Env) {
	// Both references refuse an expected size of 0. We depart from them deliberately, because
	// DataONE objects may be empty: 0 is a size like any other, "the data is empty". Negative
	// sizes (Java's -1 "not given" included) are refused, before any data is read.
	for _, n := range []int64{-1, -1000} {
		r := &countingReader{r: bytes.NewReader(Vectors()[0].Data())}
		rejectsWith(t, e, hashstore.ErrInvalidArgument, func() error {
			_, err := e.Store.StoreObject(e.Context, r, hashstore.WithPID("dou.test.1"), hashstore.WithExpectedSize(n))
			return err
		}, "size %d", n)
		_, calls := r.consumed()
		assert.Zero(t, calls, "the data must not be read")
	}

	// Size 0 with data: a size mismatch that stores nothing, found by reading one byte.
	r := &countingReader{r: bytes.NewReader(Vectors()[0].Data())}
	err := rejectsWith(t, e, hashstore.ErrSizeMismatch, func() error {
		_, err := e.Store.StoreObject(e.Context, r, hashstore.WithPID("dou.test.1"), hashstore.WithExpectedSize(0))
		return err
	})
	if se, ok := errorAs[*hashstore.SizeMismatchError](t, err); ok {
		assert.Equal(t, int64(0), se.Expected)
		assert.True(t, se.AtLeast, "the source was read only one byte past the expected size")
	}
	read, _ := r.consumed()
	assert.LessOrEqual(t, read, int64(1), "bytes taken from a source longer than the expected 0")

	// Size 0 with empty data: stored and tagged.
	meta, err := e.Put(nil, hashstore.WithPID("dou.test.1"), hashstore.WithExpectedSize(0))
	require.NoError(t, err)
	assert.Equal(t, int64(0), meta.Size)
	assert.Equal(t, SHA256Hex(nil), meta.CID)
	assert.Empty(t, e.ReadFile(ObjectPath(meta.CID)))
	tagged(t, e, "dou.test.1", meta.CID)
}

func expectedSizeMatches(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v, hashstore.WithExpectedSize(v.Size))
		assert.Equal(t, v.Size, meta.Size)
		assertStoredVector(t, e, v)
	}
}

func expectedSizeWrong(t *testing.T, e *Env) {
	v := Vectors()[0]
	for _, n := range []int64{1000, 1234, v.Size - 1, v.Size + 1, 1 << 40} {
		err := rejectsWith(t, e, hashstore.ErrSizeMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithExpectedSize(n)), "size %d", n)
		if se, ok := errorAs[*hashstore.SizeMismatchError](t, err); ok {
			assert.Equal(t, n, se.Expected)
			if n > v.Size {
				assert.Equal(t, v.Size, se.Actual, "a short source's size is known exactly")
				assert.False(t, se.AtLeast)
			} else {
				assert.Greater(t, se.Actual, n)
			}
		}
		assert.False(t, e.Exists(v.ObjectPath), "no object stored")
	}
}

func additionalAlgorithmUnsupported(t *testing.T, e *Env) {
	for _, alg := range []string{"abc", "SM2", "SM3", "dou_algo", "md10", "SHA-DOU"} {
		rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, Vectors()[0].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithAdditionalAlgorithm(hashstore.Algorithm(alg))), alg)
	}
}

func additionalDefaultAlgorithm(t *testing.T, e *Env) {
	v := Vectors()[1]
	meta := e.PutVector(v, hashstore.WithAdditionalAlgorithm("SHA-384"))
	assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...) // no duplicate entry
}

func additionalSHA3_256(t *testing.T, e *Env) {
	v := Vectors()[1]
	for _, alg := range []string{"sha3-256", "sha3_256", "SHA3-256"} {
		env := NewEnv(t, e.H, e.Config)
		meta := env.PutVector(v, hashstore.WithAdditionalAlgorithm(hashstore.Algorithm(alg)))
		assert.Equal(t, "b748069cd0116ba59638e5f3500bbff79b41d6184bc242bd71f5cbbb8cf484cf", meta.HexDigests["SHA3-256"], alg)
		assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"SHA3-256"}, defaultDigestKeys...)...)
	}
}

func additionalMD2(t *testing.T, e *Env) {
	v := Vectors()[1]
	meta := e.PutVector(v, hashstore.WithAdditionalAlgorithm("MD2"))
	assert.Equal(t, "9c25df1c8ba1d2e57bb3fd4785878b85", meta.HexDigests["MD2"])
	assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"MD2"}, defaultDigestKeys...)...)
}

func checksumSHA3_256(t *testing.T, e *Env) {
	v := Vectors()[1]
	meta := e.PutVector(v, hashstore.WithChecksum(v.Digests["SHA3-256"], "sha3_256"))
	assert.Equal(t, v.CID, meta.CID)
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
}

func checksumSHA256(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v, hashstore.WithChecksum(v.Digests["SHA-256"], "SHA-256"))
		assertStoredVector(t, e, v)
	}
}

func checksumPlusAdditional(t *testing.T, e *Env) {
	v := Vectors()[1]
	meta := e.PutVector(v, hashstore.WithChecksum(v.Digests["SHA3-256"], "sha3_256"), hashstore.WithAdditionalAlgorithm("sha224"))
	assert.Equal(t, "9b3a96f434f3c894359193a63437ef86fbd5a1a1a6cc37f1d5013ac1", meta.HexDigests["SHA-224"])
	assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"SHA-224", "SHA3-256"}, defaultDigestKeys...)...)
}

func checksumAndAdditionalSame(t *testing.T, e *Env) {
	v := Vectors()[1]
	meta := e.PutVector(v, hashstore.WithChecksum(v.Digests["SHA3-256"], "sha3_256"), hashstore.WithAdditionalAlgorithm("sha3_256"))
	assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"SHA3-256"}, defaultDigestKeys...)...)
}

func checksumEmpty(t *testing.T, e *Env) {
	for _, alg := range []string{"SHA-256", "sha3_256"} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithChecksum("", hashstore.Algorithm(alg))), alg)
	}
}

func checksumBlank(t *testing.T, e *Env) {
	for _, sum := range []string{" ", "   ", "\n", "\t"} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithChecksum(sum, "sha3_256")), "%q", sum)
	}
}

func checksumNullWithAlgorithm(t *testing.T, e *Env) {
	// WithChecksum("", alg) is Go's null checksum.
	rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithChecksum("", "SHA-512/224")))
}

func checksumWrong(t *testing.T, e *Env) {
	v := Vectors()[1]
	other := Vectors()[0]
	for _, c := range []struct{ alg, key string }{{"sha224", "SHA-224"}, {"SHA-256", "SHA-256"}, {"MD5", "MD5"}} {
		err := rejectsWith(t, e, hashstore.ErrChecksumMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(other.Digests[hashstore.Algorithm(c.key)], hashstore.Algorithm(c.alg))), c.alg)
		if ce, ok := errorAs[*hashstore.ChecksumMismatchError](t, err); ok {
			assert.Equal(t, hashstore.Algorithm(c.key), ce.Algorithm)
			assert.Equal(t, other.Digests[hashstore.Algorithm(c.key)], ce.Expected)
			assert.Equal(t, v.Digests[hashstore.Algorithm(c.key)], ce.Actual)
		}
	}
	assert.Zero(t, e.Count("objects"), "nothing stored")
}

func checksumWrongCarriesDigests(t *testing.T, e *Env) {
	v := Vectors()[1]
	err := rejectsWith(t, e, hashstore.ErrChecksumMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID),
		hashstore.WithAdditionalAlgorithm("SHA-512/224"), hashstore.WithChecksum(strings.Repeat("0", 64), "SHA-256")))
	ce := requireAs[*hashstore.ChecksumMismatchError](t, err)
	assertDigestSet(t, v, ce.HexDigests, append([]hashstore.Algorithm{"SHA-512/224"}, defaultDigestKeys...)...)
}

func checksumAlgorithmUnsupported(t *testing.T, e *Env) {
	v := Vectors()[1]
	// Checksum and algorithm swapped.
	rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum("sha256", hashstore.Algorithm(v.Digests["SHA-256"]))))
	rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests["SHA-256"], "SM3")))
}

func checksumAlgorithmBlank(t *testing.T, e *Env) {
	v := Vectors()[1]
	for _, alg := range []string{"", "   ", "\n"} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests["SHA-256"], hashstore.Algorithm(alg))), "%q", alg)
	}
}

func sameContentSecondPID(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	meta, err := e.Put(v.Data(), hashstore.WithPID("dou.test.2"))
	require.NoError(t, err)
	assert.Equal(t, v.CID, meta.CID)
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
	e.TmpEmpty()
}

func sameContentThreePIDs(t *testing.T, e *Env) {
	v := Vectors()[0]
	pids := []string{v.PID, "dou.test.2", "dou.test.3"}
	for _, pid := range pids {
		_, err := e.Put(v.Data(), hashstore.WithPID(pid))
		require.NoError(t, err, pid)
	}
	assert.Equal(t, 3, e.Count("refs/pids"))
	assert.Equal(t, []string{v.CIDRefsPath}, e.Files("refs/cids"))
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
	// Go writes Python's form: one "pid\n" line per pid, in the order they were added.
	assert.Equal(t, strings.Join(pids, "\n")+"\n", string(e.ReadFile(v.CIDRefsPath)))
	for _, pid := range pids {
		assert.Equal(t, v.CID, string(e.ReadFile(PIDRefsPath(pid))), pid)
	}
}

func sameContentTwoPIDsListed(t *testing.T, e *Env) {
	v := Vectors()[2]
	e.PutVector(v)
	_, err := e.Put(v.Data(), hashstore.WithPID("dou.test.2"))
	require.NoError(t, err)
	assertCIDRefsExactly(t, e, v.CID, []string{v.PID, "dou.test.2"})
}

func samePIDWrongChecksum(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	rejectsWith(t, e, hashstore.ErrChecksumMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(strings.Repeat("a", 64), "sha256")))
	assert.Equal(t, 1, e.Count("objects"))
	e.TmpEmpty()
}

func concurrentSamePID(t *testing.T, e *Env) {
	const n = 5
	v := Vectors()[0]
	errs := concurrently(n, n, func(int) error {
		_, err := e.Store.StoreObject(e.Context, iotest.HalfReader(bytes.NewReader(v.Data())), hashstore.WithPID(v.PID))
		return err
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.True(t, errors.Is(err, hashstore.ErrInProgress) || errors.Is(err, hashstore.ErrAlreadyTagged), "unexpected error: %v", err)
	}
	assert.Equal(t, 1, ok, "exactly one call stores the pid")
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
	assert.Equal(t, []string{v.PIDRefsPath}, e.Files("refs/pids"))
	assert.Equal(t, v.PID+"\n", string(e.ReadFile(v.CIDRefsPath)))
	e.TmpEmpty()

	// Different contents under one pid: one wins, and (unlike the references) the losers
	// leave no untagged object behind.
	pid := "dou.race.1"
	datas := make([][]byte, n)
	for i := range datas {
		datas[i] = pseudoRandom(uint64(100+i), 50_000)
	}
	errs = concurrently(n, n, func(i int) error {
		_, err := e.Store.StoreObject(e.Context, iotest.HalfReader(bytes.NewReader(datas[i])), hashstore.WithPID(pid))
		return err
	})
	winner := -1
	for i, err := range errs {
		if err == nil {
			assert.Equal(t, -1, winner, "two calls stored pid %s", pid)
			winner = i
			continue
		}
		assert.True(t, errors.Is(err, hashstore.ErrInProgress) || errors.Is(err, hashstore.ErrPIDTaggedElsewhere), "unexpected error: %v", err)
	}
	require.NotEqual(t, -1, winner, "one call must store the pid")
	cid := SHA256Hex(datas[winner])
	assert.ElementsMatch(t, []string{v.ObjectPath, ObjectPath(cid)}, e.Files("objects"), "no orphan objects")
	assert.Equal(t, cid, string(e.ReadFile(PIDRefsPath(pid))))
	e.TmpEmpty()
}

func concurrentSixPIDsSameContent(t *testing.T, e *Env) {
	v := Vectors()[1]
	pids := make([]string, 6)
	for i := range pids {
		pids[i] = "dou.test." + string(rune('1'+i))
	}
	errs := concurrently(len(pids), len(pids), func(i int) error {
		_, err := e.Store.StoreObject(e.Context, iotest.HalfReader(bytes.NewReader(v.Data())), hashstore.WithPID(pids[i]))
		return err
	})
	for i, err := range errs {
		assert.NoError(t, err, pids[i])
	}
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
	assert.Equal(t, 6, e.Count("refs/pids"))
	assertCIDRefsExactly(t, e, v.CID, pids)
	for _, pid := range pids {
		assert.Equal(t, v.CID, string(e.ReadFile(PIDRefsPath(pid))), pid)
	}
	e.TmpEmpty()
}

func concurrentFiftyPIDs(t *testing.T, e *Env) {
	v := Vectors()[2]
	pids := make([]string, 50)
	for i := range pids {
		pids[i] = fmt.Sprintf("dou.pool.%d", i)
	}
	errs := concurrently(len(pids), len(pids), func(i int) error {
		_, err := e.Put(v.Data(), hashstore.WithPID(pids[i]))
		return err
	})
	for i, err := range errs {
		assert.NoError(t, err, pids[i])
	}
	assert.Equal(t, 50, e.Count("refs/pids"))
	assert.Equal(t, 1, e.Count("objects"))
	assertCIDRefsExactly(t, e, v.CID, pids)
	e.TmpEmpty()
}

func largeObject(t *testing.T, e *Env) {
	// The references store 1 GB; 64 MiB of random data exercises the same streaming path
	// (many read chunks, no whole-object buffer) in a fraction of the time.
	if testing.Short() {
		t.Skip("large object: skipped with -short")
	}
	const size = 64 << 20
	h := sha256.New()
	meta, err := e.Store.StoreObject(e.Context, io.TeeReader(pseudoRandomReader(7, size), h), hashstore.WithPID("dou.large.1"))
	require.NoError(t, err)
	cid := hex.EncodeToString(h.Sum(nil))
	assert.Equal(t, cid, meta.CID)
	assert.Equal(t, int64(size), meta.Size)
	f, err := e.Fs.Open(e.Path(ObjectPath(cid)))
	require.NoError(t, err)
	defer f.Close()
	h2 := sha256.New()
	n, err := io.Copy(h2, f)
	require.NoError(t, err)
	assert.Equal(t, int64(size), n)
	assert.Equal(t, cid, hex.EncodeToString(h2.Sum(nil)), "stored content hashes to the cid")
	assert.Equal(t, cid, string(e.ReadFile(PIDRefsPath("dou.large.1"))))
	e.TmpEmpty()
}

func interruptedLargeStore(t *testing.T, e *Env) {
	const size, half = 16 << 20, 8 << 20
	pid := "dou.interrupted.1"
	errBoom := errors.New("source failed")
	// A source that fails halfway.
	err := changesNothing(t, e, func() error {
		_, err := e.Store.StoreObject(e.Context, &failingReader{data: pseudoRandom(1, half), err: errBoom}, hashstore.WithPID(pid))
		return err
	})
	assert.ErrorIs(t, err, errBoom)
	e.TmpEmpty()
	// A context cancelled halfway (the Go form of an interrupted thread).
	ctx, cancel := context.WithCancel(e.Context)
	defer cancel()
	err = changesNothing(t, e, func() error {
		_, err := e.Store.StoreObject(ctx, &hookReader{r: pseudoRandomReader(2, size), after: half, hook: cancel}, hashstore.WithPID(pid))
		return err
	})
	assert.ErrorIs(t, err, context.Canceled)
	e.TmpEmpty()
	// The interrupted pid is not left "in progress".
	meta, err := e.Store.StoreObject(e.Context, pseudoRandomReader(3, size), hashstore.WithPID(pid))
	require.NoError(t, err)
	assert.Equal(t, meta.CID, string(e.ReadFile(PIDRefsPath(pid))))
	e.TmpEmpty()
}

func samePIDSameContentAgain(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	var meta hashstore.ObjectMetadata
	err := rejectsWith(t, e, hashstore.ErrAlreadyTagged, func() error {
		var err error
		meta, err = e.Put(v.Data(), hashstore.WithPID(v.PID))
		return err
	})
	if te, ok := errorAs[*hashstore.TaggedError](t, err); ok {
		assert.Equal(t, v.CID, te.ExistingCID)
		assert.Equal(t, v.CID, te.CID)
	}
	// The metadata is complete even then (docs/FORMAT.md 7.1), so a re-run can treat it as done.
	assert.Equal(t, v.CID, meta.CID)
}

func samePIDDifferentContent(t *testing.T, e *Env) {
	// Go differs from the references: they leave the new content behind as an untagged
	// object; Go leaves the store exactly as it was.
	v, w := Vectors()[0], Vectors()[1]
	e.PutVector(v)
	err := rejectsWith(t, e, hashstore.ErrPIDTaggedElsewhere, storeFn(e, w.Data(), hashstore.WithPID(v.PID)))
	if te, ok := errorAs[*hashstore.TaggedError](t, err); ok {
		assert.Equal(t, v.CID, te.ExistingCID)
		assert.Equal(t, w.CID, te.CID)
	}
	assert.False(t, e.Exists(w.ObjectPath), "no untagged object remains")
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
}

func checksumUpperCase(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v, hashstore.WithChecksum(strings.ToUpper(v.Digests["SHA-256"]), "SHA-256"))
		assertStoredVector(t, e, v)
	}
	v := Vectors()[0]
	_, err := e.Put(v.Data(), hashstore.WithPID("dou.upper.md5"), hashstore.WithChecksum(strings.ToUpper(v.Digests["MD5"]), "md5"))
	assert.NoError(t, err)
}

// Section 3: StoreObject without a pid.

func dataOnlyVectors(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta, err := e.Put(v.Data())
		require.NoError(t, err)
		assert.Equal(t, v.CID, meta.CID)
		assert.True(t, bytes.Equal(v.Data(), e.ReadFile(v.ObjectPath)))
	}
	assert.Equal(t, 3, e.Count("objects"))
	assert.Zero(t, e.Count("refs/pids"))
	assert.Zero(t, e.Count("refs/cids"))
	e.TmpEmpty()
}

func dataOnlyDigestIsCID(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta, err := e.Put(v.Data())
		require.NoError(t, err)
		assert.Equal(t, meta.CID, meta.HexDigests["SHA-256"])
	}
}

func dataOnlyPIDNotFound(t *testing.T, e *Env) {
	v := Vectors()[0]
	_, err := e.Put(v.Data())
	require.NoError(t, err)
	_, err = e.Store.FindObject(e.Context, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	_, err = e.Store.RetrieveObject(e.Context, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	assert.False(t, e.Exists(v.CIDRefsPath), "no cid refs file")
	assert.False(t, e.Exists(v.PIDRefsPath), "no pid refs file")
}

func dataOnlySizeAndDigests(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta, err := e.Put(v.Data())
		require.NoError(t, err)
		assert.Equal(t, v.Size, meta.Size)
		assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...)
	}
}

func dataOnlyPIDEmpty(t *testing.T, e *Env) {
	// Go differs from the references, which return the literal "HashStoreNoPid".
	for _, v := range Vectors() {
		meta, err := e.Put(v.Data())
		require.NoError(t, err)
		assert.Equal(t, "", meta.PID)
	}
	assert.False(t, e.Exists(PIDRefsPath("HashStoreNoPid")))
}
