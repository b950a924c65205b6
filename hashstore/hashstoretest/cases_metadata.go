package hashstoretest

// docs/CONFORMANCE.md sections 9 (StoreMetadata), 11 (RetrieveMetadata) and 13
// (DeleteMetadata); docs/FORMAT.md 7.5, 7.7 and 7.9.
//
// Go follows Java's validation of format ids: an empty or whitespace-containing format id is
// rejected everywhere (Python accepts "" and inner spaces). Without WithFormatID, StoreMetadata
// and RetrieveMetadata use the store's default namespace. Deleting needs an explicit format id
// (DeleteMetadata); every document of a pid goes with DeleteAllMetadata.

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/faultfs"
)

// ---- section 9: storeMetadata

func storeWithFormatIDReturnsPath(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		p := storeMeta(t, e, v.PID, v.Sysmeta(), hashstore.WithFormatID(fmtEML))
		assert.Equal(t, e.Path(MetadataPath(v.PID, fmtEML)), p)
		assert.Equal(t, v.Sysmeta(), e.ReadFile(MetadataPath(v.PID, fmtEML)))
	}
}

func threePidsThreeDocuments(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutSysmeta(v)
	}
	assert.Equal(t, 3, e.Count("metadata"))
}

func defaultFormatID(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutSysmeta(v)
		assert.Equal(t, v.SysmetaPath, MetadataPath(v.PID, hashstore.DefaultNamespace))
		assert.Equal(t, v.Sysmeta(), e.ReadFile(v.SysmetaPath))
	}
	assert.Equal(t, 3, e.Count("metadata"))
}

func onePidThreeFormats(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	storeMeta(t, e, v.PID, []byte("test"), hashstore.WithFormatID(fmtTest))
	files := e.Files("metadata")
	assert.Len(t, files, 3)
	for _, f := range files {
		assert.Equal(t, metadataDir(v.PID), path.Dir(f))
	}
	assert.ElementsMatch(t, []string{v.SysmetaPath, MetadataPath(v.PID, fmtEML), MetadataPath(v.PID, fmtTest)}, files)
}

func pidMetadataDirectory(t *testing.T, e *Env) {
	v := Vectors()[2]
	e.PutSysmeta(v)
	assertDirs(t, e, metadataDir(v.PID))
	assert.Equal(t, "metadata/"+shard(v.PIDHash), metadataDir(v.PID))
}

func storedBytes(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutSysmeta(v)
		got := e.ReadFile(v.SysmetaPath)
		assert.Len(t, got, len(v.Sysmeta()))
		assert.Equal(t, v.SysmetaSHA256, SHA256Hex(got))
	}
}

func readerKinds(t *testing.T, e *Env) {
	// Python takes a path or a stream; Go takes any io.Reader.
	v := Vectors()[1]
	src := filepath.Join(filepath.Dir(e.Root), "sysmeta-source.xml")
	require.NoError(t, afero.WriteFile(e.Fs, src, v.Sysmeta(), 0o644))
	f, err := e.Fs.Open(src)
	require.NoError(t, err)
	defer f.Close()
	for name, r := range map[string]io.Reader{
		"bytes.Reader":   bytes.NewReader(v.Sysmeta()),
		"strings.Reader": strings.NewReader(string(v.Sysmeta())),
		"bytes.Buffer":   bytes.NewBuffer(v.Sysmeta()),
		"file":           f,
	} {
		formatID := "fmt:" + strings.ReplaceAll(name, ".", "-")
		_, err := e.Store.StoreMetadata(e.Context, v.PID, r, hashstore.WithFormatID(formatID))
		require.NoError(t, err, name)
		assert.Equal(t, v.Sysmeta(), e.ReadFile(MetadataPath(v.PID, formatID)), name)
	}
}

func storeMetadataNilReader(t *testing.T, e *Env) {
	before := storeTree(e)
	_, err := e.Store.StoreMetadata(e.Context, "dou.test.1", nil)
	assert.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	unchanged(t, e, before)
}

func storeMetadataInvalidPid(t *testing.T, e *Env) {
	// "" stands in for Java's null pid.
	before := storeTree(e)
	for _, pid := range invalidIDs {
		_, err := e.Store.StoreMetadata(e.Context, pid, strings.NewReader("<x/>"))
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", pid)
	}
	unchanged(t, e, before)
}

func formatIDOfSpaces(t *testing.T, e *Env) {
	before := storeTree(e)
	for _, f := range []string{" ", "   ", "\t", "\n"} {
		_, err := e.Store.StoreMetadata(e.Context, "dou.test.1", strings.NewReader("<x/>"), hashstore.WithFormatID(f))
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", f)
	}
	unchanged(t, e, before)
}

func concurrentStoreSameDocument(t *testing.T, e *Env) {
	v := Vectors()[0]
	const n = 8
	errs := concurrently(n, n, func(int) error {
		_, err := e.Store.StoreMetadata(e.Context, v.PID, bytes.NewReader(v.Sysmeta()))
		return err
	})
	for i, err := range errs {
		assert.NoError(t, err, "goroutine %d", i)
	}
	assert.Equal(t, []string{v.SysmetaPath}, e.Files("metadata"))
	assert.Equal(t, v.Sysmeta(), e.ReadFile(v.SysmetaPath))
	assert.Zero(t, e.Count("objects"))
	assert.Zero(t, e.Count("refs"))
	e.TmpEmpty()
}

func storeAgainReplaces(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutSysmeta(v)
	newer := []byte("<sysmeta version=\"2\"/>")
	storeMeta(t, e, v.PID, newer)
	assert.Equal(t, newer, e.ReadFile(v.SysmetaPath))
	assert.Equal(t, 1, e.Count("metadata"))
	got, err := retrieveMeta(e, v.PID)
	require.NoError(t, err)
	assert.Equal(t, newer, got)
	e.TmpEmpty()
}

func formatIDEmptyOrWithSpace(t *testing.T, e *Env) {
	// Python accepts both ("" stores a document named H(pid)); Go follows Java and rejects.
	before := storeTree(e)
	for _, f := range []string{"", "a b", "fmt\t1", " eml://x"} {
		_, err := e.Store.StoreMetadata(e.Context, "dou.test.1", strings.NewReader("<x/>"), hashstore.WithFormatID(f))
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", f)
	}
	unchanged(t, e, before)
	assert.False(t, e.Exists(MetadataPath("dou.test.1", "")))
}

func chunkedReaders(t *testing.T, e *Env) {
	v := Vectors()[2]
	for name, r := range map[string]io.Reader{
		"one-byte": iotest.OneByteReader(bytes.NewReader(v.Sysmeta())),
		"half":     iotest.HalfReader(bytes.NewReader(v.Sysmeta())),
		"data-err": iotest.DataErrReader(bytes.NewReader(v.Sysmeta())),
		"multi":    io.MultiReader(bytes.NewReader(v.Sysmeta()[:100]), bytes.NewReader(v.Sysmeta()[100:])),
	} {
		formatID := "fmt:" + name
		p, err := e.Store.StoreMetadata(e.Context, v.PID, r, hashstore.WithFormatID(formatID))
		require.NoError(t, err, name)
		assert.Equal(t, e.Path(MetadataPath(v.PID, formatID)), p)
		assert.Equal(t, v.SysmetaSHA256, SHA256Hex(e.ReadFile(MetadataPath(v.PID, formatID))), name)
	}
}

func returnedPathDefaultFormat(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		assert.Equal(t, e.Path(v.SysmetaPath), e.PutSysmeta(v))
	}
}

func tempFileLifecycle(t *testing.T, e *Env) {
	// The document is written to metadata/tmp and renamed into place: after success the
	// temp dir is empty and the document complete; a reader that fails half-way leaves no
	// document and no temp file, and an existing document untouched.
	v := Vectors()[0]
	e.PutSysmeta(v)
	e.TmpEmpty()
	assert.Equal(t, v.SysmetaSHA256, SHA256Hex(e.ReadFile(v.SysmetaPath)))
	before := storeTree(e)
	failing := io.MultiReader(bytes.NewReader([]byte("<partial")), iotest.ErrReader(io.ErrUnexpectedEOF))
	_, err := e.Store.StoreMetadata(e.Context, v.PID, failing)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	failing = io.MultiReader(bytes.NewReader([]byte("<partial")), iotest.ErrReader(io.ErrUnexpectedEOF))
	_, err = e.Store.StoreMetadata(e.Context, "dou.test.new", failing)
	assert.Error(t, err)
	unchanged(t, e, before)
	e.TmpEmpty()
}

func replaceAtEveryFailurePoint(t *testing.T, e *Env) {
	// Whatever single file-system call fails while a document is replaced, the old
	// document or the complete new one is in place, and no temp file is left.
	v := Vectors()[2]
	newer := []byte("<sysmeta replaced=\"yes\"/>")
	failureMatrix(t, e,
		func(env *Env) { env.PutSysmeta(v) },
		func(s hashstore.Store) error {
			_, err := s.StoreMetadata(e.Context, v.PID, bytes.NewReader(newer))
			return err
		},
		func(t *testing.T, env *Env, err error) {
			got := env.ReadFile(v.SysmetaPath)
			if err == nil {
				assert.Equal(t, newer, got)
			}
		})
}

func returnedPathResolves(t *testing.T, e *Env) {
	v := Vectors()[1]
	p := storeMeta(t, e, v.PID, v.Sysmeta(), hashstore.WithFormatID(fmtEML))
	atPath, err := readFileAt(e, p)
	require.NoError(t, err)
	got, err := retrieveMeta(e, v.PID, hashstore.WithFormatID(fmtEML))
	require.NoError(t, err)
	assert.Equal(t, atPath, got)
	assert.Equal(t, v.Sysmeta(), got)
}

// ---- section 11: retrieveMetadata

func retrieveWithFormatID(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		storeMeta(t, e, v.PID, v.Sysmeta(), hashstore.WithFormatID(fmtEML))
		got, err := retrieveMeta(e, v.PID, hashstore.WithFormatID(fmtEML))
		require.NoError(t, err)
		assert.Equal(t, v.Sysmeta(), got)
		// not under the default namespace
		_, err = retrieveMeta(e, v.PID)
		assert.ErrorIs(t, err, hashstore.ErrNotFound)
	}
}

func retrieveDefault(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutSysmeta(v)
		got, err := retrieveMeta(e, v.PID)
		require.NoError(t, err)
		assert.Equal(t, v.Sysmeta(), got)
		got, err = retrieveMeta(e, v.PID, hashstore.WithFormatID(hashstore.DefaultNamespace))
		require.NoError(t, err)
		assert.Equal(t, v.Sysmeta(), got)
	}
}

func retrievedDigest(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutSysmeta(v)
		r, err := e.Store.RetrieveMetadata(e.Context, v.PID)
		require.NoError(t, err)
		got, err := readAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, v.SysmetaSHA256, SHA256Hex(got))
	}
	// the stream seeks: read it again from the start
	v := Vectors()[0]
	r, err := e.Store.RetrieveMetadata(e.Context, v.PID)
	require.NoError(t, err)
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	require.NoError(t, err)
	_, err = r.Seek(0, io.SeekStart)
	require.NoError(t, err)
	again, err := readAll(r)
	require.NoError(t, err)
	assert.Equal(t, v.SysmetaSHA256, SHA256Hex(again))
}

func retrieveMetadataInvalidPid(t *testing.T, e *Env) {
	for _, pid := range invalidIDs {
		_, err := e.Store.RetrieveMetadata(e.Context, pid)
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", pid)
		_, err = e.Store.RetrieveMetadata(e.Context, pid, hashstore.WithFormatID(fmtEML))
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", pid)
	}
}

func retrieveInvalidFormatID(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutSysmeta(v)
	for _, f := range invalidIDs {
		_, err := e.Store.RetrieveMetadata(e.Context, v.PID, hashstore.WithFormatID(f))
		assert.ErrorIs(t, err, hashstore.ErrInvalidArgument, "%q", f)
	}
}

func retrieveNothingStored(t *testing.T, e *Env) {
	_, err := retrieveMeta(e, "dou.test.1")
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	_, err = retrieveMeta(e, "dou.test.1", hashstore.WithFormatID(fmtEML))
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	// an object without metadata has none either
	v := Vectors()[1]
	e.PutVector(v)
	_, err = retrieveMeta(e, v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
}

// ---- section 13: deleteMetadata

func deleteOneDocument(t *testing.T, e *Env) {
	v := Vectors()[0]
	storeMeta(t, e, v.PID, v.Sysmeta(), hashstore.WithFormatID(fmtEML))
	require.NoError(t, e.Store.DeleteMetadata(e.Context, v.PID, fmtEML))
	assert.False(t, e.Exists(MetadataPath(v.PID, fmtEML)))
	assert.Zero(t, e.Count("metadata"))
	assertDirs(t, e, metadataDir(v.PID), "metadata")
	assert.Empty(t, deleteLeftovers(e))
}

func deleteAllDocuments(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	storeMeta(t, e, v.PID, []byte("test"), hashstore.WithFormatID(fmtTest))
	other := Vectors()[1]
	e.PutSysmeta(other)
	require.Equal(t, 4, e.Count("metadata"))
	require.NoError(t, e.Store.DeleteAllMetadata(e.Context, v.PID))
	assert.Equal(t, []string{other.SysmetaPath}, e.Files("metadata"), "only the other pid's document is left")
	assertDirs(t, e, metadataDir(v.PID)) // the pid's directory remains
	assert.Empty(t, deleteLeftovers(e))
}

func deleteOneOfThree(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	storeMeta(t, e, v.PID, []byte("test"), hashstore.WithFormatID(fmtTest))
	require.NoError(t, e.Store.DeleteMetadata(e.Context, v.PID, fmtEML))
	assert.ElementsMatch(t, []string{v.SysmetaPath, MetadataPath(v.PID, fmtTest)}, e.Files("metadata"))
	require.NoError(t, e.Store.DeleteMetadata(e.Context, v.PID, hashstore.DefaultNamespace))
	assert.Equal(t, []string{MetadataPath(v.PID, fmtTest)}, e.Files("metadata"))
}

func deleteNothingStored(t *testing.T, e *Env) {
	e.PutSysmeta(Vectors()[1])
	before := storeTree(e)
	assert.NoError(t, e.Store.DeleteMetadata(e.Context, "dou.test.1", fmtEML))
	assert.NoError(t, e.Store.DeleteMetadata(e.Context, "dou.test.1", hashstore.DefaultNamespace))
	assert.NoError(t, e.Store.DeleteAllMetadata(e.Context, "dou.test.1"))
	// a pid with documents, but not in this format
	assert.NoError(t, e.Store.DeleteMetadata(e.Context, Vectors()[1].PID, fmtEML))
	unchanged(t, e, before)
}

func deleteAllAfterDefault(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutSysmeta(v)
	}
	for _, v := range Vectors() {
		require.NoError(t, e.Store.DeleteAllMetadata(e.Context, v.PID))
	}
	assert.Zero(t, e.Count("metadata"))
}

func deleteMetadataInvalidPid(t *testing.T, e *Env) {
	e.PutSysmeta(Vectors()[0])
	before := storeTree(e)
	for _, pid := range invalidIDs {
		assert.ErrorIs(t, e.Store.DeleteMetadata(e.Context, pid, fmtEML), hashstore.ErrInvalidArgument, "%q", pid)
		assert.ErrorIs(t, e.Store.DeleteAllMetadata(e.Context, pid), hashstore.ErrInvalidArgument, "%q", pid)
	}
	unchanged(t, e, before)
}

func deleteEmptyFormatID(t *testing.T, e *Env) {
	// Java's null formatId on the two-argument form: in Go the empty string. It is an
	// error, not "delete all" (that is DeleteAllMetadata).
	v := Vectors()[0]
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	before := storeTree(e)
	assert.ErrorIs(t, e.Store.DeleteMetadata(e.Context, v.PID, ""), hashstore.ErrInvalidArgument)
	unchanged(t, e, before)
}

func deleteFormatIDWithSpaces(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutSysmeta(v)
	before := storeTree(e)
	for _, f := range []string{" ", "   ", "\t", "a b", hashstore.DefaultNamespace + " "} {
		assert.ErrorIs(t, e.Store.DeleteMetadata(e.Context, v.PID, f), hashstore.ErrInvalidArgument, "%q", f)
	}
	unchanged(t, e, before)
}

func documentsRenamedForDeletion(t *testing.T, e *Env) {
	// With unlinking failing, the three documents stay behind under "<path>_delete":
	// each was renamed before being unlinked. They no longer count as documents.
	v := Vectors()[0]
	e.PutSysmeta(v)
	storeMeta(t, e, v.PID, []byte("<eml/>"), hashstore.WithFormatID(fmtEML))
	storeMeta(t, e, v.PID, []byte("test"), hashstore.WithFormatID(fmtTest))
	s, ffs := openOnFaultFs(t, e)
	for k := 1; k <= 3; k++ {
		ffs.FailAt(faultfs.OpRemove, k, errInjected)
	}
	require.NoError(t, s.DeleteAllMetadata(e.Context, v.PID))
	for _, f := range []string{hashstore.DefaultNamespace, fmtEML, fmtTest} {
		p := MetadataPath(v.PID, f)
		assert.False(t, e.Exists(p), p)
		assert.True(t, e.Exists(p+"_delete"), p+"_delete")
		_, err := retrieveMeta(e, v.PID, hashstore.WithFormatID(f))
		assert.ErrorIs(t, err, hashstore.ErrNotFound)
	}
	// a second delete-all ignores the leftovers
	before := storeTree(e)
	require.NoError(t, e.Store.DeleteAllMetadata(e.Context, v.PID))
	unchanged(t, e, before)
	assert.Len(t, deleteLeftovers(e), 3, fmt.Sprint(deleteLeftovers(e)))
}
