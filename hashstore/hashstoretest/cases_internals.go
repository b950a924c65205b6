package hashstoretest

// docs/CONFORMANCE.md section 4: object writing internals, observed through the returned
// digests, the errors, the temp directory and the files' modes (docs/FORMAT.md 5 and 6).

import (
	"bytes"
	"encoding/hex"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func fiveDefaultDigests(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v)
		assert.Len(t, meta.HexDigests, 5)
		assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...)
	}
}

func extraMD2(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v, hashstore.WithAdditionalAlgorithm("MD2"))
		assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"MD2"}, defaultDigestKeys...)...)
	}
}

func checksumSHA512_224(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v, hashstore.WithChecksum(v.Digests["SHA-512/224"], "SHA-512/224"))
		assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"SHA-512/224"}, defaultDigestKeys...)...)
	}
}

func extraMD2ChecksumSHA512_224(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v, hashstore.WithAdditionalAlgorithm("MD2"), hashstore.WithChecksum(v.Digests["SHA-512/224"], "SHA-512/224"))
		assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"MD2", "SHA-512/224"}, defaultDigestKeys...)...)
	}
}

func pythonNamedExtras(t *testing.T, e *Env) {
	v := Vectors()[0]
	for _, c := range []struct {
		name string
		opts []hashstore.StoreOption
		keys []hashstore.Algorithm
	}{
		{"extra sha3_256", []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("sha3_256")}, []hashstore.Algorithm{"SHA3-256"}},
		{"checksum sha224", []hashstore.StoreOption{hashstore.WithChecksum(v.Digests["SHA-224"], "sha224")}, []hashstore.Algorithm{"SHA-224"}},
		{"extra sha224 + checksum sha3_256", []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("sha224"), hashstore.WithChecksum(v.Digests["SHA3-256"], "sha3_256")}, []hashstore.Algorithm{"SHA-224", "SHA3-256"}},
		// Duplicates collapse to one entry, whatever the spelling.
		{"extra sha224 + checksum SHA-224", []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("sha224"), hashstore.WithChecksum(v.Digests["SHA-224"], "SHA-224")}, []hashstore.Algorithm{"SHA-224"}},
		{"extra sha256 (a default)", []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("sha256")}, nil},
		{"checksum md5 (a default)", []hashstore.StoreOption{hashstore.WithChecksum(v.Digests["MD5"], "md5")}, nil},
		{"blake2b + blake2s", []hashstore.StoreOption{hashstore.WithAdditionalAlgorithm("blake2b"), hashstore.WithChecksum(v.Digests["BLAKE2s-256"], "blake2s")}, []hashstore.Algorithm{"BLAKE2b-512", "BLAKE2s-256"}},
	} {
		env := NewEnv(t, e.H, e.Config)
		meta := env.PutVector(v, c.opts...)
		assertDigestSet(t, v, meta.HexDigests, append(c.keys, defaultDigestKeys...)...)
	}
}

func extraAlgorithmUnsupported(t *testing.T, e *Env) {
	// Python rejects md2 and Java SM2. Go accepts every spelling of MD2 (so "md2" works, see
	// below) and rejects names it does not know.
	for _, alg := range []string{"SM2", "SM3", "md10", "dou_algo", "shake128"} {
		rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithAdditionalAlgorithm(hashstore.Algorithm(alg))), alg)
	}
	v := Vectors()[1]
	meta := e.PutVector(v, hashstore.WithAdditionalAlgorithm("md2"))
	assert.Equal(t, v.Digests["MD2"], meta.HexDigests["MD2"])
}

func tempFileHoldsTheData(t *testing.T, e *Env) {
	// Observed from outside: while the source is still open, objects/tmp holds one temp
	// file with every byte read so far; once stored, it has been moved into place.
	data := pseudoRandom(95, 8<<20)
	cid := SHA256Hex(data)
	fi, meta, err := stalledTempFile(t, e, data, hashstore.WithPID("dou.temp.1"))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, int64(len(data)), fi.Size(), "temp file size equals the source size")
	assert.Equal(t, cid, meta.CID)
	assert.True(t, bytes.Equal(data, e.ReadFile(ObjectPath(cid))))
	e.TmpEmpty()
}

func sameContentTwiceTmpEmpty(t *testing.T, e *Env) {
	v := Vectors()[2]
	for range 2 {
		_, err := e.Put(v.Data())
		require.NoError(t, err)
		e.TmpEmpty()
	}
	e.PutVector(v)
	_, err := e.Put(v.Data(), hashstore.WithPID("dou.test.2"))
	require.NoError(t, err)
	assert.Equal(t, []string{v.ObjectPath}, e.Files("objects"))
	e.TmpEmpty()
}

func extraAlgorithmBlank(t *testing.T, e *Env) {
	for _, alg := range []string{"", "   ", "\t"} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithAdditionalAlgorithm(hashstore.Algorithm(alg))), "%q", alg)
	}
}

func checksumBlankWithMD2(t *testing.T, e *Env) {
	for _, sum := range []string{"   ", ""} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithChecksum(sum, "MD2")), "%q", sum)
	}
}

func checksumWithBlankAlgorithm(t *testing.T, e *Env) {
	for _, alg := range []string{"   ", ""} {
		rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[1].Data(), hashstore.WithPID("dou.test.1"), hashstore.WithChecksum("abc", hashstore.Algorithm(alg))), "%q", alg)
	}
}

func checksumMD2Correct(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v, hashstore.WithChecksum(v.Digests["MD2"], "MD2"))
		assert.Equal(t, v.ObjectPath, ObjectPath(meta.CID))
		assert.True(t, bytes.Equal(v.Data(), e.ReadFile(v.ObjectPath)))
	}
}

func checksumMD2Wrong(t *testing.T, e *Env) {
	v, other := Vectors()[1], Vectors()[0]
	rejectsWith(t, e, hashstore.ErrChecksumMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(other.Digests["MD2"], "MD2")))
	assert.Zero(t, e.Count("objects"))
}

func noExpectations(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta, err := e.Put(v.Data(), hashstore.WithPID(v.PID))
		require.NoError(t, err)
		assert.Equal(t, v.Size, meta.Size)
	}
}

func expectedSizeStopsReading(t *testing.T, e *Env) {
	v := Vectors()[0]
	// Matching size: stored.
	meta := e.PutVector(v, hashstore.WithExpectedSize(v.Size))
	assert.Equal(t, v.Size, meta.Size)
	// A longer source: a size mismatch, and reading stops one byte past the expected size
	// (documented on WithExpectedSize), leaving the rest of the stream to the caller.
	for _, n := range []int64{10, 1000} {
		r := &countingReader{r: bytes.NewReader(v.Data())}
		err := rejectsWith(t, e, hashstore.ErrSizeMismatch, func() error {
			_, err := e.Store.StoreObject(e.Context, r, hashstore.WithPID("dou.size.1"), hashstore.WithExpectedSize(n))
			return err
		})
		if se, ok := errorAs[*hashstore.SizeMismatchError](t, err); ok {
			assert.True(t, se.AtLeast)
			assert.Equal(t, n, se.Expected)
		}
		read, _ := r.consumed()
		assert.LessOrEqual(t, read, n+1, "bytes taken from a source longer than the expected %d", n)
	}
}

func checksumMatchesEachDefault(t *testing.T, e *Env) {
	v := Vectors()[2]
	for i, alg := range defaultDigestKeys {
		_, err := e.Put(v.Data(), hashstore.WithPID("dou.sum."+string(alg)), hashstore.WithChecksum(v.Digests[alg], alg))
		require.NoError(t, err, alg)
		assert.Equal(t, i+1, e.Count("refs/pids"))
	}
}

func checksumMismatchDeletesTemp(t *testing.T, e *Env) {
	v := Vectors()[2]
	for _, alg := range defaultDigestKeys {
		rejectsWith(t, e, hashstore.ErrChecksumMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(strings.Repeat("0", len(v.Digests[alg])), alg)), alg)
		e.TmpEmpty()
	}
}

func checksumAlgorithmNotADefault(t *testing.T, e *Env) {
	// Java fails when the checksum algorithm is missing from the digests it computed; Go
	// always computes the checksum algorithm, so a supported one is verified and an
	// unknown one is refused before anything is read.
	v := Vectors()[2]
	rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests["SHA-256"], "SHA-DOU")))
	e.TmpEmpty()
	meta := e.PutVector(v, hashstore.WithChecksum(v.Digests["BLAKE2b-512"], "BLAKE2b-512"))
	assert.Equal(t, v.Digests["BLAKE2b-512"], meta.HexDigests["BLAKE2b-512"])
}

func sizeAndChecksumGood(t *testing.T, e *Env) {
	v := Vectors()[0]
	meta := e.PutVector(v, hashstore.WithExpectedSize(v.Size), hashstore.WithChecksum(v.Digests["SHA-256"], "SHA-256"))
	assert.Equal(t, v.CID, meta.CID)
	// The same check for an untagged object: no error, object kept.
	w := Vectors()[1]
	m, err := e.Put(w.Data())
	require.NoError(t, err)
	require.NoError(t, changesNothing(t, e, func() error {
		return e.Store.DeleteIfInvalidObject(e.Context, m, w.Digests["SHA-256"], "SHA-256", w.Size)
	}))
	assert.True(t, e.Exists(w.ObjectPath))
}

func sizeMismatchFirst(t *testing.T, e *Env) {
	// Size is checked before the checksum: with both wrong, the size is reported; with a pid,
	// the temp file is gone and nothing is stored.
	v, other := Vectors()[0], Vectors()[1]
	rejectsWith(t, e, hashstore.ErrSizeMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithExpectedSize(v.Size+1), hashstore.WithChecksum(other.Digests["SHA-256"], "SHA-256")))
	e.TmpEmpty()
	// And for DeleteIfInvalidObject (the object is unreferenced, so it goes).
	m, err := e.Put(v.Data())
	require.NoError(t, err)
	err = e.Store.DeleteIfInvalidObject(e.Context, m, other.Digests["SHA-256"], "SHA-256", v.Size+1)
	assert.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	assert.NotErrorIs(t, err, hashstore.ErrChecksumMismatch)
	assert.False(t, e.Exists(v.ObjectPath))
	e.TmpEmpty()
}

func verifyUnsupportedAlgorithm(t *testing.T, e *Env) {
	v := Vectors()[0]
	m, err := e.Put(v.Data())
	require.NoError(t, err)
	rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, func() error {
		return e.Store.DeleteIfInvalidObject(e.Context, m, v.Digests["SHA-256"], "md10", v.Size)
	})
	assert.True(t, e.Exists(v.ObjectPath), "object kept")
}

func verifyRecomputedWrong(t *testing.T, e *Env) {
	// BLAKE2s is not in the digest map, so it is recomputed from the stored object.
	v, other := Vectors()[0], Vectors()[1]
	m, err := e.Put(v.Data())
	require.NoError(t, err)
	_, has := m.HexDigests["BLAKE2s-256"]
	require.False(t, has)
	err = e.Store.DeleteIfInvalidObject(e.Context, m, other.Digests["BLAKE2s-256"], "blake2s", v.Size)
	assert.ErrorIs(t, err, hashstore.ErrChecksumMismatch)
	if ce, ok := errorAs[*hashstore.ChecksumMismatchError](t, err); ok {
		assert.Equal(t, v.Digests["BLAKE2s-256"], ce.Actual, "the recomputed digest")
	}
	assert.False(t, e.Exists(v.ObjectPath), "an unreferenced invalid object is deleted")
	e.TmpEmpty()
}

func verifyRecomputedRight(t *testing.T, e *Env) {
	v := Vectors()[0]
	m, err := e.Put(v.Data())
	require.NoError(t, err)
	require.NoError(t, changesNothing(t, e, func() error {
		return e.Store.DeleteIfInvalidObject(e.Context, m, v.Digests["BLAKE2s-256"], "blake2s", v.Size)
	}))
	assert.True(t, e.Exists(v.ObjectPath))
}

func validateAlgorithmName(t *testing.T, e *Env) {
	// Java's validateAlgorithm: MD2 supported, SM3 not, md2 not (Go: yes, every spelling is
	// accepted), null rejected as an argument.
	a, err := hashstore.ParseAlgorithm("MD2")
	require.NoError(t, err)
	assert.Equal(t, hashstore.MD2, a)
	_, err = hashstore.ParseAlgorithm("SM3")
	assert.ErrorIs(t, err, hashstore.ErrUnsupportedAlgorithm)
	a, err = hashstore.ParseAlgorithm("md2")
	require.NoError(t, err)
	assert.Equal(t, hashstore.MD2, a)
	for _, blank := range []string{"", "   "} {
		_, err = hashstore.ParseAlgorithm(blank)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", blank)
	}
}

func extraOnlyWhenNotDefault(t *testing.T, e *Env) {
	// Java's shouldCalculateAlgorithm: a default is not an extra, anything else is.
	v := Vectors()[0]
	meta := e.PutVector(v, hashstore.WithAdditionalAlgorithm("SHA-256"))
	assertDigestSet(t, v, meta.HexDigests, defaultDigestKeys...)
	env := NewEnv(t, e.H, e.Config)
	meta = env.PutVector(v, hashstore.WithAdditionalAlgorithm("SHA-224"))
	assertDigestSet(t, v, meta.HexDigests, append([]hashstore.Algorithm{"SHA-224"}, defaultDigestKeys...)...)
	rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, v.Data(), hashstore.WithPID("dou.test.2"), hashstore.WithAdditionalAlgorithm("SHA-DOU")))
}

func checksumParameters(t *testing.T, e *Env) {
	// Java's verifyChecksumParameters, observed through StoreObject: ("abc123", "SHA-256")
	// are acceptable parameters (the data is read and only then found not to match), a
	// blank checksum or algorithm is an invalid argument, SHA-DOU is unsupported.
	v := Vectors()[0]
	rejectsWith(t, e, hashstore.ErrChecksumMismatch, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum("abc123", "SHA-256")))
	rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum("   ", "SHA-256")))
	rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum("abc123", "   ")))
	rejectsWith(t, e, hashstore.ErrUnsupportedAlgorithm, storeFn(e, v.Data(), hashstore.WithPID(v.PID), hashstore.WithChecksum("abc123", "SHA-DOU")))
}

func normaliseAlgorithmNames(t *testing.T, e *Env) {
	for name, want := range map[string]hashstore.Algorithm{
		"sha_256": hashstore.SHA256, "sha-256": hashstore.SHA256, "SHA-256": hashstore.SHA256,
		"sha256": hashstore.SHA256, "SHA256": hashstore.SHA256,
		"sha3-256": hashstore.SHA3_256, "sha3_256": hashstore.SHA3_256, "SHA3-256": hashstore.SHA3_256,
		"SHA-224": hashstore.SHA224, "sha224": hashstore.SHA224,
		"md5": hashstore.MD5, "SHA-1": hashstore.SHA1, "sha1": hashstore.SHA1,
		"SHA-512/224": hashstore.SHA512_224, "sha512-224": hashstore.SHA512_224, "SHA-512/256": hashstore.SHA512_256,
		"blake2b": hashstore.BLAKE2b_512, "BLAKE2B": hashstore.BLAKE2b_512, "blake2s": hashstore.BLAKE2s_256,
	} {
		got, err := hashstore.ParseAlgorithm(name)
		if assert.NoError(t, err, name) {
			assert.Equal(t, want, got, name)
		}
	}
	for _, name := range []string{"mok22", "SM3", "dou_algo", "md10", "shake_128"} {
		_, err := hashstore.ParseAlgorithm(name)
		assert.ErrorIs(t, err, hashstore.ErrUnsupportedAlgorithm, name)
	}
}

func digestOfEachVector(t *testing.T, e *Env) {
	// Every digest of the vector table, computed with the algorithm ParseAlgorithm returns for
	// its DataONE name; and SHA-256 through the store.
	for _, v := range Vectors() {
		data := v.Data()
		assert.Equal(t, v.CID, SHA256Hex(data), "vector table")
		for name, want := range v.Digests {
			a, err := hashstore.ParseAlgorithm(string(name))
			require.NoError(t, err, name)
			assert.Equal(t, string(name), a.String(), "DataONE spelling")
			h := a.New()
			h.Write(data)
			assert.Equal(t, want, hex.EncodeToString(h.Sum(nil)), "%s of %s", name, v.PID)
		}
		meta := e.PutVector(v)
		assert.Equal(t, v.Digests["SHA-256"], meta.HexDigests["SHA-256"])
	}
}

func shardPath(t *testing.T, e *Env) {
	// The literal example of both suites: 0d555ed77052...cef65e -> 0d/55/5e/d77052...cef65e.
	const pid = "doi:10.18739/A2901ZH2M"
	const want = "refs/pids/0d/55/5e/d77052d7e166017f779cbc193357c3a5006ee8b8457230bcf7abcef65e"
	assert.Equal(t, want, PIDRefsPath(pid))
	v := Vectors()[0]
	require.Equal(t, pid, v.PID)
	e.PutVector(v)
	info, err := e.Store.FindObject(e.Context, pid)
	require.NoError(t, err)
	assert.Equal(t, e.Path(want), info.PIDRefsPath)
	assert.Equal(t, e.Path("objects/4d/19/81/71eef969d553d4c9537b1811a7b078f9a3804fc978a761bc014c05972c"), info.ObjectPath)
	p, err := e.Store.StoreMetadata(e.Context, pid, bytes.NewReader(v.Sysmeta()))
	require.NoError(t, err)
	assert.Equal(t, e.Path("metadata/0d/55/5e/d77052d7e166017f779cbc193357c3a5006ee8b8457230bcf7abcef65e/248fe33f1d527407f98c8eb071afc39733e41946a9cb379f463db5183fe01247"), p)
}

func placedObjectModes(t *testing.T, e *Env) {
	// The move into a new nested directory: the shard directories are created with the
	// store's directory mode and the object keeps the store's file mode (Go's policy is
	// Python's 0755/0664; Java's 0750/0640 is selectable).
	if e.H.Put != nil {
		t.Skip("objects placed by the harness's Put keep their source's mode")
	}
	v := Vectors()[0]
	e.PutVector(v)
	dirMode := modeOf(t, e, "objects")
	assert.Contains(t, policyDirModes, dirMode)
	for d := path.Dir(v.ObjectPath); d != "objects"; d = path.Dir(d) {
		assert.Equal(t, dirMode, modeOf(t, e, d), d)
	}
	assert.Contains(t, policyFileModes, modeOf(t, e, v.ObjectPath))
}

func existingObjectKept(t *testing.T, e *Env) {
	// Storing content whose object exists succeeds and leaves the existing file alone (no
	// rename over it): its modification time stays where we set it.
	v := Vectors()[1]
	_, err := e.Put(v.Data())
	require.NoError(t, err)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	require.NoError(t, e.Fs.Chtimes(e.Path(v.ObjectPath), old, old))
	_, err = e.Put(v.Data())
	require.NoError(t, err)
	_, err = e.Put(v.Data(), hashstore.WithPID(v.PID))
	require.NoError(t, err)
	fi, err := e.Fs.Stat(e.Path(v.ObjectPath))
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(old), "the existing object was replaced (mtime %v)", fi.ModTime())
	assert.True(t, bytes.Equal(v.Data(), e.ReadFile(v.ObjectPath)))
	e.TmpEmpty()
}

func tempFileMode(t *testing.T, e *Env) {
	// The temp file exists in objects/tmp while the data is written, with the store's file
	// mode (so the rename gives the object that mode).
	data := pseudoRandom(122, 8<<20)
	fi, _, err := stalledTempFile(t, e, data)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Contains(t, policyFileModes, fi.Mode().Perm())
	e.TmpEmpty()
}
