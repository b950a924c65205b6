//go:build unix

package hashstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/faultfs"
	"github.com/hashstore-go/hashstore/internal/linker"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// These tests replace the store's linker (the unexported field StoreFile links through) with
// the OS linker wrapped to fail as the system would in situations a test cannot set up: a
// cross-device link found before the read or only by link(2), another writer placing the
// object first, a file changed or replaced while it is read, an unreadable file, a link the
// system refuses. Everything else is real: the OS filesystem, real files, real links.

// linkData is the content the tests link, and linkCID its SHA-256.
var linkData = []byte("content linked into the store by the internal StoreFile tests\n")

func linkCID() string {
	sum := sha256.Sum256(linkData)
	return hex.EncodeToString(sum[:])
}

// digestsOf computes data's digest in each algorithm.
func digestsOf(data []byte, algs ...Algorithm) map[Algorithm]string {
	out := map[Algorithm]string{}
	for _, a := range algs {
		h := a.New()
		h.Write(data)
		out[a] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// storeWithLinker makes a store on the OS filesystem whose linker is wrap(the OS linker).
func storeWithLinker(t *testing.T, wrap func(*linker.OSLinker) linker.Linker) *FileHashStore {
	t.Helper()
	s := NewOSTestStore(t)
	l, ok := s.linker.(*linker.OSLinker)
	require.True(t, ok, "a store on the OS filesystem links through the OS: %T", s.linker)
	s.linker = wrap(l)
	return s
}

// TestLinkerChosenFromFs: the store links through the OS wherever its filesystem has OS
// paths, and emulates links on any other.
func TestLinkerChosenFromFs(t *testing.T) {
	osDir := t.TempDir()
	for name, c := range map[string]struct {
		fs   afero.Fs
		root string
		want linker.Linker
	}{
		"os":             {afero.NewOsFs(), filepath.Join(osDir, "a"), &linker.OSLinker{}},
		"base path, os":  {afero.NewBasePathFs(afero.NewOsFs(), osDir), "/b", &linker.OSLinker{}},
		"faultfs, os":    {faultfs.New(afero.NewOsFs()), filepath.Join(osDir, "c"), &linker.OSLinker{}},
		"mem":            {afero.NewMemMapFs(), "/store", &linker.MemLinker{}},
		"base path, mem": {afero.NewBasePathFs(afero.NewMemMapFs(), "/x"), "/store", &linker.MemLinker{}},
	} {
		s, err := New(c.root, DefaultConfig(), WithFs(c.fs))
		require.NoError(t, err, name)
		assert.IsType(t, c.want, s.linker, name)
	}
}

// exdevLinker is the OS linker except that Link fails as link(2) does across filesystems: a
// situation CheckLink cannot see in advance (two mounts of one filesystem).
type exdevLinker struct{ *linker.OSLinker }

func (exdevLinker) Link(source, target string) error {
	return &os.LinkError{Op: "link", Old: source, New: target, Err: syscall.EXDEV}
}

// earlyExdevLinker says before the read that the file is on another device, as OSLinker's
// CheckLink does for two filesystems; its Link must then not be called, and Open is counted.
type earlyExdevLinker struct {
	*linker.OSLinker
	t     *testing.T
	opens *atomic.Int32
}

func (l earlyExdevLinker) CheckLink(source, dir string) error {
	return &os.LinkError{Op: "link", Old: source, New: dir, Err: syscall.EXDEV}
}

func (l earlyExdevLinker) Open(source string) (fs.File, error) {
	l.opens.Add(1)
	return l.OSLinker.Open(source)
}

func (l earlyExdevLinker) Link(source, target string) error {
	l.t.Error("Link called after CheckLink refused")
	return errors.New("unexpected")
}

// TestStoreFileCrossDeviceBeforeTheRead: a file CheckLink finds on another filesystem fails
// with LinkFile before it is opened, changing nothing at all, and is copied with
// LinkOrCopyFile.
func TestStoreFileCrossDeviceBeforeTheRead(t *testing.T) {
	var opens atomic.Int32
	s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { return earlyExdevLinker{l, t, &opens} })
	src := WriteSource(t, linkData)
	err := Unchanged(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), src, WithLink(LinkFile), WithPID("pid.1"))
		return err
	})
	RequireLinkError(t, err, ErrCrossDevice, "pid.1", src)
	assert.Zero(t, opens.Load(), "refused before the file is opened")

	meta, placed, err := s.StoreFile(t.Context(), src, WithLink(LinkOrCopyFile), WithPID("pid.1"))
	require.NoError(t, err)
	assert.Equal(t, Copied, placed)
	assert.Equal(t, linkCID(), meta.CID)
	assert.Equal(t, int32(1), opens.Load(), "the copy reads the file once")
	assert.False(t, SameOSFile(t, src, s.objectPath(meta.CID)), "a copy")
}

// TestStoreFileCrossDeviceAtTheLink: a cross-device failure found only by link(2) is a
// *CrossDeviceError naming the file and the store, with the ways out, after which the store
// holds the same files (the object's shard directories stay); with LinkOrCopyFile the open
// file is copied instead, under the same expectations.
func TestStoreFileCrossDeviceAtTheLink(t *testing.T) {
	t.Run("LinkFile", func(t *testing.T) {
		s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { return exdevLinker{l} })
		src := WriteSource(t, linkData)
		var placed Placement
		err := UnchangedFiles(t, s.Root(), func() error {
			var err error
			_, placed, err = s.StoreFile(t.Context(), src, WithLink(LinkFile), WithPID("pid.1"))
			return err
		})
		RequireLinkError(t, err, ErrCrossDevice, "pid.1", src)
		assert.Equal(t, NotPlaced, placed)
		var ce *CrossDeviceError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, src, ce.Source)
		assert.Equal(t, s.Root(), ce.Store)
		assert.ErrorIs(t, err, syscall.EXDEV)
		msg := err.Error()
		assert.Contains(t, msg, s.Root())
		assert.Contains(t, msg, "LinkOrCopyFile")
		assert.Contains(t, msg, "--on-cross-device copy")
		assert.Contains(t, msg, "move the file")
		assert.Equal(t, 1, strings.Count(msg, src), "the file is named once: %s", msg)
		assert.Equal(t, "cross_device", ErrorKind(err))
		assert.Equal(t, 1, Nlink(t, src))
	})
	t.Run("LinkOrCopyFile", func(t *testing.T) {
		s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { return exdevLinker{l} })
		src := WriteSource(t, linkData)
		before := StateOf(t, src)
		want := digestsOf(linkData, DefaultAlgorithms()...)
		meta, placed, err := s.StoreFile(t.Context(), src, WithLink(LinkOrCopyFile), WithPID("pid.1"),
			WithChecksum(want[MD5], MD5), WithChecksum(want[SHA1], SHA1), WithExpectedSize(int64(len(linkData))))
		require.NoError(t, err)
		assert.Equal(t, Copied, placed)
		assert.Equal(t, linkCID(), meta.CID)
		assert.Equal(t, want, meta.HexDigests)
		obj := s.objectPath(meta.CID)
		got, err := os.ReadFile(obj)
		require.NoError(t, err)
		assert.Equal(t, linkData, got)
		assert.False(t, SameOSFile(t, src, obj), "a copy")
		assert.Equal(t, before, StateOf(t, src))
		assert.Equal(t, 1, Nlink(t, src))
		_, err = s.FindObject(t.Context(), "pid.1")
		require.NoError(t, err)

		// The copy obeys the same expectations: every checksum, a zero size.
		other := WriteSource(t, []byte("other content"))
		otherDigests := digestsOf([]byte("other content"), DefaultAlgorithms()...)
		err = UnchangedFiles(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), other, WithLink(LinkOrCopyFile), WithPID("pid.2"),
				WithChecksum(otherDigests[SHA256], SHA256), WithChecksum(want[SHA1], SHA1))
			return err
		})
		RequireLinkError(t, err, ErrChecksumMismatch, "pid.2", other)
		var ce *ChecksumMismatchError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, SHA1, ce.Algorithm)
		assert.Equal(t, otherDigests, ce.HexDigests)
		err = UnchangedFiles(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), other, WithLink(LinkOrCopyFile), WithPID("pid.2"), WithExpectedSize(0))
			return err
		})
		RequireLinkError(t, err, ErrSizeMismatch, "pid.2", other)
		var se *SizeMismatchError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, int64(len("other content")), se.Actual)
		assert.Equal(t, otherDigests, se.HexDigests)
		empty := WriteSource(t, nil)
		meta, placed, err = s.StoreFile(t.Context(), empty, WithLink(LinkOrCopyFile), WithPID("empty"), WithExpectedSize(0))
		require.NoError(t, err)
		assert.Equal(t, Copied, placed)
		assert.Zero(t, meta.Size)
	})
}

// racingLinker writes the object itself just before linking, as a writer that does not take
// this implementation's locks (Java, Python) could.
type racingLinker struct{ *linker.OSLinker }

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

// TestStoreFileObjectAppearsBeforeTheLink: an object written meanwhile by another writer is
// kept, and the pid tagged to it.
func TestStoreFileObjectAppearsBeforeTheLink(t *testing.T) {
	s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { return racingLinker{l} })
	src := WriteSource(t, linkData)
	_, placed, err := s.StoreFile(t.Context(), src, WithLink(LinkFile), WithPID("pid.1"))
	require.NoError(t, err)
	assert.Equal(t, Deduplicated, placed)
	_, err = s.FindObject(t.Context(), "pid.1")
	require.NoError(t, err)
	assert.Equal(t, 1, Nlink(t, src))
}

// hookLinker is the OS linker with hooks on the file it opens.
type hookLinker struct {
	*linker.OSLinker
	open func(name string) (fs.File, error) // replaces Open, if set
	read func()                             // runs after the first Read of the file, if set
	stat func(n int)                        // runs before the n-th Stat of the open file, if set
}

func (h *hookLinker) Open(name string) (fs.File, error) {
	if h.open != nil {
		return h.open(name)
	}
	f, err := h.OSLinker.Open(name)
	if err != nil {
		return f, err
	}
	return &hookFile{File: f.(*os.File), h: h}, nil
}

// hookFile is an open file running its linker's hooks. Like the *os.File it wraps, it seeks
// and syncs.
type hookFile struct {
	*os.File
	h     *hookLinker
	once  sync.Once
	stats int
}

func (f *hookFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if f.h.read != nil {
		f.once.Do(f.h.read)
	}
	return n, err
}

func (f *hookFile) Stat() (fs.FileInfo, error) {
	f.stats++
	if f.h.stat != nil {
		f.h.stat(f.stats)
	}
	return f.File.Stat()
}

// appendTo appends to the file at p, as a writer that has not finished would.
func appendTo(t *testing.T, p string) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString("more")
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestStoreFileSourceChangedWhileRead: a file written to during the read is not placed, by
// link or by copy.
func TestStoreFileSourceChangedWhileRead(t *testing.T) {
	for _, p := range []LinkPolicy{LinkFile, CopyFile} {
		h := &hookLinker{}
		s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { h.OSLinker = l; return h })
		src := WriteSource(t, linkData)
		h.read = func() { appendTo(t, src) }
		err := Unchanged(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), src, WithLink(p), WithPID("pid.1"))
			return err
		})
		RequireFileError(t, err, ErrSourceChanged, fileOpOf(p), "pid.1", src)
		assert.Equal(t, "source_changed", ErrorKind(err))
		assert.Equal(t, 1, Nlink(t, src))
	}
}

// fileOpOf is the operation StoreFile's errors name for a policy.
func fileOpOf(p LinkPolicy) string {
	if p == CopyFile {
		return "store file"
	}
	return "link object"
}

// TestStoreFileSourceChangedBeforeTheLink: a file written to after the read but before the
// link (its state is looked at again under the cid lock) is not linked.
func TestStoreFileSourceChangedBeforeTheLink(t *testing.T) {
	h := &hookLinker{}
	s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { h.OSLinker = l; return h })
	src := WriteSource(t, linkData)
	// Stat 1 is before the read, 2 at its end, 3 just before the link.
	h.stat = func(n int) {
		if n == 3 {
			appendTo(t, src)
		}
	}
	err := UnchangedFiles(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), src, WithLink(LinkFile), WithPID("pid.1"))
		return err
	})
	RequireLinkError(t, err, ErrSourceChanged, "pid.1", src)
	assert.Equal(t, 1, Nlink(t, src), "not linked")
}

// TestStoreFileSourceReplacedWhileRead: if the path names another file by the time it is
// linked, the link is taken back and nothing is placed (the object's shard directories, made
// under the cid lock just before, stay).
func TestStoreFileSourceReplacedWhileRead(t *testing.T) {
	h := &hookLinker{}
	s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { h.OSLinker = l; return h })
	src := WriteSource(t, linkData)
	impostor := filepath.Join(filepath.Dir(src), "impostor")
	require.NoError(t, os.WriteFile(impostor, []byte("something else entirely"), 0o644))
	h.read = func() { require.NoError(t, os.Rename(impostor, src)) }
	err := UnchangedFiles(t, s.Root(), func() error {
		_, _, err := s.StoreFile(t.Context(), src, WithLink(LinkFile), WithPID("pid.1"))
		return err
	})
	RequireLinkError(t, err, ErrSourceChanged, "pid.1", src)
	assert.Contains(t, err.Error(), "replaced")
	assert.Equal(t, 1, Nlink(t, src), "the replacement is not linked")
}

// TestStoreFileUnreadableInjected: a file the system refuses to open is a permission error
// whose message names it once, for every policy.
func TestStoreFileUnreadableInjected(t *testing.T) {
	for _, p := range []LinkPolicy{LinkFile, LinkOrCopyFile, CopyFile} {
		h := &hookLinker{open: func(name string) (fs.File, error) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}}
		s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { h.OSLinker = l; return h })
		src := WriteSource(t, linkData)
		err := Unchanged(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), src, WithLink(p), WithPID("pid.1"))
			return err
		})
		RequireFileError(t, err, fs.ErrPermission, fileOpOf(p), "pid.1", src)
		assert.Contains(t, err.Error(), "cannot read the source file")
		assert.Equal(t, 1, strings.Count(err.Error(), src), "named once: %v", err)
	}
}

// refusingLinker fails every Link with errno.
type refusingLinker struct {
	*linker.OSLinker
	errno syscall.Errno
}

func (l refusingLinker) Link(source, target string) error {
	return &os.LinkError{Op: "link", Old: source, New: target, Err: l.errno}
}

// TestStoreFileLinkRefused: a link the system refuses (EPERM under Linux's
// fs.protected_hardlinks for a file the user neither owns nor may write; EACCES for a
// directory that cannot be searched) is a permission error with the likely reason, and
// leaves the store's files as they were.
func TestStoreFileLinkRefused(t *testing.T) {
	for errno, hint := range map[syscall.Errno]string{syscall.EPERM: "protected_hardlinks", syscall.EACCES: "cannot be searched or written"} {
		s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { return refusingLinker{l, errno} })
		src := WriteSource(t, linkData)
		err := UnchangedFiles(t, s.Root(), func() error {
			_, _, err := s.StoreFile(t.Context(), src, WithLink(LinkOrCopyFile), WithPID("pid.1"))
			return err
		})
		RequireLinkError(t, err, fs.ErrPermission, "pid.1", src)
		assert.ErrorIs(t, err, errno)
		assert.Contains(t, err.Error(), hint)
		assert.NotErrorIs(t, err, ErrCrossDevice, "not copied instead: only a cross-device link is")
	}
}

// TestLinkErrorClassification checks the mapping the linker's errors go through: a real
// EXDEV from link(2) arrives as an *os.LinkError wrapping syscall.EXDEV.
func TestLinkErrorClassification(t *testing.T) {
	s := NewOSTestStore(t)
	src := WriteSource(t, linkData)
	exdev := &os.LinkError{Op: "link", Old: src, New: "/store/objects/x", Err: syscall.EXDEV}
	err := s.linkError(exdev, src)
	var ce *CrossDeviceError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, src, ce.Source)
	assert.Equal(t, s.Root(), ce.Store)
	assert.ErrorIs(t, err, ErrCrossDevice)
	assert.ErrorIs(t, err, syscall.EXDEV)

	eperm := &os.LinkError{Op: "link", Old: src, New: "/store/x", Err: syscall.EPERM}
	err = s.linkError(eperm, src)
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.Contains(t, err.Error(), "protected_hardlinks")
	assert.NotContains(t, err.Error(), src, "the caller names the file")
	assert.NotErrorIs(t, err, ErrCrossDevice)

	eacces := &os.LinkError{Op: "link", Old: src, New: "/store/x", Err: syscall.EACCES}
	assert.ErrorIs(t, s.linkError(eacces, src), fs.ErrPermission)

	eio := &os.LinkError{Op: "link", Old: src, New: "/store/x", Err: syscall.EIO}
	assert.Same(t, eio, s.linkError(eio, src))

	// ENOENT: the file vanished since it was looked at, or (it is still there) a directory
	// on the store's side is missing, which is the store's own I/O error.
	enoent := &os.LinkError{Op: "link", Old: src, New: "/store/x", Err: syscall.ENOENT}
	assert.Same(t, enoent, s.linkError(enoent, src))
	gone := filepath.Join(t.TempDir(), "gone")
	err = s.linkError(&os.LinkError{Op: "link", Old: gone, New: "/store/x", Err: syscall.ENOENT}, gone)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestSourceErrorClassification(t *testing.T) {
	err := sourceError(&fs.PathError{Op: "stat", Path: "/x", Err: syscall.ENOENT})
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	err = sourceError(&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES})
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.NotContains(t, err.Error(), "/x", "the caller names the path")
	err = sourceError(safeopen.NotRegular("/x", fs.ModeNamedPipe, nil))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "named pipe")
	other := errors.New("boom")
	assert.Same(t, other, sourceError(other))
}

// TestStoreFileNotRegularRefusedBeforeOpen: a directory or FIFO (or a symbolic link to one)
// is refused from its Stat, for every policy, without being opened: opening a FIFO could
// block, and a device could have side effects.
func TestStoreFileNotRegularRefusedBeforeOpen(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(fifo, link))
	for _, p := range []LinkPolicy{LinkFile, LinkOrCopyFile, CopyFile} {
		for _, src := range []string{t.TempDir(), fifo, link} {
			h := &hookLinker{open: func(name string) (fs.File, error) {
				t.Errorf("%s was opened", name)
				return nil, errors.New("unexpected")
			}}
			s := storeWithLinker(t, func(l *linker.OSLinker) linker.Linker { h.OSLinker = l; return h })
			_, _, err := s.StoreFile(t.Context(), src, WithLink(p), WithPID("pid.1"))
			RequireFileError(t, err, ErrInvalidArgument, fileOpOf(p), "pid.1", src)
			assert.Contains(t, err.Error(), "not a regular file")
		}
	}
}
