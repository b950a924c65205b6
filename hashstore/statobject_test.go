package hashstore_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestStatObject: StatObject describes an object by cid without reading it (its size and the
// cid as its store-algorithm digest), says whether a pid references it, and refuses a missing
// object or an invalid cid; its metadata is what DeleteIfInvalidObject needs.
func TestStatObject(t *testing.T) {
	s, fsys := memStore(t)
	ctx := t.Context()
	v, w := hashstoretest.Vectors()[0], hashstoretest.Vectors()[1]
	_, err := s.StoreObject(ctx, bytes.NewReader(v.Data()))
	require.NoError(t, err)

	meta, referenced, err := s.StatObject(ctx, v.CID)
	require.NoError(t, err)
	assert.Equal(t, hashstore.ObjectMetadata{CID: v.CID, Size: v.Size, HexDigests: map[hashstore.Algorithm]string{hashstore.SHA256: v.CID}}, meta)
	assert.False(t, referenced, "untagged")

	require.NoError(t, s.TagObject(ctx, v.PID, v.CID))
	_, referenced, err = s.StatObject(ctx, v.CID)
	require.NoError(t, err)
	assert.True(t, referenced, "tagged")
	ro, err := hashstore.Open("/store", hashstore.WithFs(fsys), hashstore.WithReadOnly())
	require.NoError(t, err)
	_, referenced, err = ro.StatObject(ctx, v.CID)
	require.NoError(t, err, "a read-only store stats too")
	assert.True(t, referenced)

	_, _, err = s.StatObject(ctx, w.CID)
	require.ErrorIs(t, err, hashstore.ErrNotFound)
	var oe *hashstore.OpError
	require.True(t, errors.As(err, &oe))
	assert.Equal(t, "stat object", oe.Op)
	assert.Equal(t, w.CID, oe.ID)
	for _, bad := range []string{"", "a b", "../../../../etc/passwd", "ab/cd", "abcdef_delete"} {
		_, _, err := s.StatObject(ctx, bad)
		require.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", bad)
	}

	// Another process validates an untagged object from its cid alone.
	untagged, err := s.StoreObject(ctx, bytes.NewReader(w.Data()))
	require.NoError(t, err)
	meta, referenced, err = s.StatObject(ctx, untagged.CID)
	require.NoError(t, err)
	require.False(t, referenced)
	require.NoError(t, s.DeleteIfInvalidObject(ctx, meta, w.Digests[hashstore.MD5], hashstore.MD5, w.Size), "valid: the object is reread for MD5")
	err = s.DeleteIfInvalidObject(ctx, meta, w.Digests[hashstore.SHA256], hashstore.SHA256, w.Size+1)
	require.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	_, _, err = s.StatObject(ctx, untagged.CID)
	require.ErrorIs(t, err, hashstore.ErrNotFound, "the invalid object was deleted")
}
