package hashstore_test

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
)

// The tests of StoreFile with WithLink(LinkFile): a file made the object by hard link, on the
// OS filesystem, checked against the reference vectors (paths and digests from VECTORS.md,
// never from the store's own path helpers).

// linkFile is the option every linking call passes.
var linkFile = hashstore.WithLink(hashstore.LinkFile)

// vectorSource writes a vector's data to a new file outside any store (hashstore.WriteSource).
func vectorSource(t testing.TB, v hashstoretest.Vector) string {
	t.Helper()
	return hashstore.WriteSource(t, v.Data())
}

// storePath joins a store-relative slash path (from the vector table) to the store's root.
func storePath(s *hashstore.FileHashStore, rel string) string {
	return filepath.Join(s.Root(), filepath.FromSlash(rel))
}

// assertDigests asserts that got holds exactly the vector's digests for algs.
func assertDigests(t *testing.T, v hashstoretest.Vector, got map[hashstore.Algorithm]string, algs ...hashstore.Algorithm) {
	t.Helper()
	want := map[hashstore.Algorithm]string{}
	for _, a := range algs {
		want[a] = v.Digests[a]
	}
	assert.Equal(t, want, got, "digests of %s", v.PID)
}

// withDefaults is the default algorithms followed by extra.
func withDefaults(extra ...hashstore.Algorithm) []hashstore.Algorithm {
	return append(hashstore.DefaultAlgorithms(), extra...)
}

func TestC248_InitCreatesTheStoreDirectories(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := hashstore.New(root, hashstore.DefaultConfig())
	require.NoError(t, err)
	for _, d := range []string{"objects", "objects/tmp", "metadata", "metadata/tmp", "refs", "refs/tmp", "refs/pids", "refs/cids"} {
		fi, err := os.Stat(filepath.Join(root, d))
		require.NoError(t, err, d)
		assert.True(t, fi.IsDir(), d)
	}
	assert.FileExists(t, filepath.Join(root, "hashstore.yaml"))
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"hashstore.yaml", "objects", "metadata", "refs"}, names, "opening adds nothing else")

	// The store links files in as it is: no extension to set up.
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	_, placed, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	assert.True(t, hashstore.SameOSFile(t, src, storePath(s, v.ObjectPath)))
}

func TestC249_ConvertedStoreOpensAsPlainFileHashStore(t *testing.T) {
	ls := hashstore.NewOSTestStore(t)
	for _, v := range hashstoretest.Vectors() {
		_, _, err := ls.StoreFile(t.Context(), vectorSource(t, v), linkFile, hashstore.WithPID(v.PID))
		require.NoError(t, err)
	}
	s, err := hashstore.Open(ls.Root())
	require.NoError(t, err)
	for _, v := range hashstoretest.Vectors() {
		r, err := s.RetrieveObject(t.Context(), v.PID, hashstore.WithVerify())
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		r.Close()
		require.NoError(t, err)
		assert.Equal(t, v.Data(), got)
	}
}

// TestC250_StoreFileLinksVectors: each vector, with its SHA-256, lands at the VECTORS.md paths
// with the VECTORS.md digests, and the object is the file itself.
func TestC250_StoreFileLinksVectors(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	for _, v := range hashstoretest.Vectors() {
		src := vectorSource(t, v)
		before := hashstore.StateOf(t, src)
		links0 := hashstore.Nlink(t, src)
		meta, placed, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests[hashstore.SHA256], hashstore.SHA256))
		require.NoError(t, err, v.PID)
		assert.Equal(t, hashstore.Linked, placed)
		assert.Equal(t, v.PID, meta.PID)
		assert.Equal(t, v.CID, meta.CID)
		assert.Equal(t, v.Size, meta.Size)
		assertDigests(t, v, meta.HexDigests, withDefaults()...)

		obj := storePath(s, v.ObjectPath)
		info, err := s.FindObject(t.Context(), v.PID)
		require.NoError(t, err)
		assert.Equal(t, obj, info.ObjectPath)
		assert.True(t, hashstore.SameOSFile(t, src, obj), "the object is the file (hard link)")
		assert.Equal(t, links0+1, hashstore.Nlink(t, src), "the link count rises by one")
		assert.Equal(t, before, hashstore.StateOf(t, src), "the file is untouched")
		pidRefs, err := os.ReadFile(storePath(s, v.PIDRefsPath))
		require.NoError(t, err)
		assert.Equal(t, v.CID, string(pidRefs))
		cidRefs, err := os.ReadFile(storePath(s, v.CIDRefsPath))
		require.NoError(t, err)
		assert.Equal(t, v.PID+"\n", string(cidRefs))
	}
	tmp, err := os.ReadDir(filepath.Join(s.Root(), "objects", "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "no temp file made when linking")
}

// TestC251_SameFileSecondPID: linking the same file again under another pid succeeds and
// needs no new link.
func TestC251_SameFileSecondPID(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	_, placed, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	n := hashstore.Nlink(t, src)
	meta, placed, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID("dou.test.2"))
	require.NoError(t, err)
	assert.Equal(t, hashstore.AlreadyLinked, placed)
	assert.Equal(t, v.CID, meta.CID)
	assert.Equal(t, n, hashstore.Nlink(t, src), "no second link")
	cidRefs, err := os.ReadFile(storePath(s, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Equal(t, v.PID+"\ndou.test.2\n", string(cidRefs))
}

func TestC252_WrongChecksumWritesNothing(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[1]
	src := vectorSource(t, v)
	before := hashstore.StateOf(t, src)
	var placed hashstore.Placement
	err := hashstore.Unchanged(t, s.Root(), func() error {
		var err error
		_, placed, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithChecksum(strings.Repeat("ab", 32), hashstore.SHA256))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrChecksumMismatch, v.PID, src)
	assert.Equal(t, hashstore.NotPlaced, placed)
	var ce *hashstore.ChecksumMismatchError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, v.Digests[hashstore.SHA256], ce.Actual)
	assertDigests(t, v, ce.HexDigests, withDefaults()...)
	assert.Equal(t, before, hashstore.StateOf(t, src))
	assert.Equal(t, 1, hashstore.Nlink(t, src), "no link left behind")
}

func TestC253_WrongChecksumSHA512_224CarriesSixDigests(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	for _, v := range hashstoretest.Vectors() {
		src := vectorSource(t, v)
		err := hashstore.Unchanged(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithChecksum(strings.Repeat("0", 56), hashstore.SHA512_224))
			return err
		})
		var ce *hashstore.ChecksumMismatchError
		require.ErrorAs(t, err, &ce, v.PID)
		assertDigests(t, v, ce.HexDigests, withDefaults(hashstore.SHA512_224)...)
	}
}

func TestC254_AdditionalAlgorithmDigests(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	for i, v := range hashstoretest.Vectors() {
		meta, _, err := s.StoreFile(t.Context(), vectorSource(t, v), linkFile, hashstore.WithPID(v.PID), hashstore.WithAdditionalAlgorithm(hashstore.MD2))
		require.NoError(t, err)
		assertDigests(t, v, meta.HexDigests, withDefaults(hashstore.MD2)...)
		meta, _, err = s.StoreFile(t.Context(), vectorSource(t, v), linkFile, hashstore.WithPID(fmt.Sprint("plain.", i)))
		require.NoError(t, err)
		assertDigests(t, v, meta.HexDigests, withDefaults()...)
	}
}

// TestStoreFileLinkedStoreEqualsStoredStore: a store made by hard links holds, file for file,
// the same paths and bytes as one made by StoreObject from the same inputs; only the objects'
// inodes (and so their modes) differ.
func TestStoreFileLinkedStoreEqualsStoredStore(t *testing.T) {
	linked, stored := hashstore.NewOSTestStore(t), hashstore.NewOSTestStore(t)
	for _, v := range hashstoretest.Vectors() {
		_, _, err := linked.StoreFile(t.Context(), vectorSource(t, v), linkFile, hashstore.WithPID(v.PID), hashstore.WithExpectedSize(v.Size))
		require.NoError(t, err)
		_, err = linked.StoreMetadata(t.Context(), v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
		_, err = stored.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID(v.PID), hashstore.WithExpectedSize(v.Size))
		require.NoError(t, err)
		_, err = stored.StoreMetadata(t.Context(), v.PID, bytes.NewReader(v.Sysmeta()))
		require.NoError(t, err)
	}
	a, b := hashstoretest.Tree(t, afero.NewOsFs(), linked.Root()), hashstoretest.Tree(t, afero.NewOsFs(), stored.Root())
	assert.Equal(t, b, a)
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
		fi, err := os.Stat(storePath(linked, v.ObjectPath))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "a linked object keeps its file's mode")
	}
}

// TestStoreFileDeleteObjectKeepsTheFile: deleting a linked pid removes the store's name only.
func TestStoreFileDeleteObjectKeepsTheFile(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[2]
	src := vectorSource(t, v)
	before, n := hashstore.StateOf(t, src), hashstore.Nlink(t, src)
	_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	require.Equal(t, n+1, hashstore.Nlink(t, src))
	require.NoError(t, s.DeleteObject(t.Context(), v.PID))
	assert.NoFileExists(t, storePath(s, v.ObjectPath))
	assert.Equal(t, before, hashstore.StateOf(t, src), "the file is intact")
	assert.Equal(t, n, hashstore.Nlink(t, src), "the link count is back")
}

// TestStoreFileRerunCompletesInterruptedConversion: an object linked but not tagged (a run
// interrupted between link and tag), or tagged only in the cid refs file, is completed by
// running again.
func TestStoreFileRerunCompletesInterruptedConversion(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	meta, placed, err := s.StoreFile(t.Context(), src, linkFile) // untagged: the state after the link step
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	assert.Empty(t, meta.PID)
	n := hashstore.Nlink(t, src)

	_, placed, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.AlreadyLinked, placed)
	assert.Equal(t, n, hashstore.Nlink(t, src))
	info, err := s.FindObject(t.Context(), v.PID)
	require.NoError(t, err)
	assert.Equal(t, v.CID, info.CID)

	// Interrupted inside the tag: the pid is in the cid refs file, its pid refs file missing.
	require.NoError(t, os.Remove(storePath(s, v.PIDRefsPath)))
	_, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	_, err = s.FindObject(t.Context(), v.PID)
	require.NoError(t, err)
	cidRefs, err := os.ReadFile(storePath(s, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Equal(t, v.PID+"\n", string(cidRefs))
}

// TestStoreFileAlreadyTagged: a pid already tagged to this content returns the complete
// metadata with ErrAlreadyTagged; tagged to other content, ErrPIDTaggedElsewhere. Neither
// changes anything.
func TestStoreFileAlreadyTagged(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v, w := hashstoretest.Vectors()[0], hashstoretest.Vectors()[1]
	src := vectorSource(t, v)
	_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)

	var meta hashstore.ObjectMetadata
	var placed hashstore.Placement
	err = hashstore.Unchanged(t, s.Root(), func() error {
		meta, placed, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrAlreadyTagged, v.PID, src)
	assert.Equal(t, hashstore.NotPlaced, placed)
	assert.Equal(t, v.PID, meta.PID, "complete metadata with ErrAlreadyTagged")
	assert.Equal(t, v.CID, meta.CID)
	assert.Equal(t, v.Size, meta.Size)
	assertDigests(t, v, meta.HexDigests, withDefaults()...)

	other := vectorSource(t, w)
	err = hashstore.Unchanged(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), other, linkFile, hashstore.WithPID(v.PID))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrPIDTaggedElsewhere, v.PID, other)
	assert.Equal(t, 1, hashstore.Nlink(t, other), "the other file is not linked")
}

// TestStoreFileExistingObjectIsAnotherFile: content the store already holds (written by
// StoreObject) is kept; the file is only read.
func TestStoreFileExistingObjectIsAnotherFile(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[1]
	_, err := s.StoreObject(t.Context(), bytes.NewReader(v.Data()), hashstore.WithPID("stored.1"))
	require.NoError(t, err)
	obj := storePath(s, v.ObjectPath)
	objBefore, err := os.Stat(obj)
	require.NoError(t, err)
	src := vectorSource(t, v)
	_, placed, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Deduplicated, placed)
	objAfter, err := os.Stat(obj)
	require.NoError(t, err)
	assert.True(t, os.SameFile(objBefore, objAfter), "the existing object is kept")
	assert.False(t, hashstore.SameOSFile(t, src, obj))
	assert.Equal(t, 1, hashstore.Nlink(t, src))
}

// TestStoreFileExistingObjectOfWrongSize: an existing object whose size differs is corrupt and
// is neither replaced nor tagged.
func TestStoreFileExistingObjectOfWrongSize(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[1]
	obj := storePath(s, v.ObjectPath)
	require.NoError(t, os.MkdirAll(filepath.Dir(obj), 0o755))
	require.NoError(t, os.WriteFile(obj, []byte("truncated"), 0o644))
	src := vectorSource(t, v)
	err := hashstore.Unchanged(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrCorrupt, v.PID, src)
	assert.Equal(t, 1, hashstore.Nlink(t, src))
}

// TestStoreFileSymlinkIsFollowed: the file a symbolic link names is linked, never the link.
func TestStoreFileSymlinkIsFollowed(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[1]
	target := vectorSource(t, v)
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(target, link))
	_, placed, err := s.StoreFile(t.Context(), link, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	obj := storePath(s, v.ObjectPath)
	fi, err := os.Lstat(obj)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "the object is a regular file, not a symbolic link")
	assert.True(t, hashstore.SameOSFile(t, target, obj))
}

// TestStoreFileExpectedSizeZero: WithExpectedSize(0) accepts an empty file (an empty DataONE
// object) and refuses any other with a *SizeMismatchError carrying the file's exact size and
// every digest; a negative size, or two different sizes, are invalid before the file is read.
func TestStoreFileExpectedSizeZero(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	empty := hashstore.WriteSource(t, nil)
	meta, placed, err := s.StoreFile(t.Context(), empty, linkFile, hashstore.WithPID("empty.1"), hashstore.WithExpectedSize(0))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", meta.CID)
	assert.Zero(t, meta.Size)

	v := hashstoretest.Vectors()[1]
	src := vectorSource(t, v)
	err = hashstore.Unchanged(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithExpectedSize(0))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrSizeMismatch, v.PID, src)
	var se *hashstore.SizeMismatchError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, v.Size, se.Actual, "the exact size")
	assert.False(t, se.AtLeast)
	assertDigests(t, v, se.HexDigests, withDefaults()...)

	_, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithExpectedSize(5), hashstore.WithExpectedSize(6))
	hashstore.RequireLinkError(t, err, hashstore.ErrInvalidArgument, v.PID, src)
	_, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithExpectedSize(-1))
	hashstore.RequireLinkError(t, err, hashstore.ErrInvalidArgument, v.PID, src)
}

// TestStoreFileSeveralChecksums: every WithChecksum is verified, before anything is created,
// and the digests of their algorithms are returned.
func TestStoreFileSeveralChecksums(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[1]
	src := vectorSource(t, v)

	// All right, in any spelling and case; the extra algorithm's digest is reported.
	meta, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithChecksum(v.Digests[hashstore.MD5], hashstore.MD5),
		hashstore.WithChecksum(strings.ToUpper(v.Digests[hashstore.SHA3_256]), "sha3_256"), hashstore.WithChecksum(v.Digests[hashstore.MD5], "md5"))
	require.NoError(t, err)
	assertDigests(t, v, meta.HexDigests, withDefaults(hashstore.SHA3_256)...)

	// A checksum in another algorithm than the defaults: its digest is reported too.
	meta, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID("also.2"), hashstore.WithChecksum(v.Digests[hashstore.SHA224], hashstore.SHA224))
	require.NoError(t, err)
	assertDigests(t, v, meta.HexDigests, withDefaults(hashstore.SHA224)...)

	// A wrong second checksum, right first one: nothing changes, not even a directory, and
	// the error has every digest.
	w := hashstoretest.Vectors()[2]
	other := vectorSource(t, w)
	err = hashstore.Unchanged(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), other, linkFile, hashstore.WithPID(w.PID), hashstore.WithChecksum(w.Digests[hashstore.SHA256], hashstore.SHA256),
			hashstore.WithChecksum(v.Digests[hashstore.SHA1], hashstore.SHA1))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrChecksumMismatch, w.PID, other)
	var ce *hashstore.ChecksumMismatchError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, hashstore.SHA1, ce.Algorithm)
	assert.Equal(t, w.Digests[hashstore.SHA1], ce.Actual)
	assertDigests(t, w, ce.HexDigests, withDefaults()...)

	// A wrong checksum wins over "already tagged": the data does not match.
	err = hashstore.Unchanged(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID), hashstore.WithChecksum(w.Digests[hashstore.MD5], hashstore.MD5))
		return err
	})
	hashstore.RequireLinkError(t, err, hashstore.ErrChecksumMismatch, v.PID, src)

	// Unsupported or blank checksums are refused before anything is read.
	_, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID("also.3"), hashstore.WithChecksum(v.Digests[hashstore.MD5], hashstore.MD5), hashstore.WithChecksum("00", "SM3"))
	hashstore.RequireLinkError(t, err, hashstore.ErrUnsupportedAlgorithm, "also.3", src)
	_, _, err = s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID("also.3"), hashstore.WithChecksum(" ", hashstore.MD5))
	hashstore.RequireLinkError(t, err, hashstore.ErrInvalidArgument, "also.3", src)
}

// TestStoreFileConcurrentLinks: many goroutines link copies of one content, and the same file,
// under distinct pids; one link is made, every pid is tagged.
func TestStoreFileConcurrentLinks(t *testing.T) {
	s := hashstore.NewOSTestStore(t)
	v := hashstoretest.Vectors()[2]
	const n = 8
	srcs := make([]string, n)
	for i := range srcs {
		srcs[i] = vectorSource(t, v)
	}
	shared := vectorSource(t, v)
	placements := make([]hashstore.Placement, 2*n)
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			src := shared
			if i < n {
				src = srcs[i]
			}
			_, placements[i], errs[i] = s.StoreFile(context.Background(), src, linkFile, hashstore.WithPID(fmt.Sprint("pid.", i)))
		})
	}
	wg.Wait()
	linked := 0
	for i, err := range errs {
		require.NoError(t, err, i)
		if placements[i] == hashstore.Linked {
			linked++
		}
	}
	assert.Equal(t, 1, linked, "exactly one link placed")
	cidRefs, err := os.ReadFile(storePath(s, v.CIDRefsPath))
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSuffix(string(cidRefs), "\n"), "\n"), 2*n)
	tmp, err := os.ReadDir(filepath.Join(s.Root(), "objects", "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)
}

// TestStoreFileOnBasePathFs: a store under an afero.BasePathFs over the OS links too.
func TestStoreFileOnBasePathFs(t *testing.T) {
	base := t.TempDir()
	fsys := afero.NewBasePathFs(afero.NewOsFs(), base)
	s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(fsys))
	require.NoError(t, err)
	v := hashstoretest.Vectors()[0]
	src := vectorSource(t, v)
	_, placed, err := s.StoreFile(t.Context(), src, linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	assert.True(t, hashstore.SameOSFile(t, src, filepath.Join(base, "store", filepath.FromSlash(v.ObjectPath))))
}

// TestStoreFileOnMemFs: a store on afero's memory filesystem links files of that filesystem
// by emulation: the object gets the file's bytes and mode, linking the same file again is
// AlreadyLinked, another file with the same content Deduplicated, and bad files are refused.
func TestStoreFileOnMemFs(t *testing.T) {
	fsys := afero.NewMemMapFs()
	s, err := hashstore.New("/store", hashstore.DefaultConfig(), hashstore.WithFs(fsys))
	require.NoError(t, err)
	v := hashstoretest.Vectors()[0]
	require.NoError(t, afero.WriteFile(fsys, "/src/a", v.Data(), 0o640))
	_, placed, err := s.StoreFile(t.Context(), "/src/a", linkFile, hashstore.WithPID(v.PID))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Linked, placed)
	obj := "/store/" + v.ObjectPath
	got, err := afero.ReadFile(fsys, obj)
	require.NoError(t, err)
	assert.Equal(t, v.Data(), got)
	fi, err := fsys.Stat(obj)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())

	_, placed, err = s.StoreFile(t.Context(), "/src/a", linkFile, hashstore.WithPID("second"))
	require.NoError(t, err)
	assert.Equal(t, hashstore.AlreadyLinked, placed, "the store knows the object is the file")
	require.NoError(t, afero.WriteFile(fsys, "/src/b", v.Data(), 0o640))
	_, placed, err = s.StoreFile(t.Context(), "/src/b", linkFile, hashstore.WithPID("third"))
	require.NoError(t, err)
	assert.Equal(t, hashstore.Deduplicated, placed)

	require.NoError(t, fsys.Mkdir("/src/dir", 0o755))
	_, _, err = s.StoreFile(t.Context(), "/src/dir", linkFile, hashstore.WithPID("dir"))
	hashstore.RequireLinkError(t, err, hashstore.ErrInvalidArgument, "dir", "/src/dir")
	_, _, err = s.StoreFile(t.Context(), "/src/missing", linkFile, hashstore.WithPID("missing"))
	hashstore.RequireLinkError(t, err, hashstore.ErrNotFound, "missing", "/src/missing")
}

func TestPlacementText(t *testing.T) {
	for p, want := range map[hashstore.Placement]string{hashstore.NotPlaced: "none", hashstore.Linked: "linked", hashstore.AlreadyLinked: "already_linked",
		hashstore.Deduplicated: "deduplicated", hashstore.Copied: "copied", hashstore.Placement(9): "Placement(9)", hashstore.Placement(-1): "Placement(-1)"} {
		assert.Equal(t, want, p.String())
		b, err := p.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, want, string(b))
	}
}
