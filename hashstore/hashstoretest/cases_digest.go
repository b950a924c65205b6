package hashstoretest

// docs/CONFORMANCE.md section 14: GetHexDigest (docs/FORMAT.md 7.11). For the store algorithm
// Go returns the cid without reading the object (Java; Python hashes the file) unless
// WithReread is given; other algorithms hash the object file.

import (
	"crypto/md5"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func storeAlgorithmDigest(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		meta := e.PutVector(v)
		for _, name := range []string{"SHA-256", "sha256", "SHA256", "sha-256"} {
			got, err := e.Store.GetHexDigest(e.Context, v.PID, hashstore.Algorithm(name))
			require.NoError(t, err, name)
			assert.Equal(t, v.Digests["SHA-256"], got, name)
			assert.Equal(t, meta.HexDigests["SHA-256"], got, name)
		}
		got, err := e.Store.GetHexDigest(e.Context, v.PID, "SHA-256", hashstore.WithReread())
		require.NoError(t, err)
		assert.Equal(t, v.CID, got)
	}
}

func rereadHashesTheFile(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	corrupt := append([]byte{}, v.Data()...)
	corrupt[0] ^= 0x20
	e.WriteFile(v.ObjectPath, corrupt)

	got, err := e.Store.GetHexDigest(e.Context, v.PID, "SHA-256")
	require.NoError(t, err)
	assert.Equal(t, v.CID, got, "the store algorithm's digest is the cid, not read from disk")

	got, err = e.Store.GetHexDigest(e.Context, v.PID, "SHA-256", hashstore.WithReread())
	require.NoError(t, err)
	assert.Equal(t, SHA256Hex(corrupt), got, "WithReread hashes what is on disk")
	assert.NotEqual(t, v.CID, got)

	md := md5.Sum(corrupt)
	got, err = e.Store.GetHexDigest(e.Context, v.PID, "MD5")
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(md[:]), got, "other algorithms always read the file")
}

func otherAlgorithms(t *testing.T, e *Env) {
	v := vectorByPID(t, "jtao.1700.1")
	e.PutVector(v)
	got, err := e.Store.GetHexDigest(e.Context, v.PID, "sha3_256")
	require.NoError(t, err)
	assert.Equal(t, "b748069cd0116ba59638e5f3500bbff79b41d6184bc242bd71f5cbbb8cf484cf", got)
	for _, w := range Vectors() {
		if w.PID != v.PID {
			e.PutVector(w)
		}
		// every algorithm of the vector table, by its DataONE name
		for alg, want := range w.Digests {
			got, err := e.Store.GetHexDigest(e.Context, w.PID, alg)
			require.NoError(t, err, alg)
			assert.Equal(t, want, got, "%s %s", w.PID, alg)
		}
		// and by Python / Java harness spellings
		for name, alg := range map[string]string{
			"md5": "MD5", "sha1": "SHA-1", "sha384": "SHA-384", "sha512": "SHA-512", "sha224": "SHA-224",
			"sha3-256": "SHA3-256", "SHA3_512": "SHA3-512", "blake2b": "BLAKE2b-512", "blake2s": "BLAKE2s-256",
			"sha512-224": "SHA-512/224", "md2": "MD2",
		} {
			got, err := e.Store.GetHexDigest(e.Context, w.PID, hashstore.Algorithm(name))
			require.NoError(t, err, name)
			assert.Equal(t, w.Digests[hashstore.Algorithm(alg)], got, "%s %s", w.PID, name)
		}
	}
}

func digestUnknownPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	before := storeTree(e)
	for _, alg := range []string{"SHA-256", "MD5"} {
		_, err := e.Store.GetHexDigest(e.Context, "dou.test.unknown", hashstore.Algorithm(alg))
		assert.ErrorIs(t, err, hashstore.ErrNotFound, alg)
	}
	_, err := e.Store.GetHexDigest(e.Context, "dou.test.unknown", "SHA-256", hashstore.WithReread())
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	unchanged(t, e, before)
}

func digestBrokenRefs(t *testing.T, e *Env) {
	// Go looks the pid up fully (Python); Java's store-algorithm path does too.
	v := Vectors()[0]
	e.PutVector(v)
	e.Remove(v.ObjectPath)
	for _, alg := range []string{"SHA-256", "MD5"} {
		_, err := e.Store.GetHexDigest(e.Context, v.PID, hashstore.Algorithm(alg))
		requireBroken(t, err, v.PID, hashstore.ErrObjectMissing)
	}
	e.Remove(v.CIDRefsPath)
	_, err := e.Store.GetHexDigest(e.Context, v.PID, "SHA-256")
	requireBroken(t, err, v.PID, hashstore.ErrOrphanPIDRefs)
}

func digestInvalidPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	for _, pid := range invalidIDs {
		_, err := e.Store.GetHexDigest(e.Context, pid, "SHA-256")
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", pid)
	}
}

func digestUnsupportedAlgorithm(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	for _, alg := range unknownAlgorithms {
		_, err := e.Store.GetHexDigest(e.Context, v.PID, alg)
		assert.ErrorIs(t, err, hashstore.ErrUnsupportedAlgorithm, alg)
		assert.NotErrorIs(t, err, hashstore.ErrInvalidArgument, alg)
	}
	// Java's NoSuchAlgorithmException for BLAKE2S does not apply: Go supports it.
	got, err := e.Store.GetHexDigest(e.Context, v.PID, "BLAKE2S")
	require.NoError(t, err)
	assert.Equal(t, v.Digests["BLAKE2s-256"], got)
}

func digestBlankAlgorithm(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	for _, alg := range []string{"", " ", "   ", "\t\n"} {
		_, err := e.Store.GetHexDigest(e.Context, v.PID, hashstore.Algorithm(alg))
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", alg)
	}
}
