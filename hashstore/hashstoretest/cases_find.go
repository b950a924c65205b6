package hashstoretest

// docs/CONFORMANCE.md section 7: FindObject (internal in the references as findObject). Its
// checks run in the references' order (docs/FORMAT.md 7.10); each failure is a distinct error.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

func findReturnsCid(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
	}
	for _, v := range Vectors() {
		info, err := e.Store.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, v.CID, info.CID)
		assert.Equal(t, v.PID, info.PID)
	}
}

func findReturnsPaths(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
		info, err := e.Store.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, e.Path(v.ObjectPath), info.ObjectPath)
		assert.Equal(t, e.Path(v.CIDRefsPath), info.CIDRefsPath)
		assert.Equal(t, e.Path(v.PIDRefsPath), info.PIDRefsPath)
		got, err := readFileAt(e, info.ObjectPath)
		require.NoError(t, err)
		assert.Equal(t, v.CID, SHA256Hex(got))
	}
}

func findSysmetaPath(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	// a document in another format is not the system metadata
	e.WriteFile(MetadataPath(v.PID, "eml://ecoinformatics.org/eml-2.1.1"), []byte("<eml/>"))
	info, err := e.Store.FindObject(e.Context, v.PID)
	require.NoError(t, err)
	assert.Equal(t, e.Path(v.SysmetaPath), info.SysmetaPath)
}

func findWithoutSysmeta(t *testing.T, e *Env) {
	// The references return a marker string ("Does not exist." / "Does not exist"); Go
	// leaves SysmetaPath empty.
	v := Vectors()[1]
	e.PutVector(v)
	e.WriteFile(MetadataPath(v.PID, "eml://ecoinformatics.org/eml-2.1.1"), []byte("<eml/>"))
	info, err := e.Store.FindObject(e.Context, v.PID)
	require.NoError(t, err)
	assert.Empty(t, info.SysmetaPath)
}

func findObjectMissing(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.Remove(v.ObjectPath)
	info, be := findBroken(t, e, v.PID, hashstore.ErrObjectMissing)
	assert.Equal(t, v.CID, be.CID)
	assert.Equal(t, e.Path(v.ObjectPath), info.ObjectPath, "the paths that could be read are filled in")
}

func findOrphanPidRefs(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	e.Remove(v.CIDRefsPath)
	_, be := findBroken(t, e, v.PID, hashstore.ErrOrphanPIDRefs)
	assert.Equal(t, v.CID, be.CID)

	// pid refs holding a cid nothing else knows
	e.WriteFile(PIDRefsPath("dou.test.1"), []byte(javaCID))
	_, be = findBroken(t, e, "dou.test.1", hashstore.ErrOrphanPIDRefs)
	assert.Equal(t, javaCID, be.CID)
}

func findPidNotInCidRefs(t *testing.T, e *Env) {
	v := Vectors()[2]
	e.PutVector(v)
	require.NoError(t, e.Store.TagObject(e.Context, "dou.test.1", v.CID))
	e.WriteFile(v.CIDRefsPath, []byte("dou.test.1\n")) // v.PID removed
	findBroken(t, e, v.PID, hashstore.ErrPIDNotInCIDRefs)
	_, err := e.Store.FindObject(e.Context, "dou.test.1")
	assert.NoError(t, err)
}

func findUnknownPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	before := storeTree(e)
	_, err := e.Store.FindObject(e.Context, "dou.test.unknown")
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	assert.NotErrorIs(t, err, hashstore.ErrOrphanRefs)
	unchanged(t, e, before)
}

func findInvalidPid(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	before := storeTree(e)
	for _, pid := range invalidIDs {
		_, err := e.Store.FindObject(e.Context, pid)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", pid)
	}
	unchanged(t, e, before)
}
