package links_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/hashstore/hashstoretest"
	"github.com/hashstore-go/hashstore/links"
)

var defaultKeys = []string{"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"}

// assertDigests asserts that got holds exactly the vector's digests for keys.
func assertDigests(t *testing.T, v hashstoretest.Vector, got map[string]string, keys ...string) {
	t.Helper()
	want := map[string]string{}
	for _, k := range keys {
		want[k] = v.Digests[k]
	}
	assert.Equal(t, want, got, "digests of %s", v.PID)
}

func TestC248_InitCreatesTheStoreDirectories(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	before := map[string]bool{}
	for _, d := range []string{"objects", "objects/tmp", "metadata", "metadata/tmp", "refs", "refs/tmp", "refs/pids", "refs/cids"} {
		fi, err := os.Stat(filepath.Join(root, d))
		require.NoError(t, err, d)
		assert.True(t, fi.IsDir(), d)
		before[d] = true
	}
	assert.FileExists(t, filepath.Join(root, "hashstore.yaml"))
	ls, err := links.New(s)
	require.NoError(t, err)
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"hashstore.yaml", "objects", "metadata", "refs"}, names, "links.New adds nothing")
	assert.IsType(t, &links.OSLinker{}, ls.Linker())
}

func TestC249_ConvertedStoreOpensAsPlainFileHashStore(t *testing.T) {
	ls := newStore(t)
	for _, v := range hashstoretest.Vectors() {
		_, err := ls.StoreHardLink(t.Context(), vectorSource(t, v), v.PID)
		require.NoError(t, err)
	}
	s, err := hashstore.Open(ls.Root())
	require.NoError(t, err)
	for _, v := range hashstoretest.Vectors() {
		r, err := s.RetrieveObject(t.Context(), v.PID, hashstore.Verify())
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		r.Close()
		require.NoError(t, err)
		assert.Equal(t, v.Data(), got)
	}
}

// TestC250_StoreHardLinkVectors: each vector, with its SHA-256, lands at the VECTORS.md paths
// with the VECTORS.md digests, and the object is the source file itself.
func TestC250_StoreHardLinkVectors(t *testing.T) {
	ls := newStore(t)
	for _, v := range hashstoretest.Vectors() {
		src := vectorSource(t, v)
		before := stateOf(t, src)
		links0 := nlink(t, src)
		meta, err := ls.StoreHardLink(t.Context(), src, v.PID, hashstore.WithChecksum(v.Digests["SHA-256"], "SHA-256"))
		require.NoError(t, err, v.PID)
		assert.Equal(t, v.PID, meta.PID)
		assert.Equal(t, v.CID, meta.CID)
		assert.Equal(t, v.Size, meta.Size)
		assertDigests(t, v, meta.HexDigests, defaultKeys...)

		obj := objectPath(ls, v.ObjectPath)
		assert.Equal(t, obj, ls.ObjectPath(meta.CID))
		assert.True(t, sameFile(t, src, obj), "the object is the source file (hard link)")
		assert.Equal(t, links0+1, nlink(t, src), "the link count rises by one")
		assert.Equal(t, before, stateOf(t, src), "the source is untouched")
		pidRefs, err := os.ReadFile(objectPath(ls, v.PIDRefsPath))
		require.NoError(t, err)
		assert.Equal(t, v.CID, string(pidRefs))
		cidRefs, err := os.ReadFile(objectPath(ls, v.CIDRefsPath))
		require.NoError(t, err)
		assert.Equal(t, v.PID+"\n", string(cidRefs))
	}
	tmp, err := os.ReadDir(filepath.Join(ls.Root(), "objects", "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "no temp links left")
}

// TestC251_SameFileSecondPID: linking the same file again under another pid succeeds and
// needs no new link.
func TestC251_SameFileSecondPID(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	res, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)))
	require.NoError(t, err)
	assert.Equal(t, links.Linked, res.Placement)
	n := nlink(t, src)
	res, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID("dou.test.2")))
	require.NoError(t, err)
	assert.Equal(t, links.AlreadyLinked, res.Placement)
	assert.Equal(t, v.CID, res.Object.CID)
	assert.Equal(t, n, nlink(t, src), "no second link")
	cidRefs, err := os.ReadFile(objectPath(ls, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Equal(t, v.PID+"\ndou.test.2\n", string(cidRefs))
}

func TestC252_WrongChecksumWritesNothing(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[1]
	src := vectorSource(t, v)
	before := stateOf(t, src)
	err := unchanged(t, ls, func() error {
		_, err := ls.StoreHardLink(t.Context(), src, v.PID, hashstore.WithChecksum(strings.Repeat("ab", 32), "SHA-256"))
		return err
	})
	requireKind(t, err, hashstore.ErrChecksumMismatch, v.PID, src)
	var ce *hashstore.ChecksumMismatchError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, v.Digests["SHA-256"], ce.Actual)
	assertDigests(t, v, ce.HexDigests, defaultKeys...)
	assert.Equal(t, before, stateOf(t, src))
	assert.Equal(t, 1, nlink(t, src), "no link left behind")
}

func TestC253_WrongChecksumSHA512_224CarriesSixDigests(t *testing.T) {
	ls := newStore(t)
	for _, v := range hashstoretest.Vectors() {
		src := vectorSource(t, v)
		err := unchanged(t, ls, func() error {
			_, err := ls.StoreHardLink(t.Context(), src, v.PID, hashstore.WithChecksum(strings.Repeat("0", 56), "SHA-512/224"))
			return err
		})
		var ce *hashstore.ChecksumMismatchError
		require.ErrorAs(t, err, &ce, v.PID)
		assertDigests(t, v, ce.HexDigests, append([]string{"SHA-512/224"}, defaultKeys...)...)
	}
}

func TestC254_AdditionalAlgorithmDigests(t *testing.T) {
	ls := newStore(t)
	for i, v := range hashstoretest.Vectors() {
		meta, err := ls.StoreHardLink(t.Context(), vectorSource(t, v), v.PID, hashstore.WithAdditionalAlgorithm("MD2"))
		require.NoError(t, err)
		assertDigests(t, v, meta.HexDigests, append([]string{"MD2"}, defaultKeys...)...)
		meta, err = ls.StoreHardLink(t.Context(), vectorSource(t, v), fmt.Sprint("plain.", i))
		require.NoError(t, err)
		assertDigests(t, v, meta.HexDigests, defaultKeys...)
	}
}

// TestConvertedStoreEqualsStoredStore: a store made by hard links holds, file for file, the
// same paths and bytes as one made by StoreObject from the same inputs; only the objects'
// inodes (and so their modes) differ.
func TestConvertedStoreEqualsStoredStore(t *testing.T) {
	linked, stored := newStore(t), newStore(t)
	for _, v := range hashstoretest.Vectors() {
		_, err := linked.StoreHardLink(t.Context(), vectorSource(t, v), v.PID, hashstore.WithExpectedSize(v.Size))
		require.NoError(t, err)
		_, err = linked.StoreMetadata(t.Context(), v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
		_, err = stored.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID), hashstore.WithExpectedSize(v.Size))
		require.NoError(t, err)
		_, err = stored.StoreMetadata(t.Context(), v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
	}
	a, b := tree(t, linked), tree(t, stored)
	assert.Equal(t, b, a)
	assert.Len(t, a, len(b))
	for p := range b {
		if strings.HasSuffix(p, "/") || strings.HasPrefix(p, "objects/") {
			continue
		}
		fa, err := os.Stat(filepath.Join(linked.Root(), p))
		require.NoError(t, err)
		fb, err := os.Stat(filepath.Join(stored.Root(), p))
		require.NoError(t, err)
		assert.Equal(t, fb.Mode(), fa.Mode(), "mode of %s", p)
	}
	for _, v := range hashstoretest.Vectors() {
		fi, err := os.Stat(objectPath(linked, v.ObjectPath))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "a linked object keeps its source's mode")
	}
}

// TestDeleteObjectKeepsSource: deleting a linked pid removes the store's name only.
func TestDeleteObjectKeepsSource(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[2]
	src := vectorSource(t, v)
	before, n := stateOf(t, src), nlink(t, src)
	_, err := ls.StoreHardLink(t.Context(), src, v.PID)
	require.NoError(t, err)
	require.Equal(t, n+1, nlink(t, src))
	require.NoError(t, ls.DeleteObject(t.Context(), v.PID))
	assert.NoFileExists(t, objectPath(ls, v.ObjectPath))
	assert.Equal(t, before, stateOf(t, src), "the source is intact")
	assert.Equal(t, n, nlink(t, src), "the link count is back")
}

// TestRerunCompletesInterruptedConversion: an object linked but not tagged (a run interrupted
// between link and tag), or tagged only in the cid refs file, is completed by running again.
func TestRerunCompletesInterruptedConversion(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	res, err := ls.Link(t.Context(), src) // untagged: the state after the link step
	require.NoError(t, err)
	assert.Equal(t, links.Linked, res.Placement)
	assert.Empty(t, res.Object.PID)
	n := nlink(t, src)

	res, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)))
	require.NoError(t, err)
	assert.Equal(t, links.AlreadyLinked, res.Placement)
	assert.Equal(t, n, nlink(t, src))
	info, err := ls.FindObject(t.Context(), v.PID)
	require.NoError(t, err)
	assert.Equal(t, v.CID, info.CID)

	// Interrupted inside the tag: the pid is in the cid refs file, its pid refs file missing.
	require.NoError(t, os.Remove(objectPath(ls, v.PIDRefsPath)))
	_, err = ls.StoreHardLink(t.Context(), src, v.PID)
	require.NoError(t, err)
	_, err = ls.FindObject(t.Context(), v.PID)
	require.NoError(t, err)
	cidRefs, err := os.ReadFile(objectPath(ls, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Equal(t, v.PID+"\n", string(cidRefs))
}

func TestAlreadyTagged(t *testing.T) {
	ls := newStore(t)
	v, w := hashstoretest.Vectors()[0], hashstoretest.Vectors()[1]
	src := vectorSource(t, v)
	_, err := ls.StoreHardLink(t.Context(), src, v.PID)
	require.NoError(t, err)

	var meta hashstore.ObjectMetadata
	err = unchanged(t, ls, func() error {
		meta, err = ls.StoreHardLink(t.Context(), src, v.PID)
		return err
	})
	requireKind(t, err, hashstore.ErrAlreadyTagged, v.PID, src)
	assert.Equal(t, v.CID, meta.CID, "complete metadata with ErrAlreadyTagged")
	assert.Equal(t, v.Size, meta.Size)
	assertDigests(t, v, meta.HexDigests, defaultKeys...)

	other := vectorSource(t, w)
	err = unchanged(t, ls, func() error {
		_, err := ls.StoreHardLink(t.Context(), other, v.PID)
		return err
	})
	requireKind(t, err, hashstore.ErrPIDTaggedElsewhere, v.PID, other)
	assert.Equal(t, 1, nlink(t, other), "the other source is not linked")
}

// TestExistingObjectIsAnotherFile: content the store already holds (written by StoreObject)
// is kept; the source is only read.
func TestExistingObjectIsAnotherFile(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[1]
	_, err := ls.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID("stored.1"))
	require.NoError(t, err)
	obj := objectPath(ls, v.ObjectPath)
	objBefore, err := os.Stat(obj)
	require.NoError(t, err)
	src := vectorSource(t, v)
	res, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)))
	require.NoError(t, err)
	assert.Equal(t, links.Deduplicated, res.Placement)
	objAfter, err := os.Stat(obj)
	require.NoError(t, err)
	assert.True(t, os.SameFile(objBefore, objAfter), "the existing object is kept")
	assert.False(t, sameFile(t, src, obj))
	assert.Equal(t, 1, nlink(t, src))
}

// TestExistingObjectOfWrongSize: an existing object whose size differs is corrupt and is
// neither replaced nor tagged.
func TestExistingObjectOfWrongSize(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[1]
	obj := objectPath(ls, v.ObjectPath)
	require.NoError(t, os.MkdirAll(filepath.Dir(obj), 0o755))
	require.NoError(t, os.WriteFile(obj, []byte("truncated"), 0o644))
	src := vectorSource(t, v)
	err := unchanged(t, ls, func() error {
		_, err := ls.StoreHardLink(t.Context(), src, v.PID)
		return err
	})
	requireKind(t, err, hashstore.ErrCorrupt, v.PID, src)
}

// TestSymlinkSourceIsFollowed: the file a symbolic link names is linked, never the link.
func TestSymlinkSourceIsFollowed(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[1]
	target := vectorSource(t, v)
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(target, link))
	res, err := ls.Link(t.Context(), link, links.StoreOptions(hashstore.WithPID(v.PID)))
	require.NoError(t, err)
	assert.Equal(t, links.Linked, res.Placement)
	obj := objectPath(ls, v.ObjectPath)
	fi, err := os.Lstat(obj)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "the object is a regular file, not a symbolic link")
	assert.True(t, sameFile(t, target, obj))
}

// TestEmptyFileAndExpectSize: ExpectSize accepts 0 (an empty DataONE object).
func TestEmptyFileAndExpectSize(t *testing.T) {
	ls := newStore(t)
	empty := writeSource(t, nil)
	res, err := ls.Link(t.Context(), empty, links.StoreOptions(hashstore.WithPID("empty.1")), links.ExpectSize(0))
	require.NoError(t, err)
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", res.Object.CID)
	assert.Zero(t, res.Object.Size)

	v := hashstoretest.Vectors()[1]
	src := vectorSource(t, v)
	err = unchanged(t, ls, func() error {
		_, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)), links.ExpectSize(0))
		return err
	})
	requireKind(t, err, hashstore.ErrSizeMismatch, v.PID, src)
	var de *links.SourceDigestsError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, v.Size, de.Size)
	assertDigests(t, v, de.HexDigests, defaultKeys...)

	_, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID), hashstore.WithExpectedSize(5)), links.ExpectSize(6))
	requireKind(t, err, hashstore.ErrInvalidArgument, v.PID, src)
	_, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)), links.ExpectSize(-1))
	requireKind(t, err, hashstore.ErrInvalidArgument, v.PID, src)
}

// TestAlsoChecksum: extra checksums are all verified, before anything is created.
func TestAlsoChecksum(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[1]
	src := vectorSource(t, v)

	// Right: both the store's checksum and the extra one; the extra digest is reported.
	res, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests["MD5"], "MD5")),
		links.AlsoChecksum(strings.ToUpper(v.Digests["SHA3-256"]), "sha3_256"), links.AlsoChecksum(v.Digests["MD5"], "md5"))
	require.NoError(t, err)
	assertDigests(t, v, res.Object.HexDigests, append([]string{"SHA3-256"}, defaultKeys...)...)

	// Only an extra checksum: it is the store's.
	res, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID("also.2")), links.AlsoChecksum(v.Digests["SHA-224"], "SHA-224"))
	require.NoError(t, err)
	assertDigests(t, v, res.Object.HexDigests, append([]string{"SHA-224"}, defaultKeys...)...)

	// Wrong extra checksum, right store checksum: nothing changes, not even a directory,
	// and the error has every digest.
	w := hashstoretest.Vectors()[2]
	other := vectorSource(t, w)
	err = unchanged(t, ls, func() error {
		_, err := ls.Link(t.Context(), other, links.StoreOptions(hashstore.WithPID(w.PID), hashstore.WithChecksum(w.Digests["SHA-256"], "SHA-256")),
			links.AlsoChecksum(v.Digests["SHA-1"], "SHA-1"))
		return err
	})
	requireKind(t, err, hashstore.ErrChecksumMismatch, w.PID, other)
	var ce *hashstore.ChecksumMismatchError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, hashstore.SHA1, ce.Algorithm)
	assert.Equal(t, w.Digests["SHA-1"], ce.Actual)
	assertDigests(t, w, ce.HexDigests, defaultKeys...)

	// A wrong extra checksum wins over "already tagged": the data does not match.
	err = unchanged(t, ls, func() error {
		_, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)), links.AlsoChecksum(w.Digests["MD5"], "MD5"))
		return err
	})
	requireKind(t, err, hashstore.ErrChecksumMismatch, v.PID, src)

	// Unsupported or blank extra checksums are refused before anything is read.
	_, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID("also.3")), links.AlsoChecksum("00", "SM3"))
	requireKind(t, err, hashstore.ErrUnsupportedAlgorithm, "also.3", src)
	_, err = ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID("also.3")), links.AlsoChecksum(" ", "MD5"))
	requireKind(t, err, hashstore.ErrInvalidArgument, "also.3", src)
}

// TestConcurrentLinks: many goroutines link copies of one content, and the same file, under
// distinct pids; one link is made, every pid is tagged.
func TestConcurrentLinks(t *testing.T) {
	ls := newStore(t)
	v := hashstoretest.Vectors()[2]
	const n = 8
	srcs := make([]string, n)
	for i := range srcs {
		srcs[i] = vectorSource(t, v)
	}
	shared := vectorSource(t, v)
	results := make([]links.Result, 2*n)
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			src := shared
			if i < n {
				src = srcs[i]
			}
			results[i], errs[i] = ls.Link(context.Background(), src, links.StoreOptions(hashstore.WithPID(fmt.Sprint("pid.", i))))
		})
	}
	wg.Wait()
	linked := 0
	for i, err := range errs {
		require.NoError(t, err, i)
		if results[i].Placement == links.Linked {
			linked++
		}
	}
	assert.Equal(t, 1, linked, "exactly one link placed")
	cidRefs, err := os.ReadFile(objectPath(ls, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSuffix(string(cidRefs), "\n"), "\n"), 2*n)
	tmp, err := os.ReadDir(filepath.Join(ls.Root(), "objects", "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)
}

// TestStoreOnBasePathFs: a store under an afero.BasePathFs over the OS links too.
func TestStoreOnBasePathFs(t *testing.T) {
	base := t.TempDir()
	fsys := afero.NewBasePathFs(afero.NewOsFs(), base)
	s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(fsys))
	require.NoError(t, err)
	ls, err := links.New(s)
	require.NoError(t, err)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	_, err = ls.StoreHardLink(t.Context(), src, v.PID)
	require.NoError(t, err)
	assert.True(t, sameFile(t, src, filepath.Join(base, "store", filepath.FromSlash(v.ObjectPath))))
}

// TestNewNeedsAnOSPath: without a Linker, a store on the memory filesystem is refused.
func TestNewNeedsAnOSPath(t *testing.T) {
	s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(afero.NewMemMapFs()))
	require.NoError(t, err)
	_, err = links.New(s)
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
	_, err = links.New(nil)
	require.ErrorIs(t, err, hashstore.ErrInvalidArgument)
}

// TestMemLinker: the memory linker behaves like links for the store's purposes.
func TestMemLinker(t *testing.T) {
	fsys := afero.NewMemMapFs()
	s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(fsys))
	require.NoError(t, err)
	ml := links.NewMemLinker(fsys)
	ls, err := links.New(s, links.WithLinker(ml))
	require.NoError(t, err)
	v := hashstoretest.Vectors()[0]
	require.NoError(t, afero.WriteFile(fsys, "/src/a", v.Data(), 0o640))
	res, err := ls.Link(t.Context(), "/src/a", links.StoreOptions(hashstore.WithPID(v.PID)))
	require.NoError(t, err)
	assert.Equal(t, links.Linked, res.Placement)
	obj := "/store/" + v.ObjectPath
	fa, err := fsys.Stat("/src/a")
	require.NoError(t, err)
	fo, err := fsys.Stat(obj)
	require.NoError(t, err)
	assert.True(t, ml.SameFile(fa, fo), "the source and the object are one file")
	got, err := afero.ReadFile(fsys, obj)
	require.NoError(t, err)
	assert.Equal(t, v.Data(), got)
	fi, err := fsys.Stat(obj)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())

	res, err = ls.Link(t.Context(), "/src/a", links.StoreOptions(hashstore.WithPID("second")))
	require.NoError(t, err)
	assert.Equal(t, links.AlreadyLinked, res.Placement)
	require.NoError(t, afero.WriteFile(fsys, "/src/b", v.Data(), 0o640))
	res, err = ls.Link(t.Context(), "/src/b", links.StoreOptions(hashstore.WithPID("third")))
	require.NoError(t, err)
	assert.Equal(t, links.Deduplicated, res.Placement)

	require.NoError(t, fsys.Mkdir("/src/dir", 0o755))
	_, err = ls.Link(t.Context(), "/src/dir", links.StoreOptions(hashstore.WithPID("dir")))
	requireKind(t, err, hashstore.ErrInvalidArgument, "dir", "/src/dir")
	_, err = ls.Link(t.Context(), "/src/missing", links.StoreOptions(hashstore.WithPID("missing")))
	requireKind(t, err, hashstore.ErrNotFound, "missing", "/src/missing")
}

func TestPlacementAndPolicyText(t *testing.T) {
	for p, want := range map[links.Placement]string{links.NotPlaced: "none", links.Linked: "linked", links.AlreadyLinked: "already_linked", links.Deduplicated: "deduplicated", links.Copied: "copied", links.Placement(9): "Placement(9)"} {
		assert.Equal(t, want, p.String())
		b, err := p.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, want, string(b))
	}
	var p links.CrossDevicePolicy
	require.NoError(t, p.Set("copy"))
	assert.Equal(t, links.CrossDeviceCopy, p)
	assert.Equal(t, "copy", p.String())
	require.NoError(t, p.Set("fail"))
	assert.Equal(t, "fail", p.String())
	assert.ErrorIs(t, p.Set("link"), hashstore.ErrInvalidArgument)
	assert.Equal(t, links.CrossDeviceFail, p)
	assert.NotEmpty(t, p.Type())
}

// racingLinker writes the object itself just before linking, as a writer that does not take
// this implementation's locks (Java, Python) could.
type racingLinker struct{ *links.OSLinker }

func (l racingLinker) Link(source, target string) error {
	data, err := os.ReadFile(source)
	if err != nil {
		return err
	}
	if err := os.WriteFile(target, data, 0o640); err != nil {
		return err
	}
	return l.OSLinker.Link(source, target)
}

// TestObjectAppearsBeforeTheLink: an object written meanwhile by another writer is kept.
func TestObjectAppearsBeforeTheLink(t *testing.T) {
	s, err := hashstore.New(filepath.Join(t.TempDir(), "store"), hashstore.DefaultConfig())
	require.NoError(t, err)
	ls, err := links.New(s, links.WithLinker(racingLinker{links.NewOSLinker(s.Fs())}))
	require.NoError(t, err)
	v := hashstoretest.Vectors()[2]
	src := vectorSource(t, v)
	res, err := ls.Link(t.Context(), src, links.StoreOptions(hashstore.WithPID(v.PID)))
	require.NoError(t, err)
	assert.Equal(t, links.Deduplicated, res.Placement)
	_, err = ls.FindObject(t.Context(), v.PID)
	require.NoError(t, err)
	assert.Equal(t, 1, nlink(t, src))
}
