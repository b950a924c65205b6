package crashfs

import (
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/afero"
)

// handle is an open file or directory: the afero.File that FS returns. It refers to an inode,
// so it follows the file through renames and keeps it after removal. Every call takes the FS's
// lock.
type handle struct {
	fs         *FS
	boot       uint64 // the boot it was opened in; later boots refuse it
	ino        *inode
	name       string // as passed to OpenFile, which Name returns
	read       bool
	write      bool
	appendMode bool
	off        int64
	closed     bool
	listing    []fs.FileInfo // a directory's entries, taken at the first Readdir
	listed     int           // how many of listing were returned
}

var (
	_ afero.File     = (*handle)(nil)
	_ fs.ReadDirFile = (*handle)(nil)
)

// errAppendWriteAt is what os returns for WriteAt on a file opened with O_APPEND.
var errAppendWriteAt = errors.New("crashfs: invalid use of WriteAt on file opened with O_APPEND")

// maxSize bounds offsets, so a stray seek cannot make a write allocate without limit.
const maxSize = 1 << 40

// begin locks the FS for a call and returns the error to fail it with: ErrPowerCut when the
// FS is frozen or the handle is from an earlier boot, os.ErrClosed after Close. The caller
// must unlock the FS.
func (h *handle) begin(op string) error {
	h.fs.mu.Lock()
	switch {
	case h.fs.frozen || h.boot != h.fs.boot:
		return pathErr(op, h.name, ErrPowerCut)
	case h.closed:
		return pathErr(op, h.name, os.ErrClosed)
	}
	return nil
}

func (h *handle) end() { h.fs.mu.Unlock() }

// Name returns the name the file was opened with.
func (h *handle) Name() string { return h.name }

// Close closes the handle. A second Close fails with os.ErrClosed.
func (h *handle) Close() error {
	defer h.end()
	if err := h.begin("close"); err != nil {
		return err
	}
	h.closed = true
	return nil
}

// Stat returns a snapshot of the file's FileInfo, named after the name it was opened with.
func (h *handle) Stat() (os.FileInfo, error) {
	defer h.end()
	if err := h.begin("stat"); err != nil {
		return nil, err
	}
	return h.ino.info(path.Base(path.Clean("/" + h.name))), nil
}

// Sync is fsync: a file's content and attributes, or a directory's entries and attributes,
// become durable as they are now. It works on a handle opened for reading too, and is a
// flush boundary (see FS.Syncs).
func (h *handle) Sync() error {
	defer h.end()
	if err := h.begin("sync"); err != nil {
		return err
	}
	h.fs.flush(h.ino)
	h.fs.synced()
	return nil
}

// Read reads from the offset, like os.File.Read: io.EOF at the end. A directory gives EISDIR,
// a handle not opened for reading EBADF.
func (h *handle) Read(p []byte) (int, error) {
	defer h.end()
	if err := h.readable("read"); err != nil {
		return 0, err
	}
	n, err := h.readAt(p, h.off)
	h.off += int64(n)
	return n, err
}

// ReadAt reads at off without moving the offset; io.EOF when it reads fewer than len(p) bytes.
func (h *handle) ReadAt(p []byte, off int64) (int, error) {
	defer h.end()
	if err := h.readable("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", h.name, syscall.EINVAL)
	}
	n, err := h.readAt(p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (h *handle) readable(op string) error {
	if err := h.begin(op); err != nil {
		return err
	}
	switch {
	case h.ino.dir:
		return pathErr(op, h.name, syscall.EISDIR)
	case !h.read:
		return pathErr(op, h.name, syscall.EBADF)
	}
	return nil
}

func (h *handle) readAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if off >= int64(len(h.ino.data)) {
		return 0, io.EOF
	}
	return copy(p, h.ino.data[off:]), nil
}

// Seek moves the offset like os.File.Seek; EINVAL for a negative result. On a directory only
// Seek(0, io.SeekStart) is allowed: it restarts the listing.
func (h *handle) Seek(offset int64, whence int) (int64, error) {
	defer h.end()
	if err := h.begin("seek"); err != nil {
		return 0, err
	}
	if h.ino.dir {
		// Only rewinding means something: the next Readdir starts over.
		if offset != 0 || whence != io.SeekStart {
			return 0, pathErr("seek", h.name, syscall.EINVAL)
		}
		h.listing, h.listed = nil, 0
		return 0, nil
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += h.off
	case io.SeekEnd:
		offset += int64(len(h.ino.data))
	default:
		return 0, pathErr("seek", h.name, syscall.EINVAL)
	}
	if offset < 0 || offset > maxSize {
		return 0, pathErr("seek", h.name, syscall.EINVAL)
	}
	h.off = offset
	return offset, nil
}

// Write writes at the offset (at the end with O_APPEND), growing the file with zeros if the
// offset is past its end. It counts as an Op. A handle not opened for writing gives EBADF.
func (h *handle) Write(p []byte) (int, error) {
	defer h.end()
	if err := h.writable("write"); err != nil {
		return 0, err
	}
	if h.appendMode {
		h.off = int64(len(h.ino.data))
	}
	n, err := h.writeAt(p, h.off)
	h.off += int64(n)
	return n, err
}

// WriteAt writes at off without moving the offset, and is refused with O_APPEND, as by os.
// It counts as an Op.
func (h *handle) WriteAt(p []byte, off int64) (int, error) {
	defer h.end()
	if err := h.writable("write"); err != nil {
		return 0, err
	}
	if h.appendMode {
		return 0, errAppendWriteAt
	}
	return h.writeAt(p, off)
}

// WriteString is Write of a string.
func (h *handle) WriteString(s string) (int, error) { return h.Write([]byte(s)) }

func (h *handle) writable(op string) error {
	if err := h.begin(op); err != nil {
		return err
	}
	switch {
	case h.ino.dir:
		return pathErr(op, h.name, syscall.EISDIR)
	case !h.write:
		return pathErr(op, h.name, syscall.EBADF)
	}
	return nil
}

func (h *handle) writeAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > maxSize {
		return 0, pathErr("write", h.name, syscall.EINVAL)
	}
	n := h.ino
	end := int(off) + len(p)
	if end > len(n.data) {
		n.data = resize(n.data, end)
	}
	copy(n.data[off:], p)
	n.dirty = true
	n.attr.mtime = h.fs.now()
	h.fs.mutated()
	return len(p), nil
}

// Truncate changes the file's size, like os.File.Truncate. It counts as an Op.
func (h *handle) Truncate(size int64) error {
	defer h.end()
	if err := h.writable("truncate"); err != nil {
		return err
	}
	if size < 0 || size > maxSize {
		return pathErr("truncate", h.name, syscall.EINVAL)
	}
	h.ino.truncate(int(size), h.fs.now())
	h.fs.mutated()
	return nil
}

// truncate sets a file's length, remembering how short it got since the last flush.
func (n *inode) truncate(size int, now time.Time) {
	n.data = resize(n.data, size)
	n.minLen = min(n.minLen, size)
	n.dirty = true
	n.attr.mtime = now
}

// Readdir lists a directory like os.File.Readdir. The entries are those at the first call
// after Open (or a rewinding Seek), sorted by name.
func (h *handle) Readdir(count int) ([]os.FileInfo, error) {
	defer h.end()
	return h.readdir("readdirent", count)
}

// Readdirnames is Readdir returning names only.
func (h *handle) Readdirnames(n int) ([]string, error) {
	defer h.end()
	infos, err := h.readdir("readdirent", n)
	names := make([]string, len(infos))
	for i, fi := range infos {
		names[i] = fi.Name()
	}
	return names, err
}

// ReadDir is Readdir returning fs.DirEntry values, for fs.ReadDirFile.
func (h *handle) ReadDir(n int) ([]fs.DirEntry, error) {
	defer h.end()
	infos, err := h.readdir("readdirent", n)
	entries := make([]fs.DirEntry, len(infos))
	for i, fi := range infos {
		entries[i] = fs.FileInfoToDirEntry(fi)
	}
	return entries, err
}

func (h *handle) readdir(op string, count int) ([]fs.FileInfo, error) {
	if err := h.begin(op); err != nil {
		return nil, err
	}
	if !h.ino.dir {
		return nil, pathErr(op, h.name, syscall.ENOTDIR)
	}
	if h.listing == nil {
		names := slices.Sorted(maps.Keys(h.ino.kids))
		h.listing = make([]fs.FileInfo, len(names))
		for i, name := range names {
			h.listing[i] = h.ino.kids[name].info(name)
		}
	}
	rest := h.listing[h.listed:]
	if count <= 0 {
		h.listed = len(h.listing)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(count, len(rest))]
	h.listed += len(rest)
	return rest, nil
}
