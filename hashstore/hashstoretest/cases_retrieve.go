package hashstoretest

// docs/CONFORMANCE.md section 10: RetrieveObject (docs/FORMAT.md 7.6). Go serves only fully
// tagged pids (Python's rule: findObject must succeed); Java serves any pid whose pid refs file
// and object exist. The reader seeks, and with WithVerify checks the content against the cid at
// end of file.

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func retrieveVector(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
	}
	for _, v := range Vectors() {
		r, err := e.Store.RetrieveObject(e.Context, v.PID)
		require.NoError(t, err)
		got, err := readAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, v.CID, SHA256Hex(got))
		assert.Equal(t, v.Data(), got)
	}
}

func retrieveSeeks(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	r, err := e.Store.RetrieveObject(e.Context, v.PID)
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Seek(1000, io.SeekStart)
	require.NoError(t, err)
	buf := make([]byte, 100)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	assert.Equal(t, v.Data()[1000:1100], buf)
	_, err = r.Seek(8000, io.SeekStart)
	require.NoError(t, err)
	n, err := io.ReadFull(r, buf)
	require.NoError(t, err)
	assert.Equal(t, v.Data()[8000:8000+n], buf[:n])
}

func verifyDetectsCorruption(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	data := v.Data()

	// untouched: reads clean
	got, err := retrieveAll(e, v.PID, hashstore.WithVerify())
	require.NoError(t, err)
	assert.Equal(t, data, got)

	flipped := append([]byte{}, data...)
	flipped[10] ^= 0x01
	for name, content := range map[string][]byte{
		"flipped":   flipped,
		"truncated": data[:len(data)-1],
		"extended":  append(append([]byte{}, data...), '\n'),
	} {
		e.WriteFile(v.ObjectPath, content)
		_, err := retrieveAll(e, v.PID, hashstore.WithVerify())
		ce := requireCorrupt(t, err, v.CID)
		assert.Equal(t, SHA256Hex(content), ce.Actual, name)
		assert.Equal(t, int64(len(content)), ce.Size, name)
		// without WithVerify the same bytes are served without complaint
		got, err := retrieveAll(e, v.PID)
		require.NoError(t, err, name)
		assert.Equal(t, content, got, name)
	}
}

func verifyAfterSeekingPastCorruption(t *testing.T, e *Env) {
	v := Vectors()[1]
	e.PutVector(v)
	data := v.Data()
	readFrom := func(off int64) error {
		r, err := e.Store.RetrieveObject(e.Context, v.PID, hashstore.WithVerify())
		require.NoError(t, err)
		defer r.Close()
		_, err = r.Seek(off, io.SeekStart)
		require.NoError(t, err)
		got, err := readAll(r)
		assert.Equal(t, data[off:], got)
		return err
	}
	// clean file: skipping the start still verifies
	assert.NoError(t, readFrom(5000))
	// corruption inside the skipped range is still found at end of file
	flipped := append([]byte{}, data...)
	flipped[10] ^= 0xff
	e.WriteFile(v.ObjectPath, flipped)
	r, err := e.Store.RetrieveObject(e.Context, v.PID, hashstore.WithVerify())
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Seek(5000, io.SeekStart)
	require.NoError(t, err)
	got, err := readAll(r)
	requireCorrupt(t, err, v.CID)
	assert.Equal(t, data[5000:], got, "the bytes served are the (intact) tail")
	// every later read at end of file says so again
	_, err = r.Read(make([]byte, 10))
	requireCorrupt(t, err, v.CID)
}

func retrieveObjectInvalidPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	for _, pid := range invalidIDs {
		_, err := e.Store.RetrieveObject(e.Context, pid)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", pid)
	}
}

func retrieveUnknownPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	_, err := e.Store.RetrieveObject(e.Context, "dou.test.unknown")
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	// an object stored without a pid is not retrievable by a pid either
	v := Vectors()[1]
	putDataOnly(t, e, v.Data())
	_, err = e.Store.RetrieveObject(e.Context, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
}

func retrieveBrokenRefsNotServed(t *testing.T, e *Env) {
	// Python's rule. Java would serve the first two (pid refs and object exist).
	v := Vectors()[0]
	e.PutVector(v)
	cidRefs := e.ReadFile(v.CIDRefsPath)

	e.Remove(v.CIDRefsPath)
	_, err := e.Store.RetrieveObject(e.Context, v.PID)
	requireBroken(t, err, v.PID, hashstore.ErrOrphanPIDRefs)

	e.WriteFile(v.CIDRefsPath, []byte("dou.test.other\n"))
	_, err = e.Store.RetrieveObject(e.Context, v.PID)
	requireBroken(t, err, v.PID, hashstore.ErrPIDNotInCIDRefs)

	e.WriteFile(v.CIDRefsPath, cidRefs)
	e.Remove(v.ObjectPath)
	_, err = e.Store.RetrieveObject(e.Context, v.PID)
	requireBroken(t, err, v.PID, hashstore.ErrObjectMissing)
}
