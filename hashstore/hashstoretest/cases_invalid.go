package hashstoretest

// docs/CONFORMANCE.md section 8: DeleteIfInvalidObject (docs/FORMAT.md 7.4). Go checks the size first (Python's order)
// and compares checksums case-insensitively in both branches (the digest map and the digest
// recomputed from the file); Java is case-sensitive throughout.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func validObjectKept(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := putDataOnly(t, e, v.Data())
		before := storeTree(e)
		require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, meta, v.CID, "SHA-256", v.Size))
		unchanged(t, e, before)
		assert.True(t, e.Exists(v.ObjectPath))
	}
}

func nonDefaultAlgorithmRecomputed(t *testing.T, e *Env) {
	// The digest map has only the five defaults, so these are recomputed from the object
	// (Python tests sha224, Java MD2).
	v := Vectors()[1]
	meta := putDataOnly(t, e, v.Data())
	require.NotContains(t, meta.HexDigests, "SHA-224")
	before := storeTree(e)
	for alg, name := range map[string]string{"SHA-224": "sha224", "MD2": "MD2", "BLAKE2s-256": "blake2s", "SHA3-256": "sha3_256"} {
		require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, meta, v.Digests[hashstore.Algorithm(alg)], hashstore.Algorithm(name), v.Size), name)
	}
	unchanged(t, e, before)
}

func notAnObjectMetadata(t *testing.T, e *Env) {
	// Go's type system rules out a non-ObjectMetadata argument; what is left is an
	// ObjectMetadata naming no object or an unsafe cid.
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	before := storeTree(e)
	for _, cid := range []string{"", " ", "../../etc", "ab/cd", "abc def"} {
		bad := meta
		bad.CID = cid
		err := e.Store.DeleteIfInvalidObject(e.Context, bad, v.CID, "SHA-256", v.Size)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "cid %q", cid)
	}
	err := e.Store.DeleteIfInvalidObject(e.Context, hashstore.ObjectMetadata{}, v.CID, "SHA-256", v.Size)
	assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	unchanged(t, e, before)
}

func emptyDigestMap(t *testing.T, e *Env) {
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	meta.HexDigests = map[hashstore.Algorithm]string{}
	before := storeTree(e)
	// Java: MissingHexDigestsException. Even a wrong checksum deletes nothing.
	for _, sum := range []string{v.CID, "0000"} {
		err := e.Store.DeleteIfInvalidObject(e.Context, meta, sum, "SHA-256", v.Size)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	}
	unchanged(t, e, before)
}

func nilDigestMap(t *testing.T, e *Env) {
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	meta.HexDigests = nil
	before := storeTree(e)
	err := e.Store.DeleteIfInvalidObject(e.Context, meta, "0000", "SHA-256", v.Size)
	assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	unchanged(t, e, before)
}

func wrongSizeDeletesUnreferencedObject(t *testing.T, e *Env) {
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	err := e.Store.DeleteIfInvalidObject(e.Context, meta, v.CID, "SHA-256", 1000)
	assert.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	se := requireAs[*hashstore.SizeMismatchError](t, err)
	assert.Equal(t, int64(1000), se.Expected)
	assert.Equal(t, v.Size, se.Actual)
	assert.False(t, e.Exists(v.ObjectPath))
	assert.Zero(t, e.Count("objects"))
	assert.Empty(t, deleteLeftovers(e))
	e.TmpEmpty()
}

func wrongSizeKeepsReferencedObject(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v) // cid refs exists
	meta := putDataOnly(t, e, v.Data())
	before := storeTree(e)
	err := e.Store.DeleteIfInvalidObject(e.Context, meta, v.CID, "SHA-256", 123)
	assert.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	unchanged(t, e, before)
	assert.True(t, e.Exists(v.ObjectPath))
	e.TmpEmpty()
}

func wrongChecksumDeletesObject(t *testing.T, e *Env) {
	v := Vectors()[2]
	meta := putDataOnly(t, e, v.Data())
	wrong := strings.Repeat("0", 64)
	err := e.Store.DeleteIfInvalidObject(e.Context, meta, wrong, "SHA-256", v.Size)
	assert.ErrorIs(t, err, hashstore.ErrChecksumMismatch)
	ce := requireAs[*hashstore.ChecksumMismatchError](t, err)
	assert.Equal(t, hashstore.SHA256, ce.Algorithm)
	assert.Equal(t, wrong, ce.Expected)
	assert.Equal(t, v.CID, ce.Actual)
	assert.Equal(t, v.Digests["MD5"], ce.HexDigests["MD5"], "the error carries the digest map")
	assert.False(t, e.Exists(v.ObjectPath))
	e.TmpEmpty()
}

func unsupportedAlgorithmKeepsObject(t *testing.T, e *Env) {
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	before := storeTree(e)
	for _, alg := range unknownAlgorithms {
		err := e.Store.DeleteIfInvalidObject(e.Context, meta, "abc", alg, v.Size)
		assert.ErrorIs(t, err, hashstore.ErrUnsupportedAlgorithm, alg)
	}
	unchanged(t, e, before)
	e.TmpEmpty()
	// Python's md2 and Java's BLAKE2S are unsupported there; Go supports both, so the
	// right checksum keeps the object.
	require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, meta, v.Digests["BLAKE2s-256"], "BLAKE2S", v.Size))
	require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, meta, v.Digests["MD2"], "md2", v.Size))
	unchanged(t, e, before)
}

func nonDefaultAlgorithmWrongChecksum(t *testing.T, e *Env) {
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	wrong := Vectors()[1].Digests["SHA-224"]
	err := e.Store.DeleteIfInvalidObject(e.Context, meta, wrong, "sha224", v.Size)
	ce := requireAs[*hashstore.ChecksumMismatchError](t, err)
	assert.Equal(t, hashstore.SHA224, ce.Algorithm)
	assert.Equal(t, v.Digests["SHA-224"], ce.Actual)
	assert.False(t, e.Exists(v.ObjectPath))
}

func deleteOnlyIfUnreferenced(t *testing.T, e *Env) {
	a, b := Vectors()[0], Vectors()[1]
	metaA := putDataOnly(t, e, a.Data()) // untagged
	e.PutVector(b)                       // tagged
	metaB := putDataOnly(t, e, b.Data())
	refsBefore := [2]int{e.Count("refs/pids"), e.Count("refs/cids")}

	err := e.Store.DeleteIfInvalidObject(e.Context, metaA, b.CID, "SHA-256", a.Size)
	assert.ErrorIs(t, err, hashstore.ErrChecksumMismatch)
	assert.False(t, e.Exists(a.ObjectPath), "untagged object deleted")

	err = e.Store.DeleteIfInvalidObject(e.Context, metaB, a.CID, "SHA-256", b.Size)
	assert.ErrorIs(t, err, hashstore.ErrChecksumMismatch)
	assert.True(t, e.Exists(b.ObjectPath), "object with a cid refs file kept")
	assert.Equal(t, refsBefore, [2]int{e.Count("refs/pids"), e.Count("refs/cids")})
	_, err = e.Store.FindObject(e.Context, b.PID)
	assert.NoError(t, err)
}

func upperCaseChecksumAccepted(t *testing.T, e *Env) {
	// Java compares case-sensitively and deletes the object; Python accepts map digests
	// only. Go accepts in both branches.
	v := Vectors()[1]
	meta := putDataOnly(t, e, v.Data())
	before := storeTree(e)
	require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, meta, strings.ToUpper(v.CID), "SHA-256", v.Size))
	require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, meta, strings.ToUpper(v.Digests["SHA-224"]), "SHA-224", v.Size))
	// upper case in the map too
	upper := meta
	upper.HexDigests = map[hashstore.Algorithm]string{}
	for k, d := range meta.HexDigests {
		upper.HexDigests[k] = strings.ToUpper(d)
	}
	require.NoError(t, e.Store.DeleteIfInvalidObject(e.Context, upper, v.Digests["MD5"], "MD5", v.Size))
	unchanged(t, e, before)
}

func invalidChecksumAlgorithmOrSize(t *testing.T, e *Env) {
	// Bad checksum, algorithm or size: an error and nothing deleted.
	v := Vectors()[0]
	meta := putDataOnly(t, e, v.Data())
	before := storeTree(e)
	for _, c := range []struct {
		sum, alg string
		size     int64
	}{
		{"", "SHA-256", v.Size}, {"   ", "SHA-256", v.Size}, {"ab cd", "SHA-256", v.Size},
		{v.CID, "", v.Size}, {v.CID, "   ", v.Size},
		{v.CID, "SHA-256", -1},
	} {
		err := e.Store.DeleteIfInvalidObject(e.Context, meta, c.sum, hashstore.Algorithm(c.alg), c.size)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%+v", c)
	}
	unchanged(t, e, before)

	// Size 0 is a valid expectation, "the object is empty" (C053_ExpectedSizeZero: DataONE
	// objects may be empty), so for this object it is a size mismatch, not an invalid argument.
	err := e.Store.DeleteIfInvalidObject(e.Context, meta, v.CID, "SHA-256", 0)
	assert.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	assert.NotErrorIs(t, err, hashstore.ErrInvalidArgument)
}
