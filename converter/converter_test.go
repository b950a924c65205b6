package converter_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/internal/faultfs"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// vectorsDir holds the reference test data (committed; VECTORS.md describes it).
const vectorsDir = "../testdata/vectors"

var defaultKeys = hashstore.DefaultAlgorithms()

// fixture is a Converter together with the store it converts into.
type fixture struct {
	*converter.Converter
	store *hashstore.FileHashStore
}

// newConverter makes a converter that hard-links (hashstore.LinkFile) into a fresh store in a
// temp dir, opened with fsOpts.
func newConverter(t testing.TB, fsOpts ...hashstore.Option) fixture {
	t.Helper()
	return newPolicyConverter(t, hashstore.LinkFile, fsOpts...)
}

// newPolicyConverter makes a converter that places files with policy into a fresh store.
func newPolicyConverter(t testing.TB, policy hashstore.LinkPolicy, fsOpts ...hashstore.Option) fixture {
	t.Helper()
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig(), fsOpts...)
	require.NoError(t, err)
	return fixture{converter.New(s, policy), s}
}

// vector returns a reference vector by pid, with its data file copied to a fresh source and
// its sysmeta read from the test data.
func vector(t testing.TB, i int) (hashstoretest.Vector, string, []byte) {
	t.Helper()
	v := hashstoretest.Vectors()[i]
	data, err := os.ReadFile(filepath.Join(vectorsDir, v.File))
	require.NoError(t, err)
	sm, err := os.ReadFile(filepath.Join(vectorsDir, v.File+".xml"))
	require.NoError(t, err)
	return v, writeSource(t, data), sm
}

const (
	doi  = 0
	jtao = 1
	urn  = 2
)

func writeSource(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "source")
	require.NoError(t, os.WriteFile(p, data, 0o640))
	past := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	require.NoError(t, os.Chtimes(p, past, past))
	return p
}

// sysmetaDoc is a minimal DataONE v2 SystemMetadata document.
func sysmetaDoc(pid string, size int64, alg, sum string) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v2.0">
  <serialVersion>1</serialVersion>
  <identifier>%s</identifier>
  <formatId>application/octet-stream</formatId>
  <size>%d</size>
  <checksum algorithm="%s">%s</checksum>
  <submitter>CN=test</submitter>
  <rightsHolder>CN=test</rightsHolder>
</d1:systemMetadata>
`, pid, size, alg, sum)
}

// replace returns doc with old replaced by new exactly once.
func replace(t testing.TB, doc []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(doc, []byte(old)), "%q", old)
	return bytes.Replace(doc, []byte(old), []byte(new), 1)
}

type sourceState struct {
	Data  string
	Mode  fs.FileMode
	MTime time.Time
}

func stateOf(t testing.TB, p string) sourceState {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	return sourceState{string(data), fi.Mode(), fi.ModTime()}
}

// tree lists every file and directory under the store's root except the lock files.
func tree(t testing.TB, c fixture) map[string]string {
	return hashstoretest.Tree(t, afero.NewOsFs(), c.store.Root())
}

// unchanged runs fn and asserts that the store is the same afterwards.
func unchanged(t *testing.T, c fixture, fn func() error) error {
	t.Helper()
	before := tree(t, c)
	err := fn()
	assert.Equal(t, before, tree(t, c), "the store must be unchanged")
	return err
}

func inStore(c fixture, rel string) string {
	return filepath.Join(c.store.Root(), filepath.FromSlash(rel))
}

func sameFile(t testing.TB, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	require.NoError(t, err)
	fb, err := os.Stat(b)
	require.NoError(t, err)
	return os.SameFile(fa, fb)
}

func assertDigests(t *testing.T, v hashstoretest.Vector, got map[hashstore.Algorithm]string, keys ...hashstore.Algorithm) {
	t.Helper()
	want := map[hashstore.Algorithm]string{}
	for _, k := range keys {
		want[k] = v.Digests[k]
	}
	assert.Equal(t, want, got, "digests of %s", v.PID)
}

// assertConverted checks that a vector is in the store as VECTORS.md says, linked, with its
// sysmeta byte for byte.
func assertConverted(t *testing.T, c fixture, v hashstoretest.Vector, src string, sm []byte, res converter.Result) {
	t.Helper()
	assert.Equal(t, v.PID, res.Object.PID)
	assert.Equal(t, v.CID, res.Object.CID)
	assert.Equal(t, v.Size, res.Object.Size)
	assert.True(t, sameFile(t, src, inStore(c, v.ObjectPath)), "the object is the source")
	assert.Equal(t, inStore(c, v.SysmetaPath), res.SysmetaPath)
	got, err := os.ReadFile(inStore(c, v.SysmetaPath))
	require.NoError(t, err)
	assert.Equal(t, sm, got, "the sysmeta is stored exactly as given")
	sum := sha256.Sum256(got)
	assert.Equal(t, v.SysmetaSHA256, hex.EncodeToString(sum[:]))
	pidRefs, err := os.ReadFile(inStore(c, v.PIDRefsPath))
	require.NoError(t, err)
	assert.Equal(t, v.CID, string(pidRefs))
}

// TestConvertReferenceVectors: doi and jtao convert with their own sysmeta (SHA-256 and MD5
// checksums that match); urn's sysmeta declares a size (18934) and SHA-1 that its data
// (18699 bytes) does not have, so it fails with a size mismatch carrying every digest, and
// the store is unchanged.
func TestConvertReferenceVectors(t *testing.T) {
	c := newConverter(t)
	for _, i := range []int{doi, jtao} {
		v, src, sm := vector(t, i)
		before := stateOf(t, src)
		res, err := c.Convert(t.Context(), src, v.PID, sm)
		require.NoError(t, err, v.PID)
		assertDigests(t, v, res.Object.HexDigests, defaultKeys...)
		assert.Equal(t, hashstore.Linked, res.Placement)
		assert.False(t, res.AlreadyTagged)
		assertConverted(t, c, v, src, sm, res)
		assert.Equal(t, before, stateOf(t, src))
	}
	v, src, sm := vector(t, urn)
	before := stateOf(t, src)
	err := unchanged(t, c, func() error {
		_, err := c.Convert(t.Context(), src, v.PID, sm)
		return err
	})
	require.ErrorIs(t, err, hashstore.ErrSizeMismatch)
	assert.Equal(t, "size_mismatch", hashstore.ErrorKind(err))
	var se *hashstore.SizeMismatchError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int64(18934), se.Expected)
	assert.Equal(t, int64(18699), se.Actual)
	assert.Equal(t, v.Size, se.Actual)
	assert.False(t, se.AtLeast, "the exact size of the file")
	assertDigests(t, v, se.HexDigests, defaultKeys...)
	assert.Contains(t, err.Error(), v.Digests["SHA-1"], "the message gives the SHA-1 to put in the sysmeta")
	assert.Contains(t, err.Error(), v.PID)
	assert.Contains(t, err.Error(), src)
	assert.Equal(t, before, stateOf(t, src))

	// With the sysmeta corrected (size and SHA-1 from the error), it converts.
	fixed := replace(t, sm, "<size>18934</size>", fmt.Sprintf("<size>%d</size>", se.Actual))
	fixed = replace(t, fixed, "793852a27f007fa0e28f670e8630108d21c8d545", se.HexDigests[hashstore.SHA1])
	res, err := c.Convert(t.Context(), src, v.PID, fixed)
	require.NoError(t, err)
	assert.Equal(t, v.CID, res.Object.CID)
}

// TestC255_ConvertWithSHA256: each vector with its sysmeta and an explicit SHA-256. The Java
// converter ignores the sysmeta's content; here it is an expectation too, so urn still fails.
func TestC255_ConvertWithSHA256(t *testing.T) {
	c := newConverter(t)
	for _, i := range []int{doi, jtao, urn} {
		v, src, sm := vector(t, i)
		res, err := c.Convert(t.Context(), src, v.PID, sm, converter.WithChecksum(v.Digests["SHA-256"], "SHA-256"))
		if i == urn {
			require.ErrorIs(t, err, hashstore.ErrSizeMismatch)
			continue
		}
		require.NoError(t, err)
		assertDigests(t, v, res.Object.HexDigests, defaultKeys...)
		assertConverted(t, c, v, src, sm, res)
	}
}

func TestC256_ConvertWithMD2(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, jtao)
	res, err := c.Convert(t.Context(), src, v.PID, sm, converter.WithChecksum(v.Digests["MD2"], "MD2"))
	require.NoError(t, err)
	assertDigests(t, v, res.Object.HexDigests, append([]hashstore.Algorithm{hashstore.MD2}, defaultKeys...)...)
}

// TestC257_ConvertWithBLAKE2s: Java has no blake2s (NoSuchAlgorithmException); it is supported
// here.
func TestC257_ConvertWithBLAKE2s(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, jtao)
	res, err := c.Convert(t.Context(), src, v.PID, sm, converter.WithChecksum(v.Digests["BLAKE2s-256"], "blake2s"))
	require.NoError(t, err)
	assertDigests(t, v, res.Object.HexDigests, append([]hashstore.Algorithm{hashstore.BLAKE2s_256}, defaultKeys...)...)
	// A sysmeta that declares it works too.
	w, src2, _ := vector(t, doi)
	res, err = c.Convert(t.Context(), src2, w.PID, sysmetaDoc(w.PID, w.Size, "BLAKE2s-256", w.Digests["BLAKE2s-256"]))
	require.NoError(t, err)
	assert.Equal(t, w.CID, res.Object.CID)
}

// TestC258_ConvertTwice: Java fails the second time (HashStoreRefsAlreadyExistException);
// here a pid tagged to the same content converts again successfully, rewriting the sysmeta,
// and one tagged to other content fails without touching the sysmeta.
func TestC258_ConvertTwice(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, doi)
	_, err := c.Convert(t.Context(), src, v.PID, sm)
	require.NoError(t, err)
	n := nlinkOf(t, src)

	updated := replace(t, sm, "<serialVersion>", "<!-- updated --><serialVersion>")
	res, err := c.Convert(t.Context(), src, v.PID, updated)
	require.NoError(t, err)
	assert.True(t, res.AlreadyTagged)
	assert.Equal(t, v.CID, res.Object.CID)
	assertDigests(t, v, res.Object.HexDigests, defaultKeys...)
	got, err := os.ReadFile(inStore(c, v.SysmetaPath))
	require.NoError(t, err)
	assert.Equal(t, updated, got, "the sysmeta is replaced")
	assert.Equal(t, n, nlinkOf(t, src))

	// The same content from another copy of the file: still a re-run.
	_, src2, _ := vector(t, doi)
	res, err = c.Convert(t.Context(), src2, v.PID, sm)
	require.NoError(t, err)
	assert.True(t, res.AlreadyTagged)

	// Other content under the same pid, with a sysmeta that describes it: refused, nothing
	// changes (the sysmeta stays as it was).
	w, other, _ := vector(t, jtao)
	doc := sysmetaDoc(v.PID, w.Size, "MD5", w.Digests["MD5"])
	err = unchanged(t, c, func() error {
		_, err := c.Convert(t.Context(), other, v.PID, doc)
		return err
	})
	require.ErrorIs(t, err, hashstore.ErrPIDTaggedElsewhere)
	assert.Equal(t, "pid_tagged_elsewhere", hashstore.ErrorKind(err))
}

func TestC259_NoPathStoresSysmetaOnly(t *testing.T) {
	c := newConverter(t)
	v, _, sm := vector(t, urn) // its checksum and size would not match its data: not looked at
	res, err := c.Convert(t.Context(), "", v.PID, sm)
	require.NoError(t, err)
	assert.Equal(t, hashstore.ObjectMetadata{}, res.Object)
	assert.Equal(t, hashstore.NotPlaced, res.Placement)
	assert.Equal(t, inStore(c, v.SysmetaPath), res.SysmetaPath)
	got, err := os.ReadFile(res.SysmetaPath)
	require.NoError(t, err)
	assert.Equal(t, sm, got)
	var files []string
	for p := range tree(t, c) {
		if !strings.HasSuffix(p, "/") && p != "hashstore.yaml" {
			files = append(files, p)
		}
	}
	assert.Equal(t, []string{v.SysmetaPath}, files, "nothing but the sysmeta")

	// An algorithm this store cannot compute does not matter without data.
	res, err = c.Convert(t.Context(), "", "sm.only", sysmetaDoc("sm.only", 3, "SM3", "abc"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.SysmetaPath)
}

func TestC260_NilSysmeta(t *testing.T) {
	c := newConverter(t)
	v, src, _ := vector(t, jtao)
	for _, doc := range [][]byte{nil, {}} {
		err := unchanged(t, c, func() error {
			_, err := c.Convert(t.Context(), src, v.PID, doc, converter.WithChecksum(v.Digests["MD5"], "MD5"))
			return err
		})
		requireConvertError(t, err, hashstore.ErrInvalidArgument, v.PID)
	}
}

func TestC261_MD5GivenAsSHA256(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, doi)
	err := unchanged(t, c, func() error {
		_, err := c.Convert(t.Context(), src, v.PID, sm, converter.WithChecksum(v.Digests["MD5"], "SHA-256"))
		return err
	})
	require.ErrorIs(t, err, hashstore.ErrChecksumMismatch)
	var ce *hashstore.ChecksumMismatchError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, hashstore.SHA256, ce.Algorithm)
	assertDigests(t, v, ce.HexDigests, defaultKeys...)
	assert.Equal(t, 1, nlinkOf(t, src))
}

// requireConvertError asserts err matches target and is Convert's own *hashstore.OpError.
func requireConvertError(t *testing.T, err error, target error, pid string) {
	t.Helper()
	require.ErrorIs(t, err, target)
	var oe *hashstore.OpError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "convert", oe.Op)
	assert.Equal(t, pid, oe.ID)
}

// TestConvertBadInput: every bad input is refused with its class; the store is unchanged and
// the source untouched.
func TestConvertBadInput(t *testing.T) {
	v, _, sm := vector(t, jtao)
	data := v.Data()
	type tc struct {
		name  string
		path  func(t *testing.T) string
		pid   string
		doc   []byte
		opts  []converter.Option
		want  []error
		check func(t *testing.T, err error)
	}
	src := func(t *testing.T) string { return writeSource(t, data) }
	cases := []tc{
		{name: "missing source", path: func(t *testing.T) string { return filepath.Join(t.TempDir(), "gone") }, want: []error{hashstore.ErrNotFound, fs.ErrNotExist}},
		{name: "directory source", path: func(t *testing.T) string { return t.TempDir() }, want: []error{hashstore.ErrInvalidArgument}},
		{name: "special file", path: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "fifo")
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			return p
		}, want: []error{hashstore.ErrInvalidArgument}},
		{name: "source shorter than sysmeta size", path: src, doc: replace(t, sm, "<size>8724</size>", "<size>8725</size>"), want: []error{hashstore.ErrSizeMismatch},
			check: func(t *testing.T, err error) {
				var se *hashstore.SizeMismatchError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, v.Size, se.Actual)
				assertDigests(t, v, se.HexDigests, defaultKeys...)
			}},
		{name: "source longer than sysmeta size", path: src, doc: replace(t, sm, "<size>8724</size>", "<size>8723</size>"), want: []error{hashstore.ErrSizeMismatch},
			check: func(t *testing.T, err error) {
				var se *hashstore.SizeMismatchError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, v.Size, se.Actual)
				assert.False(t, se.AtLeast, "the file's exact size, not a lower bound")
				assertDigests(t, v, se.HexDigests, defaultKeys...)
			}},
		{name: "sysmeta checksum mismatch", path: src, doc: replace(t, sm, v.Digests["MD5"], strings.Repeat("0", 32)), want: []error{hashstore.ErrChecksumMismatch},
			check: func(t *testing.T, err error) {
				var ce *hashstore.ChecksumMismatchError
				require.ErrorAs(t, err, &ce)
				assertDigests(t, v, ce.HexDigests, defaultKeys...)
				assert.Contains(t, err.Error(), v.Digests["SHA-512"], "the message carries every digest")
			}},
		{name: "explicit checksum right, sysmeta's wrong", path: src, doc: replace(t, sm, v.Digests["MD5"], strings.Repeat("0", 32)),
			opts: []converter.Option{converter.WithChecksum(v.Digests["SHA-256"], "SHA-256")}, want: []error{hashstore.ErrChecksumMismatch}},
		{name: "explicit checksum wrong, sysmeta's right", path: src, opts: []converter.Option{converter.WithChecksum(v.Digests["SHA-1"], "SHA-256")}, want: []error{hashstore.ErrChecksumMismatch},
			check: func(t *testing.T, err error) {
				var ce *hashstore.ChecksumMismatchError
				require.ErrorAs(t, err, &ce)
				assertDigests(t, v, ce.HexDigests, defaultKeys...)
			}},
		{name: "explicit size contradicts sysmeta", path: src, opts: []converter.Option{converter.WithExpectedSize(v.Size + 1)}, want: []error{hashstore.ErrInvalidArgument}},
		{name: "negative explicit size", path: src, opts: []converter.Option{converter.WithExpectedSize(-1)}, want: []error{hashstore.ErrInvalidArgument}},
		{name: "explicit checksum without algorithm", path: src, opts: []converter.Option{converter.WithChecksum(v.Digests["MD5"], "")}, want: []error{hashstore.ErrInvalidArgument}},
		{name: "explicit algorithm unsupported", path: src, opts: []converter.Option{converter.WithChecksum(v.Digests["MD5"], "SM3")}, want: []error{hashstore.ErrUnsupportedAlgorithm}},
		{name: "unsupported algorithm in sysmeta", path: src, doc: replace(t, sm, `algorithm="MD5"`, `algorithm="SM3"`), want: []error{hashstore.ErrUnsupportedAlgorithm},
			check: func(t *testing.T, err error) { assert.Contains(t, err.Error(), "system metadata") }},
		{name: "sysmeta for another pid", path: src, doc: replace(t, sm, "<identifier>jtao.1700.1<", "<identifier>jtao.1700.2<"), want: []error{hashstore.ErrInvalidArgument},
			check: func(t *testing.T, err error) {
				assert.Contains(t, err.Error(), "jtao.1700.2")
				assert.Contains(t, err.Error(), "jtao.1700.1")
			}},
		{name: "malformed sysmeta", path: src, doc: sm[:len(sm)/2], want: []error{hashstore.ErrInvalidArgument, sysmeta.ErrMalformed}},
		{name: "not sysmeta", path: src, doc: []byte("<eml/>"), want: []error{hashstore.ErrInvalidArgument, sysmeta.ErrMalformed}},
		{name: "sysmeta without size", path: src, doc: replace(t, sm, "<size>8724</size>", ""), want: []error{hashstore.ErrInvalidArgument, sysmeta.ErrMissingField}},
		{name: "sysmeta with bad size", path: src, doc: replace(t, sm, "<size>8724</size>", "<size>big</size>"), want: []error{hashstore.ErrInvalidArgument, sysmeta.ErrInvalidField}},
		{name: "whitespace pid", path: src, pid: "jtao 1700.1", doc: replace(t, sm, "<identifier>jtao.1700.1<", "<identifier>jtao 1700.1<"), want: []error{hashstore.ErrInvalidArgument}},
		{name: "empty pid", path: src, pid: "", want: []error{hashstore.ErrInvalidArgument}},
		{name: "bad format id", path: src, opts: []converter.Option{converter.WithFormatID("two words")}, want: []error{hashstore.ErrInvalidArgument}},
		{name: "cross-device source", path: func(t *testing.T) string { // skipped without a second filesystem
			p := filepath.Join(crossDeviceDir(t), "source")
			require.NoError(t, os.WriteFile(p, data, 0o640))
			return p
		}, want: []error{hashstore.ErrCrossDevice},
			check: func(t *testing.T, err error) {
				var ce *hashstore.CrossDeviceError
				require.ErrorAs(t, err, &ce)
				assert.ErrorIs(t, err, syscall.EXDEV)
				assert.Equal(t, "cross_device", hashstore.ErrorKind(err))
				assert.Contains(t, err.Error(), "--on-cross-device copy")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conv := newConverter(t)
			path := c.path(t)
			pid := c.pid
			if pid == "" && c.name != "empty pid" {
				pid = v.PID
			}
			doc := c.doc
			if doc == nil {
				doc = sm
			}
			var before *sourceState
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
				st := stateOf(t, path)
				before = &st
			}
			err := unchanged(t, conv, func() error {
				_, err := conv.Convert(t.Context(), path, pid, doc, c.opts...)
				return err
			})
			require.Error(t, err)
			for _, w := range c.want {
				assert.ErrorIs(t, err, w)
			}
			if pid != "" {
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", pid), "the message names the pid")
			}
			if c.check != nil {
				c.check(t, err)
			}
			if before != nil {
				assert.Equal(t, *before, stateOf(t, path), "the source is untouched")
				assert.Equal(t, 1, nlinkOf(t, path))
			}
		})
	}
}

// TestConvertExplicitSize: an explicit size equal to the sysmeta's is fine; an empty object
// (size 0) converts.
func TestConvertExplicitSize(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, jtao)
	res, err := c.Convert(t.Context(), src, v.PID, sm, converter.WithExpectedSize(v.Size), converter.WithFormatID("https://example.org/sysmeta"))
	require.NoError(t, err)
	got, err := os.ReadFile(res.SysmetaPath)
	require.NoError(t, err)
	assert.Equal(t, sm, got)
	// It is the document of that format id, not of the default namespace.
	r, err := c.store.RetrieveMetadata(t.Context(), v.PID, hashstore.WithFormatID("https://example.org/sysmeta"))
	require.NoError(t, err)
	got, err = io.ReadAll(r)
	require.NoError(t, r.Close())
	require.NoError(t, err)
	assert.Equal(t, sm, got)
	_, err = c.store.RetrieveMetadata(t.Context(), v.PID)
	assert.ErrorIs(t, err, hashstore.ErrNotFound)

	empty := writeSource(t, nil)
	res, err = c.Convert(t.Context(), empty, "empty.1", sysmetaDoc("empty.1", 0, "MD5", "D41D8CD98F00B204E9800998ECF8427E"), converter.WithExpectedSize(0))
	require.NoError(t, err)
	assert.Zero(t, res.Object.Size)
	assert.Equal(t, hashstore.Linked, res.Placement)

	// An empty sysmeta size with data: a size mismatch, whatever the checksum says.
	err = unchanged(t, c, func() error {
		_, err := c.Convert(t.Context(), src, "notempty.1", sysmetaDoc("notempty.1", 0, "MD5", v.Digests["MD5"]))
		return err
	})
	require.ErrorIs(t, err, hashstore.ErrSizeMismatch)
}

// TestConvertCompletesInterruptedRun: an object linked but not tagged (a run interrupted after
// the link) is completed by converting again, without a second link.
func TestConvertCompletesInterruptedRun(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, doi)
	// Linked without a pid: the state a run interrupted between link and tag leaves.
	_, placed, err := c.store.StoreFile(t.Context(), src, hashstore.WithLink(hashstore.LinkFile))
	require.NoError(t, err)
	require.Equal(t, hashstore.Linked, placed)
	n := nlinkOf(t, src)
	res, err := c.Convert(t.Context(), src, v.PID, sm)
	require.NoError(t, err)
	assert.Equal(t, hashstore.AlreadyLinked, res.Placement)
	assert.False(t, res.AlreadyTagged)
	assertConverted(t, c, v, src, sm, res)
	assert.Equal(t, n, nlinkOf(t, src))
}

// TestConvertSysmetaFailureAfterLink: when storing the sysmeta fails after the object was
// tagged, the error says so and converting again completes the job.
func TestConvertSysmetaFailureAfterLink(t *testing.T) {
	// Count the files a conversion creates, on a throw-away store: the sysmeta's temp file is
	// the last.
	probe := faultfs.New(afero.NewOsFs())
	c := newConverter(t, hashstore.WithFs(probe))
	v, src, sm := vector(t, jtao)
	probe.Reset()
	_, err := c.Convert(t.Context(), src, v.PID, sm)
	require.NoError(t, err)
	creates := probe.Counts()[faultfs.OpCreate]
	require.Positive(t, creates)

	ffs := faultfs.New(afero.NewOsFs())
	c = newConverter(t, hashstore.WithFs(ffs))
	v, src, sm = vector(t, jtao)
	ffs.Reset()
	ffs.FailAt(faultfs.OpCreate, creates, syscall.ENOSPC)
	res, err := c.Convert(t.Context(), src, v.PID, sm)
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Contains(t, err.Error(), "convert again")
	assert.Equal(t, v.CID, res.Object.CID, "the object part is reported")
	_, err = os.Stat(inStore(c, v.SysmetaPath))
	require.True(t, errors.Is(err, fs.ErrNotExist))

	res, err = c.Convert(t.Context(), src, v.PID, sm)
	require.NoError(t, err)
	assert.True(t, res.AlreadyTagged)
	assertConverted(t, c, v, src, sm, res)
}

// TestConvertedStoreDeletes: deleting a converted pid removes its object link and sysmeta,
// never the source.
func TestConvertedStoreDeletes(t *testing.T) {
	c := newConverter(t)
	v, src, sm := vector(t, doi)
	before := stateOf(t, src)
	_, err := c.Convert(t.Context(), src, v.PID, sm)
	require.NoError(t, err)
	require.NoError(t, c.store.DeleteObject(t.Context(), v.PID))
	_, err = os.Stat(inStore(c, v.ObjectPath))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = os.Stat(inStore(c, v.SysmetaPath))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, before, stateOf(t, src))
	assert.Equal(t, 1, nlinkOf(t, src))
}

// TestConvertLinkPolicies: the Converter's LinkPolicy decides how the data file is placed.
// LinkFile links it (the object is the source); CopyFile copies it even when it could be
// linked (an import: the source is not the object and keeps one link); LinkOrCopyFile links
// what it can and copies a file from another filesystem, which LinkFile refuses.
func TestConvertLinkPolicies(t *testing.T) {
	v, src, sm := vector(t, jtao)
	check := func(t *testing.T, c fixture, src string, want hashstore.Placement) {
		t.Helper()
		res, err := c.Convert(t.Context(), src, v.PID, sm)
		require.NoError(t, err)
		assert.Equal(t, want, res.Placement)
		assert.Equal(t, v.CID, res.Object.CID)
		assert.Equal(t, want == hashstore.Linked, sameFile(t, src, inStore(c, v.ObjectPath)), "linked iff the object is the source")
		if want == hashstore.Copied {
			assert.Equal(t, 1, nlinkOf(t, src), "a copied source keeps its one link")
			assert.Equal(t, v.Data(), readFileT(t, inStore(c, v.ObjectPath)))
		}
		got, err := os.ReadFile(res.SysmetaPath)
		require.NoError(t, err)
		assert.Equal(t, sm, got)
	}
	t.Run("link", func(t *testing.T) { check(t, newConverter(t), src, hashstore.Linked) })
	t.Run("copy", func(t *testing.T) {
		_, src, _ := vector(t, jtao)
		check(t, newPolicyConverter(t, hashstore.CopyFile), src, hashstore.Copied)
	})
	t.Run("link or copy, same filesystem", func(t *testing.T) {
		_, src, _ := vector(t, jtao)
		check(t, newPolicyConverter(t, hashstore.LinkOrCopyFile), src, hashstore.Linked)
	})
	t.Run("link or copy, other filesystem", func(t *testing.T) {
		other := filepath.Join(crossDeviceDir(t), "jtao")
		require.NoError(t, os.WriteFile(other, v.Data(), 0o640))
		before := stateOf(t, other)
		check(t, newPolicyConverter(t, hashstore.LinkOrCopyFile), other, hashstore.Copied)
		assert.Equal(t, before, stateOf(t, other), "the source is untouched")
	})
}
