package faultfs

import (
	"io/fs"
	"os"

	"github.com/spf13/afero"
)

// file is the afero.File that FS returns: it hands every call on to the
// file the base returned, counting and failing calls as its FS says.
type file struct {
	fs       *FS
	base     afero.File
	name     string // as the caller passed it to FS, for error paths
	writable bool   // opened for writing, so Sync is refused when read-only
}

var (
	_ afero.File     = (*file)(nil)
	_ fs.ReadDirFile = (*file)(nil)
)

// Unwrap returns the base filesystem's file, for code that needs what afero.File does not
// offer (the descriptor, to flock it).
func (h *file) Unwrap() afero.File { return h.base }

func (h *file) Name() string                                 { return h.base.Name() }
func (h *file) Stat() (os.FileInfo, error)                   { return h.base.Stat() }
func (h *file) Read(p []byte) (int, error)                   { return h.base.Read(p) }
func (h *file) ReadAt(p []byte, off int64) (int, error)      { return h.base.ReadAt(p, off) }
func (h *file) Seek(offset int64, whence int) (int64, error) { return h.base.Seek(offset, whence) }

func (h *file) Write(p []byte) (int, error) {
	return h.write(len(p), func(m int) (int, error) { return h.base.Write(p[:m]) })
}

func (h *file) WriteAt(p []byte, off int64) (int, error) {
	return h.write(len(p), func(m int) (int, error) { return h.base.WriteAt(p[:m], off) })
}

func (h *file) WriteString(s string) (int, error) {
	return h.write(len(s), func(m int) (int, error) { return h.base.WriteString(s[:m]) })
}

// write runs a write of size bytes: do(m) must write the first m of them
// to the base file.
func (h *file) write(size int, do func(m int) (int, error)) (int, error) {
	if cause := h.fs.begin(OpWrite, true); cause != nil {
		return 0, pathError("write", h.name, cause)
	}
	allowed, gen, cause := h.fs.reserve(size)
	n, err := 0, error(nil)
	if allowed > 0 || cause == nil {
		n, err = do(allowed)
	}
	h.fs.refund(allowed-n, gen)
	if err != nil {
		return n, err
	}
	if cause != nil {
		h.fs.noteInjected()
		return n, pathError("write", h.name, cause)
	}
	return n, nil
}

func (h *file) Truncate(size int64) error {
	if cause := h.fs.begin(OpWrite, true); cause != nil {
		return pathError("truncate", h.name, cause)
	}
	return h.base.Truncate(size)
}

func (h *file) Sync() error {
	if cause := h.fs.begin(OpSync, h.writable); cause != nil {
		return pathError("sync", h.name, cause)
	}
	return h.base.Sync()
}

// Close closes the base file even when it reports an injected failure,
// since a real close releases the descriptor whatever it reports.
func (h *file) Close() error {
	cause := h.fs.begin(OpClose, false)
	err := h.base.Close()
	if cause != nil {
		return pathError("close", h.name, cause)
	}
	return err
}

func (h *file) Readdir(count int) ([]os.FileInfo, error) {
	if cause := h.fs.begin(OpReadDir, false); cause != nil {
		return nil, pathError("readdirent", h.name, cause)
	}
	return h.base.Readdir(count)
}

func (h *file) Readdirnames(n int) ([]string, error) {
	if cause := h.fs.begin(OpReadDir, false); cause != nil {
		return nil, pathError("readdirent", h.name, cause)
	}
	return h.base.Readdirnames(n)
}

// ReadDir implements fs.ReadDirFile, using the base file's ReadDir when it
// has one and its Readdir otherwise.
func (h *file) ReadDir(n int) ([]fs.DirEntry, error) {
	if cause := h.fs.begin(OpReadDir, false); cause != nil {
		return nil, pathError("readdirent", h.name, cause)
	}
	if rd, ok := h.base.(fs.ReadDirFile); ok {
		return rd.ReadDir(n)
	}
	infos, err := h.base.Readdir(n)
	entries := make([]fs.DirEntry, len(infos))
	for i, fi := range infos {
		entries[i] = fs.FileInfoToDirEntry(fi)
	}
	return entries, err
}
