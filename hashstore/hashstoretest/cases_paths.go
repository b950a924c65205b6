package hashstoretest

// docs/CONFORMANCE.md section 16: paths, identifier checks and value types (docs/FORMAT.md 3
// and 4).

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// idCall is one way an identifier reaches the API.
type idCall struct {
	name string
	call func(id string) error
}

// idCalls lists every argument of the API that is an identifier (pid, cid, format id), each as
// a call with the other arguments valid. v is stored under its pid with its sysmeta.
func idCalls(e *Env, v Vector) []idCall {
	ctx := e.Context
	s := e.Store
	ns := e.Config.MetadataNamespace
	return []idCall{
		{"StoreObject pid", func(id string) error {
			_, err := e.Put(Vectors()[1].Data(), hashstore.WithPID(id))
			return err
		}},
		{"TagObject pid", func(id string) error { return s.TagObject(ctx, id, v.CID) }},
		{"TagObject cid", func(id string) error { return s.TagObject(ctx, "dou.tag.1", id) }},
		{"StoreMetadata pid", func(id string) error {
			_, err := s.StoreMetadata(ctx, id, bytes.NewReader(v.Sysmeta()))
			return err
		}},
		{"StoreMetadata format id", func(id string) error {
			_, err := s.StoreMetadata(ctx, v.PID, bytes.NewReader(v.Sysmeta()), hashstore.WithFormatID(id))
			return err
		}},
		{"RetrieveObject pid", func(id string) error { return closeIfOpened(s.RetrieveObject(ctx, id)) }},
		{"RetrieveMetadata pid", func(id string) error { return closeIfOpened(s.RetrieveMetadata(ctx, id)) }},
		{"RetrieveMetadata format id", func(id string) error {
			return closeIfOpened(s.RetrieveMetadata(ctx, v.PID, hashstore.WithFormatID(id)))
		}},
		{"DeleteObject pid", func(id string) error { return s.DeleteObject(ctx, id) }},
		{"DeleteMetadata pid", func(id string) error { return s.DeleteMetadata(ctx, id, ns) }},
		{"DeleteMetadata format id", func(id string) error { return s.DeleteMetadata(ctx, v.PID, id) }},
		{"DeleteAllMetadata pid", func(id string) error { return s.DeleteAllMetadata(ctx, id) }},
		{"GetHexDigest pid", func(id string) error {
			_, err := s.GetHexDigest(ctx, id, "SHA-256")
			return err
		}},
		{"FindObject pid", func(id string) error {
			_, err := s.FindObject(ctx, id)
			return err
		}},
	}
}

// assertIDsRejected asserts that every identifier argument of the API refuses each of ids with
// ErrInvalidArgument, changing nothing.
func assertIDsRejected(t *testing.T, e *Env, ids []string) {
	t.Helper()
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	for _, c := range idCalls(e, v) {
		for _, id := range ids {
			rejectsWith(t, e, hashstore.ErrInvalidArgument, func() error { return c.call(id) }, "%s %q", c.name, id)
		}
	}
	e.TmpEmpty()
}

func pidRefsPathLayout(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
		assert.Equal(t, v.PIDRefsPath, PIDRefsPath(v.PID))
		info, err := e.Store.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, e.Path(v.PIDRefsPath), info.PIDRefsPath)
		assert.Equal(t, v.CID, string(e.ReadFile(v.PIDRefsPath)))
	}
	for _, pid := range []string{"dou.test.1", "ärger.ü", "a/b:c"} {
		_, err := e.Put(Vectors()[0].Data(), hashstore.WithPID(pid))
		require.NoError(t, err, pid)
		info, err := e.Store.FindObject(e.Context, pid)
		require.NoError(t, err)
		assert.Equal(t, e.Path(PIDRefsPath(pid)), info.PIDRefsPath, pid)
		assert.True(t, e.Exists(PIDRefsPath(pid)), pid)
	}
}

func cidRefsPathLayout(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
		assert.Equal(t, v.CIDRefsPath, CIDRefsPath(v.CID))
		info, err := e.Store.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, e.Path(v.CIDRefsPath), info.CIDRefsPath)
		assert.True(t, e.Exists(v.CIDRefsPath))
	}
	// A cid that names no object (tagObject accepts one) is sharded as is, not hashed.
	const cid = "abcdef123456789"
	require.NoError(t, e.Store.TagObject(e.Context, "dou.tag.1", cid))
	assert.Equal(t, "refs/cids/ab/cd/ef/123456789", CIDRefsPath(cid))
	assert.Equal(t, "dou.tag.1\n", string(e.ReadFile("refs/cids/ab/cd/ef/123456789")))
}

func metadataPathLayout(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		p, err := e.Store.StoreMetadata(e.Context, v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
		assert.Equal(t, v.SysmetaPath, MetadataPath(v.PID, hashstore.DefaultNamespace))
		assert.Equal(t, e.Path(v.SysmetaPath), p, "default namespace")
		for _, f := range []string{"http://ns.dataone.org/service/types/v2.0", "eml://ecoinformatics.org/eml-2.1.1"} {
			p, err := e.Store.StoreMetadata(e.Context, v.PID, bytes.NewReader(v.Sysmeta()), hashstore.WithFormatID(f))
			require.NoError(t, err)
			assert.Equal(t, e.Path(MetadataPath(v.PID, f)), p, f)
			assert.True(t, e.Exists(MetadataPath(v.PID, f)))
		}
	}
}

func objectPathForPID(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
		cid := string(e.ReadFile(PIDRefsPath(v.PID)))
		info, err := e.Store.FindObject(e.Context, v.PID)
		require.NoError(t, err)
		assert.Equal(t, e.Path(ObjectPath(cid)), info.ObjectPath)
		assert.Equal(t, e.Path(v.ObjectPath), info.ObjectPath)
	}
}

func objectPathUnknown(t *testing.T, e *Env) {
	e.PutVector(Vectors()[0])
	const pid = "dou.unknown.1"
	_, err := e.Store.FindObject(e.Context, pid)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)
	assert.ErrorIs(t, closeIfOpened(e.Store.RetrieveObject(e.Context, pid)), hashstore.ErrNotFound)
	for _, alg := range []string{"SHA-256", "MD5"} {
		_, err = e.Store.GetHexDigest(e.Context, pid, hashstore.Algorithm(alg))
		assert.ErrorIs(t, err, hashstore.ErrNotFound, alg)
	}
	// A pid tagged to a cid whose object does not exist: the path is known, the file is not.
	const cid = "abcdef123456789"
	require.NoError(t, e.Store.TagObject(e.Context, "dou.tag.1", cid))
	info, err := e.Store.FindObject(e.Context, "dou.tag.1")
	assert.ErrorIs(t, err, hashstore.ErrObjectMissing)
	assert.Equal(t, e.Path(ObjectPath(cid)), info.ObjectPath)
	assert.Error(t, closeIfOpened(e.Store.RetrieveObject(e.Context, "dou.tag.1")))
}

func storeSubPaths(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	p := e.PutSysmeta(v)
	info, err := e.Store.FindObject(e.Context, v.PID)
	require.NoError(t, err)
	sep := string(filepath.Separator)
	assert.True(t, strings.HasPrefix(info.ObjectPath, e.Path("objects")+sep), info.ObjectPath)
	assert.True(t, strings.HasPrefix(info.CIDRefsPath, e.Path("refs/cids")+sep), info.CIDRefsPath)
	assert.True(t, strings.HasPrefix(info.PIDRefsPath, e.Path("refs/pids")+sep), info.PIDRefsPath)
	assert.True(t, strings.HasPrefix(p, e.Path("metadata")+sep), p)
	assert.Equal(t, p, info.SysmetaPath)
}

func metadataMissing(t *testing.T, e *Env) {
	v := Vectors()[0]
	assert.ErrorIs(t, closeIfOpened(e.Store.RetrieveMetadata(e.Context, v.PID)), hashstore.ErrNotFound)
	_, err := e.Store.StoreMetadata(e.Context, v.PID, bytes.NewReader(v.Sysmeta()), hashstore.WithFormatID("eml://ecoinformatics.org/eml-2.1.1"))
	require.NoError(t, err)
	// Another format's document does not stand in for the missing one.
	assert.ErrorIs(t, closeIfOpened(e.Store.RetrieveMetadata(e.Context, v.PID)), hashstore.ErrNotFound)
	assert.ErrorIs(t, closeIfOpened(e.Store.RetrieveMetadata(e.Context, v.PID, hashstore.WithFormatID("http://ns.dataone.org/service/types/v2.0"))), hashstore.ErrNotFound)
}

func openObjectStream(t *testing.T, e *Env) {
	v := Vectors()[0]
	e.PutVector(v)
	r, err := e.Store.RetrieveObject(e.Context, v.PID)
	require.NoError(t, err)
	defer r.Close()
	var rs io.ReadSeeker = r
	got, err := io.ReadAll(rs)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(v.Data(), got))
	// Seekable, and readable at an offset.
	_, err = r.Seek(1000, io.SeekStart)
	require.NoError(t, err)
	part := make([]byte, 16)
	_, err = io.ReadFull(r, part)
	require.NoError(t, err)
	assert.Equal(t, v.Data()[1000:1016], part)
	_, err = r.Seek(20000, io.SeekStart)
	require.NoError(t, err)
	_, err = io.ReadFull(r, part)
	require.NoError(t, err)
	assert.Equal(t, v.Data()[20000:20016], part)
}

func countObjects(t *testing.T, e *Env) {
	for _, v := range Vectors() {
		e.PutVector(v)
	}
	_, err := e.Put(Vectors()[0].Data(), hashstore.WithPID("dou.test.2"))
	require.NoError(t, err)
	assert.Equal(t, 3, e.Count("objects"))
}

func idCheckPython(t *testing.T, e *Env) {
	// "" is Go's None.
	assertIDsRejected(t, e, []string{"   ", "", "\n", "hello \n", "\t"})
}

func idCheckJava(t *testing.T, e *Env) {
	assertIDsRejected(t, e, []string{"dou.test.1\n", "\n"})
}

func idCheckPythonWhitespaceSet(t *testing.T, e *Env) {
	// Python's str.isspace set, the stricter one: Go's unicode.IsSpace misses U+001C..U+001F;
	// Java misses U+0085, U+00A0, U+2007, U+202F.
	var ids []string
	for _, r := range []rune{0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0xA0, 0x2007, 0x202F, 0x1680, 0x2000, 0x2028, 0x3000} {
		ids = append(ids, "dou"+string(r)+"test", string(r))
	}
	assertIDsRejected(t, e, ids)
	// Python's whole set (every code point where str.isspace() is true, Python 3.11), as a
	// pid, inside and alone.
	for _, r := range pythonWhitespace {
		for _, pid := range []string{"dou" + string(r) + "test", string(r)} {
			rejectsWith(t, e, hashstore.ErrInvalidArgument, storeFn(e, Vectors()[2].Data(), hashstore.WithPID(pid)), "%U", r)
		}
	}
	// Not whitespace: accepted (the check is not simply "ASCII only").
	for _, pid := range []string{"ärger.ü", "a\u200bb", "pid\u00adsoft", "日本"} {
		_, err := e.Put(Vectors()[2].Data(), hashstore.WithPID(pid))
		assert.NoError(t, err, "%q", pid)
		assert.True(t, e.Exists(PIDRefsPath(pid)), "%q", pid)
	}
}

func objectMetadataFields(t *testing.T, e *Env) {
	v := Vectors()[0]
	for _, pid := range []string{v.PID, ""} {
		m := hashstore.ObjectMetadata{PID: pid, CID: v.CID, Size: v.Size, HexDigests: map[hashstore.Algorithm]string{"SHA-256": v.CID}}
		assert.Equal(t, pid, m.PID)
		assert.Equal(t, v.CID, m.CID)
		assert.Equal(t, v.Size, m.Size)
		assert.Equal(t, map[hashstore.Algorithm]string{"SHA-256": v.CID}, m.HexDigests)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		var fields map[string]any
		require.NoError(t, json.Unmarshal(b, &fields))
		assert.ElementsMatch(t, []string{"pid", "cid", "size", "hex_digests"}, slices.Collect(maps.Keys(fields)))
		var back hashstore.ObjectMetadata
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, m, back)
	}
}

func idsHashedAsUTF8(t *testing.T, e *Env) {
	// H(pid) and H(pid+formatId) hash the UTF-8 bytes (docs/FORMAT.md 4.2, 4.4; values verified
	// with both references for C289).
	const pid, format = "ärger.ü", "fmt/ü"
	h := SHA256Hex([]byte(pid))
	assert.True(t, strings.HasPrefix(h, "c7837b6e") && strings.HasSuffix(h, "04ef"), h)
	d := SHA256Hex([]byte(pid + format))
	assert.True(t, strings.HasPrefix(d, "db31c1c3") && strings.HasSuffix(d, "5cc1"), d)
	v := Vectors()[1]
	_, err := e.Put(v.Data(), hashstore.WithPID(pid))
	require.NoError(t, err)
	assert.Equal(t, v.CID, string(e.ReadFile("refs/pids/"+shard(h))))
	p, err := e.Store.StoreMetadata(e.Context, pid, bytes.NewReader(v.Sysmeta()), hashstore.WithFormatID(format))
	require.NoError(t, err)
	assert.Equal(t, e.Path("metadata/"+shard(h)+"/"+d), p)
}
