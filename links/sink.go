package links

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/hashstore"
)

// linkSink is the hashstore.Sink of Link: the store reads the source through an open file
// (nothing is written), and Place links the source into place, or keeps an existing object.
type linkSink struct {
	s         *Store
	source    string      // the source, as given
	file      fs.File     // the source, open: what the store reads
	before    fs.FileInfo // file's state before the read
	placement Placement
}

// Writer implements hashstore.Sink: nothing is written.
func (k *linkSink) Writer() io.Writer { return nil }

// Place implements hashstore.Sink. The store has verified the size and checksums, holds the
// cid lock and has created the object's directory; existing is the object already there.
func (k *linkSink) Place(objectPath string, existing fs.FileInfo) (bool, error) {
	now, err := k.file.Stat()
	if err != nil {
		return false, err
	}
	if err := sourceChanged(k.before, now); err != nil {
		return false, err // changed since the end of the read (checkingReader saw the rest)
	}
	if existing != nil {
		k.keep(now, existing) // of the right size: checked by the store
		return false, nil
	}
	if f, ok := k.file.(interface{ Sync() error }); ok {
		if err := k.s.SyncFile(f); err != nil {
			return false, err
		}
	}
	if err := k.s.linker.Link(k.source, objectPath); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Written meanwhile by a writer that does not take our locks (the Java or Python
			// implementation): content-addressed, so the same content if the size agrees.
			if fi, serr := lstat(k.s.Fs(), objectPath); serr == nil && fi.Mode().IsRegular() && fi.Size() == now.Size() {
				k.keep(now, fi)
				return false, nil
			}
		}
		return false, k.s.linkError(err, k.source)
	}
	// The source path is linked, not the open file: make sure it still names what was read.
	linked, err := lstat(k.s.Fs(), objectPath)
	if err != nil || !k.s.linker.SameFile(now, linked) {
		k.s.Fs().Remove(objectPath) // ours: nothing can have used it under the cid lock
		if err != nil {
			return false, err
		}
		return false, fmt.Errorf("%w: the source path was replaced by another file during the read; nothing was placed", ErrSourceChanged)
	}
	k.placement = Linked
	return true, k.s.SyncDir(filepath.Dir(objectPath))
}

// keep accepts the object already in the store, recording whether it is the source's file.
func (k *linkSink) keep(source, existing fs.FileInfo) {
	k.placement = Deduplicated
	if k.s.linker.SameFile(source, existing) {
		k.placement = AlreadyLinked
	}
}

// Discard implements hashstore.Sink. The sink holds nothing of the store's; Link closes the
// source itself (after using it for the digests of an error).
func (k *linkSink) Discard() {}

// lstat describes name itself, not what it links to, where fsys can tell.
func lstat(fsys afero.Fs, name string) (fs.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(name)
		return fi, err
	}
	return fsys.Stat(name)
}

// sourceChanged compares the source's state before and after the read.
func sourceChanged(before, now fs.FileInfo) error {
	if now.Size() == before.Size() && now.ModTime().Equal(before.ModTime()) {
		return nil
	}
	const layout = "2006-01-02T15:04:05.999999999Z07:00"
	return fmt.Errorf("%w: %d bytes modified %s before, %d bytes modified %s after; nothing was placed",
		ErrSourceChanged, before.Size(), before.ModTime().Format(layout), now.Size(), now.ModTime().Format(layout))
}

// checkingReader passes r through, feeding the extra checksums (AlsoChecksum). At the end of
// the data it checks, in this order, that the source did not change while it was read (when
// before is set), the size (only with reportSize: the copy fallback's zero size, which
// StoreObject's options cannot express; otherwise the store reports it, size coming first)
// and the extra checksums. A failure there fails the store's read, before the store takes a
// lock or creates anything. On a checksum mismatch it rereads r, if r can seek, to give the
// error every digest of algs, as the store's own mismatch errors have.
type checkingReader struct {
	ctx        context.Context
	r          io.Reader
	n          int64
	before     fs.FileInfo // the source's state before the read; r must have Stat
	size       int64       // expected size, -1 for none
	reportSize bool
	also       []*expectation
	algs       []hashstore.Algorithm
}

func (c *checkingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	for _, e := range c.also {
		e.hash.Write(p[:n])
	}
	if err != io.EOF {
		return n, err
	}
	if st, ok := c.r.(interface{ Stat() (fs.FileInfo, error) }); ok && c.before != nil {
		now, err := st.Stat()
		if err != nil {
			return n, err
		}
		if err := sourceChanged(c.before, now); err != nil {
			return n, err
		}
	}
	if c.size >= 0 && c.n != c.size {
		if c.reportSize {
			return n, &hashstore.SizeMismatchError{Expected: c.size, Actual: c.n}
		}
		return n, io.EOF
	}
	for _, e := range c.also {
		if d := e.digest(); d != e.checksum {
			return n, &hashstore.ChecksumMismatchError{Algorithm: e.alg, Expected: e.checksum, Actual: d, HexDigests: c.digests()}
		}
	}
	return n, io.EOF
}

// digests returns every digest of algs if r can be read again, and at least the extra
// checksums' digests (the error path only).
func (c *checkingReader) digests() map[string]string {
	_, out, err := rehash(c.ctx, c.r, c.algs)
	if err != nil {
		out = map[string]string{}
	}
	for _, e := range c.also {
		out[string(e.alg)] = e.digest()
	}
	return out
}

// release ends the sink: Discard, then close the file.
func (k *linkSink) release() {
	k.Discard()
	if k.file != nil {
		k.file.Close()
	}
}
