package hashstore_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
)

// TestRetrieveObjectReaders: on the OS filesystem RetrieveObject without WithVerify returns
// the object's *os.File itself (so that http.ServeContent can hand it to sendfile), and with
// WithVerify a reader that checks the content against the cid. Both serve ranges; only the
// verifying one notices content changed behind the store's back.
func TestRetrieveObjectReaders(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	ctx := t.Context()
	v := hashstoretest.Vectors()[1]
	_, err := s.StoreObject(ctx, bytes.NewReader(v.Data()), hashstore.WithPID(v.PID))
	require.NoError(t, err)
	obj := storePath(s, v.ObjectPath)

	plain, err := s.RetrieveObject(ctx, v.PID)
	require.NoError(t, err)
	defer plain.Close()
	f, ok := plain.(*os.File)
	require.True(t, ok, "without WithVerify the reader is the *os.File: %T", plain)
	assert.True(t, hashstore.SameOSFile(t, f.Name(), obj))

	verified, err := s.RetrieveObject(ctx, v.PID, hashstore.WithVerify())
	require.NoError(t, err)
	defer verified.Close()
	_, isFile := verified.(*os.File)
	assert.False(t, isFile, "WithVerify wraps the file")
	_, isReaderAt := verified.(io.ReaderAt)
	assert.True(t, isReaderAt, "the verifying reader serves ReadAt too")

	for name, r := range map[string]io.ReadSeeker{"plain": plain, "verified": verified} {
		req := httptest.NewRequest(http.MethodGet, "/object", nil)
		req.Header.Set("Range", "bytes=2-9")
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "", time.Time{}, r)
		assert.Equal(t, http.StatusPartialContent, rec.Code, name)
		assert.Equal(t, v.Data()[2:10], rec.Body.Bytes(), name)
	}

	// The same bytes, one changed: only the verifying reader reports it.
	corrupt := bytes.Clone(v.Data())
	corrupt[0] ^= 0xff
	require.NoError(t, os.WriteFile(obj, corrupt, 0o644))
	plain2, err := s.RetrieveObject(ctx, v.PID)
	require.NoError(t, err)
	got, err := io.ReadAll(plain2)
	plain2.Close()
	require.NoError(t, err)
	assert.Equal(t, corrupt, got)
	verified2, err := s.RetrieveObject(ctx, v.PID, hashstore.WithVerify())
	require.NoError(t, err)
	_, err = io.ReadAll(verified2)
	verified2.Close()
	require.ErrorIs(t, err, hashstore.ErrCorrupt)
	var ce *hashstore.CorruptObjectError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, v.CID, ce.CID)
	assert.Equal(t, v.Size, ce.Size)
}
