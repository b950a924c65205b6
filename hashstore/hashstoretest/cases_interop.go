package hashstoretest

// docs/CONFORMANCE.md section 18: interoperability with the references. Section 17 (the
// reference CLIs) is pinned by the CLI tests in cmd/hashstore, C286 (the golden stores) by
// TestC286GoldenStoresRead and TestC286GoldenStoresTagAndDelete in package hashstore; see
// UNCOVERED.md.

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v4"

	"github.com/hashstore-go/hashstore/hashstore"
)

// buildGoldenSequence does what the golden stores were made with: store the three vectors
// with their pids, their sysmeta in the default namespace, then jtao.1700.1 again as dupPID.
func buildGoldenSequence(t *testing.T, e *Env) {
	t.Helper()
	for _, v := range Vectors() {
		e.PutVector(v)
		e.PutSysmeta(v)
	}
	_, err := e.Put(vectorByPID(t, "jtao.1700.1").Data(), hashstore.WithPID(dupPID))
	require.NoError(t, err)
}

func sameInputsSamePathsAndBytes(t *testing.T, e *Env) {
	buildGoldenSequence(t, e)
	jtao := vectorByPID(t, "jtao.1700.1")
	// The 13 data/ref/metadata paths of both golden stores, with the bytes both references
	// write (cid refs: the Python bytes, which Java also has for jtao after its rewrite).
	want := map[string]string{}
	for _, v := range Vectors() {
		want[v.ObjectPath] = SHA256Hex(v.Data())
		want[v.PIDRefsPath] = SHA256Hex([]byte(v.CID))
		want[v.SysmetaPath] = v.SysmetaSHA256
		want[v.CIDRefsPath] = SHA256Hex([]byte(v.PID + "\n"))
	}
	dupRefs := "refs/pids/c8/89/8f/b54758759d83f6349ae3e211781ffb0d8b987dd14d17eec8ee7552950f"
	assert.Equal(t, dupRefs, PIDRefsPath(dupPID))
	want[dupRefs] = SHA256Hex([]byte(jtao.CID))
	want[jtao.CIDRefsPath] = SHA256Hex([]byte("jtao.1700.1\njtao.1700.1.dup\n"))
	require.Len(t, want, 13)
	assert.Equal(t, want, dataFiles(e))
	assert.Equal(t, "jtao.1700.1\njtao.1700.1.dup\n", string(e.ReadFile(jtao.CIDRefsPath)))

	// and a second store fed the same inputs is identical, hashstore.yaml included
	e2 := NewEnv(t, e.H, e.Config)
	buildGoldenSequence(t, e2)
	assert.Equal(t, fileTree(e), fileTree(e2))
}

func addToForeignCidRefs(t *testing.T, e *Env) {
	v := vectorByPID(t, "jtao.1700.1")
	e.WriteFile(v.ObjectPath, v.Data())
	for _, c := range []struct {
		name     string
		existing []string
		content  string
		want     string // exact result, or "" to check lines only
	}{
		{"java-created", []string{"p1"}, "p1", "p1\np3\n"},
		{"java-rewritten", []string{"p1", "p2"}, "p1\np2\n", "p1\np2\np3\n"},
		{"python-created", []string{"p1"}, "p1\n", "p1\np3\n"},
		{"crlf", []string{"p1", "p2"}, "p1\r\np2\r\n", ""},
		{"crlf-no-final-newline", []string{"p1", "p2"}, "p1\r\np2", ""},
	} {
		for _, p := range c.existing {
			e.WriteFile(PIDRefsPath(p), []byte(v.CID))
		}
		e.WriteFile(v.CIDRefsPath, []byte(c.content))
		require.NoError(t, e.Store.TagObject(e.Context, "p3", v.CID), c.name)
		got := string(e.ReadFile(v.CIDRefsPath))
		if c.want != "" {
			assert.Equal(t, c.want, got, c.name)
		}
		assert.True(t, strings.HasPrefix(got, c.content), "%s: existing bytes kept: %q", c.name, got)
		assert.True(t, strings.HasSuffix(got, "\np3\n"), "%s: new pid on its own line: %q", c.name, got)
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			lines = append(lines, strings.TrimRight(l, "\r"))
		}
		assert.Equal(t, append(append([]string{}, c.existing...), "p3"), lines, c.name)
		for _, p := range append(c.existing, "p3") {
			_, err := e.Store.FindObject(e.Context, p)
			assert.NoError(t, err, "%s: %s", c.name, p)
		}
		e.Remove(PIDRefsPath("p3"))
	}
}

func deleteFromForeignCidRefs(t *testing.T, e *Env) {
	v := vectorByPID(t, "jtao.1700.1")
	for _, c := range []struct {
		name    string
		pids    []string
		content string
		del     string
		want    string // remaining cid refs; "" means the file and the object are gone
	}{
		{"python", []string{"p1", "p2", "p3"}, "p1\np2\np3\n", "p2", "p1\np3\n"},
		{"java-rewritten", []string{"p1", "p2"}, "p1\np2\n", "p1", "p2\n"},
		{"java-no-final-newline", []string{"p1", "p2"}, "p1\np2", "p2", "p1\n"},
		{"crlf", []string{"p1", "p2", "p3"}, "p1\r\np2\r\np3\r\n", "p2", "p1\np3\n"},
		{"java-created-last", []string{"p1"}, "p1", "p1", ""},
		{"python-created-last", []string{"p1"}, "p1\n", "p1", ""},
	} {
		e.WriteFile(v.ObjectPath, v.Data())
		for _, p := range c.pids {
			e.WriteFile(PIDRefsPath(p), []byte(v.CID))
		}
		e.WriteFile(v.CIDRefsPath, []byte(c.content))
		require.NoError(t, e.Store.DeleteObject(e.Context, c.del), c.name)
		assert.False(t, e.Exists(PIDRefsPath(c.del)), c.name)
		if c.want == "" {
			assert.False(t, e.Exists(v.CIDRefsPath), "%s: emptied cid refs removed", c.name)
			assert.False(t, e.Exists(v.ObjectPath), "%s: unreferenced object removed", c.name)
		} else {
			assert.Equal(t, c.want, string(e.ReadFile(v.CIDRefsPath)), c.name)
			assert.True(t, e.Exists(v.ObjectPath), c.name)
		}
		for _, p := range c.pids {
			if p != c.del {
				_, err := e.Store.FindObject(e.Context, p)
				assert.NoError(t, err, "%s: %s", c.name, p)
				e.Remove(PIDRefsPath(p))
			}
		}
		assert.Empty(t, deleteLeftovers(e), c.name)
	}
}

func nonASCIIPidAndFormatID(t *testing.T, e *Env) {
	const pid, formatID = "ärger.ü", "fmt/ü"
	const pidHash = "c7837b6e4ab32e5c653faa50b426c29445ee9da52b0265512183214bac7504ef"
	const docName = "db31c1c3bc8fb526b01e8ef370fdbfbad74bae383cd104e1a22850987abd5cc1"
	// the values docs/CONFORMANCE.md abbreviates, recomputed here over the UTF-8 bytes
	require.Equal(t, pidHash, SHA256Hex([]byte(pid)))
	require.Equal(t, docName, SHA256Hex([]byte(pid+formatID)))
	require.True(t, strings.HasPrefix(pidHash, "c7837b6e") && strings.HasSuffix(pidHash, "04ef"))
	require.True(t, strings.HasPrefix(docName, "db31c1c3") && strings.HasSuffix(docName, "5cc1"))

	v := Vectors()[0]
	_, err := e.Put(v.Data(), hashstore.WithPID(pid))
	require.NoError(t, err)
	pidRefs := "refs/pids/c7/83/7b/6e4ab32e5c653faa50b426c29445ee9da52b0265512183214bac7504ef"
	assert.Equal(t, v.CID, string(e.ReadFile(pidRefs)))
	assert.Equal(t, pid+"\n", string(e.ReadFile(v.CIDRefsPath)))

	p, err := e.Store.StoreMetadata(e.Context, pid, bytes.NewReader(v.Sysmeta()), hashstore.WithFormatID(formatID))
	require.NoError(t, err)
	doc := "metadata/c7/83/7b/6e4ab32e5c653faa50b426c29445ee9da52b0265512183214bac7504ef/" + docName
	assert.Equal(t, e.Path(doc), p)
	assert.Equal(t, v.Sysmeta(), e.ReadFile(doc))
	assert.Equal(t, doc, MetadataPath(pid, formatID))

	got, err := retrieveMeta(e, pid, hashstore.WithFormatID(formatID))
	require.NoError(t, err)
	assert.Equal(t, v.Sysmeta(), got)
	data, err := retrieveAll(e, pid)
	require.NoError(t, err)
	assert.Equal(t, v.Data(), data)
	require.NoError(t, e.Store.DeleteObject(e.Context, pid))
	requireNothingLeft(t, e)
}

func goStoreReopensWithSameProperties(t *testing.T, e *Env) {
	// The Python and Java sides (opening this store in those runtimes) are not run here.
	v := Vectors()[0]
	e.PutVector(v)
	e.PutSysmeta(v)
	before := storeTree(e)
	s, err := e.Reopen(e.Config)
	require.NoError(t, err)
	unchanged(t, e, before, "reopening changes nothing, hashstore.yaml is not rewritten")
	got, err := s.GetHexDigest(e.Context, v.PID, "SHA-256")
	require.NoError(t, err)
	assert.Equal(t, v.CID, got)

	// What the references' readers need from hashstore.yaml: the four properties they
	// compare (depth and width as integers, the strings exactly), and for Python the list
	// of default algorithms, each one its translation table knows.
	text := e.ReadFile("hashstore.yaml")
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(text, &doc))
	assert.Equal(t, 3, doc["store_depth"])
	assert.Equal(t, 2, doc["store_width"])
	assert.Equal(t, "SHA-256", doc["store_algorithm"])
	assert.Equal(t, hashstore.DefaultNamespace, doc["store_metadata_namespace"])
	assert.Equal(t, []any{"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"}, doc["store_default_algo_list"])
	last := -1
	for _, k := range []string{"store_depth:", "store_width:", "store_metadata_namespace:", "store_algorithm:", "store_default_algo_list:"} {
		i := bytes.Index(text, []byte("\n"+k))
		require.Greater(t, i, last, "key %s in the order both references write", k)
		last = i
	}
}

func emptyObject(t *testing.T, e *Env) {
	const emptyCID = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	meta, err := e.Put(nil, hashstore.WithPID("dou.empty"))
	require.NoError(t, err)
	assert.Equal(t, emptyCID, meta.CID)
	assert.Equal(t, int64(0), meta.Size)
	assert.Equal(t, "d41d8cd98f00b204e9800998ecf8427e", meta.HexDigests["MD5"])
	obj := "objects/e3/b0/c4/4298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	assert.Equal(t, obj, ObjectPath(emptyCID))
	fi, err := e.Fs.Stat(e.Path(obj))
	require.NoError(t, err)
	assert.Equal(t, int64(0), fi.Size())
	tagged(t, e, "dou.empty", emptyCID)
	got, err := retrieveAll(e, "dou.empty", hashstore.WithVerify())
	require.NoError(t, err)
	assert.Empty(t, got)
}

func inMemoryReaders(t *testing.T, e *Env) {
	// Python 1.1.0 fails on BytesIO; Go takes any io.Reader, read from its current position
	// (as Java does; Python rewinds to offset 0).
	vs := Vectors()
	partial := strings.NewReader("skip me|" + string(vs[2].Data()))
	_, err := partial.Seek(int64(len("skip me|")), io.SeekStart)
	require.NoError(t, err)
	for i, c := range []struct {
		v Vector
		r io.Reader
	}{
		{vs[0], bytes.NewReader(vs[0].Data())},
		{vs[1], strings.NewReader(string(vs[1].Data()))},
		{vs[2], partial},
	} {
		meta, err := e.Store.StoreObject(e.Context, c.r, hashstore.WithPID(c.v.PID))
		require.NoError(t, err, i)
		assert.Equal(t, c.v.CID, meta.CID, i)
		assert.Equal(t, c.v.Size, meta.Size, i)
		assert.Equal(t, c.v.Data(), e.ReadFile(c.v.ObjectPath), i)
	}
	meta, err := e.Store.StoreObject(e.Context, bytes.NewBuffer(vs[0].Data()), hashstore.WithPID("dou.buffer"))
	require.NoError(t, err)
	assert.Equal(t, vs[0].CID, meta.CID)
	assert.Equal(t, 3, e.Count("objects"))
}
