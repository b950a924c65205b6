package hashstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/linker"
	"github.com/hashstore-go/hashstore/internal/realpath"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// Placement says how StoreFile put the object in the store.
type Placement int

const (
	// NotPlaced: nothing was placed (the call failed, or the pid was already tagged).
	NotPlaced Placement = iota
	// Linked: the file was hard-linked into place; the object is the file.
	Linked
	// AlreadyLinked: the object already was the file (a re-run after an interruption, or the
	// same file stored again under another pid); nothing was placed.
	AlreadyLinked
	// Deduplicated: the store already held this content in another file, which was kept; the
	// file was only read.
	Deduplicated
	// Copied: the file's bytes were read and stored as StoreObject stores them (CopyFile, or
	// LinkOrCopyFile for a file on another filesystem).
	Copied
)

var placementNames = [...]string{"none", "linked", "already_linked", "deduplicated", "copied"}

// String returns "none", "linked", "already_linked", "deduplicated" or "copied".
func (p Placement) String() string {
	if p >= 0 && int(p) < len(placementNames) {
		return placementNames[p]
	}
	return fmt.Sprintf("Placement(%d)", int(p))
}

// MarshalText returns String(), so Placement reads well in JSON.
func (p Placement) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// StoreFile stores the regular file at path and tags it if WithPID is given, verifying it
// against every expectation, like StoreObject. With WithLink(LinkFile) the file itself
// becomes the object, by hard link, so that no data byte is written and no disk space is used
// twice (the Java storeHardLink, docs/FORMAT.md 7.12): this is how a repository is converted.
// By default (CopyFile) its bytes are copied in, with the same checks.
//
// path names an OS file when the store is on the OS filesystem (afero.OsFs, or a BasePathFs
// over it), relative paths from the working directory; for a store on another afero.Fs
// (afero's memory filesystem in tests) it is a path on that filesystem, and linking is
// emulated by a copy that remembers the two are one file.
//
// The steps:
//
//  1. Validate the options, then look at the file: a missing file is an error matching
//     ErrNotFound and fs.ErrNotExist; a directory, FIFO, device or socket is
//     ErrInvalidArgument, refused before it is opened (and the open itself cannot block on a
//     special file swapped in meanwhile). Symbolic links are followed: the file they name is
//     hashed and linked, never the link itself (Java would link the symbolic link).
//  2. When linking, if the file and the store are on different filesystems, stop with a
//     *CrossDeviceError (or, with LinkOrCopyFile, copy instead) before anything is read. Two
//     mounts of one filesystem cannot be told apart in advance; link(2) refuses them at step 4
//     with the same outcome.
//  3. Open the file read-only and read it once, computing all digests; verify the size and
//     every checksum. A file whose size or modification time changes during the read is
//     refused with ErrSourceChanged.
//  4. Under the cid lock: if objects/shard(cid) does not exist, link the file there (fsyncing
//     its data first and the directory after when the store syncs) and check that the new
//     link is the file that was read (ErrSourceChanged if the path was swapped meanwhile); if
//     the object exists and is the file (a re-run), nothing to do; if it exists as another
//     file of the right size, keep it: the store already holds this content.
//  5. Tag the pid.
//
// Nothing is created in the store before step 4, and no temp file when linking. The file's
// content, mode, owner and modification time are never changed; its link count rises by one
// while the store references it. After linking, the object and the file are one: the file must
// not be modified in place later (Metacat never does). DeleteObject removes only the store's
// name.
//
// Errors are *OpError (operation "link object", or "store file" when copying, and the pid)
// naming the file, and match the store's sentinels: besides StoreObject's, ErrCrossDevice
// (*CrossDeviceError) and ErrSourceChanged; fs.ErrPermission for an unreadable file or a link
// the system refuses. A size mismatch carries the file's exact size and every digest
// (SizeMismatchError.HexDigests), as a checksum mismatch does. As with StoreObject, a pid
// already tagged to this content returns the complete ObjectMetadata with ErrAlreadyTagged,
// and after any error the store holds what it held before (empty shard directories aside),
// except that an object linked before a failure to sync its directory stays, untagged: running
// the call again completes it (Placement AlreadyLinked).
func (s *FileHashStore) StoreFile(ctx context.Context, path string, opts ...StoreOption) (ObjectMetadata, Placement, error) {
	p, err := s.plan(opts)
	if err == nil && path == "" {
		err = invalid("no source file")
	}
	if err != nil {
		return ObjectMetadata{}, NotPlaced, fileErr(p, path, err)
	}
	meta, placed, err := s.storeFile(ctx, path, p)
	return meta, placed, fileErr(p, path, err)
}

// fileErr wraps an error of StoreFile for the pid, naming the file (a *CrossDeviceError names
// it already).
func fileErr(p plan, path string, err error) error {
	if err == nil {
		return nil
	}
	var ce *CrossDeviceError
	if path != "" && !errors.As(err, &ce) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	op := "link object"
	if p.Link == CopyFile {
		op = "store file"
	}
	return &OpError{Op: op, ID: p.PID, Err: err}
}

func (s *FileHashStore) storeFile(ctx context.Context, path string, p plan) (ObjectMetadata, Placement, error) {
	if err := s.writable(); err != nil {
		return ObjectMetadata{}, NotPlaced, err
	}
	fi, err := s.linker.Stat(path)
	if err != nil {
		return ObjectMetadata{}, NotPlaced, sourceError(err)
	}
	if !fi.Mode().IsRegular() {
		return ObjectMetadata{}, NotPlaced, invalid("the source is %s, not a regular file", safeopen.Describe(fi.Mode()))
	}
	if err := ctx.Err(); err != nil {
		return ObjectMetadata{}, NotPlaced, err
	}
	link := p.Link != CopyFile
	if lc, ok := s.linker.(linker.LinkChecker); ok && link {
		if err := lc.CheckLink(path, s.path(layout.ObjectsDir)); err != nil {
			err = s.linkError(err, path)
			if !errors.Is(err, ErrCrossDevice) || p.Link != LinkOrCopyFile {
				return ObjectMetadata{}, NotPlaced, err
			}
			link = false
		}
	}
	f, err := s.linker.Open(path)
	if err != nil {
		return ObjectMetadata{}, NotPlaced, sourceError(err)
	}
	defer f.Close()
	src, err := newSourceReader(f)
	if err != nil {
		return ObjectMetadata{}, NotPlaced, err
	}
	if !link {
		return s.copyFile(ctx, src, p)
	}
	sk := &linkSink{s: s, source: path, src: src}
	meta, err := s.ingest(ctx, src, sk, p)
	if errors.Is(err, ErrCrossDevice) && p.Link == LinkOrCopyFile {
		// Found only at the link (two mounts of one filesystem): copy from the open file.
		if err := src.rewind(); err != nil {
			return ObjectMetadata{}, NotPlaced, err
		}
		return s.copyFile(ctx, src, p)
	}
	if err != nil {
		return meta, NotPlaced, src.withDigests(ctx, err, p.algorithms)
	}
	return meta, sk.placement, nil
}

// copyFile stores the file's bytes through a temp file, as StoreObject does.
func (s *FileHashStore) copyFile(ctx context.Context, src *sourceReader, p plan) (ObjectMetadata, Placement, error) {
	meta, err := s.storeCopy(ctx, src, p)
	if err != nil {
		return meta, NotPlaced, src.withDigests(ctx, err, p.algorithms)
	}
	return meta, Copied, nil
}

// sourceReader reads the file StoreFile stores and, at its end, checks that the file did not
// change while it was read, so that a failure fails the store's read before the store takes a
// lock or creates anything.
type sourceReader struct {
	f      fs.File
	before fs.FileInfo // the file's state before the read
}

func newSourceReader(f fs.File) (*sourceReader, error) {
	before, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &sourceReader{f: f, before: before}, nil
}

func (r *sourceReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err == io.EOF {
		if cerr := r.unchanged(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// unchanged compares the file's state now with its state before the read.
func (r *sourceReader) unchanged() error {
	now, err := r.f.Stat()
	if err != nil {
		return err
	}
	if now.Size() == r.before.Size() && now.ModTime().Equal(r.before.ModTime()) {
		return nil
	}
	return fmt.Errorf("%w: %d bytes modified %s before, %d bytes modified %s after; nothing was placed",
		ErrSourceChanged, r.before.Size(), r.before.ModTime().Format(time.RFC3339Nano), now.Size(), now.ModTime().Format(time.RFC3339Nano))
}

// rewind starts the file again from its beginning.
func (r *sourceReader) rewind() error {
	rs, ok := r.f.(io.Seeker)
	if !ok {
		return fmt.Errorf("cannot read the source again: %w", errors.ErrUnsupported)
	}
	_, err := rs.Seek(0, io.SeekStart)
	return err
}

// withDigests completes a size mismatch with what the file holds (its exact size and every
// digest of algs), by reading it again: the error path only. Other errors, and a failure to
// read again, are returned as they are.
func (r *sourceReader) withDigests(ctx context.Context, err error, algs []Algorithm) error {
	var sme *SizeMismatchError
	if !errors.As(err, &sme) || r.rewind() != nil {
		return err
	}
	n, digests, herr := hashAll(ctx, r.f, nil, algs, -1)
	if herr != nil {
		return err
	}
	sme.Actual, sme.AtLeast, sme.HexDigests = n, false, digests
	return err
}

// linkSink is StoreFile's sink when linking: nothing is written while the store reads the
// file, and place links the file into place, or keeps an existing object.
type linkSink struct {
	s         *FileHashStore
	source    string // the file, as given
	src       *sourceReader
	placement Placement
}

func (k *linkSink) writer() io.Writer { return nil }

func (k *linkSink) discard() {}

// place links the file. The store has verified the size and checksums, holds the cid lock and
// has created the object's directory; existing is the object already there.
func (k *linkSink) place(objectPath string, existing fs.FileInfo, replace bool) (bool, error) {
	if err := k.src.unchanged(); err != nil {
		return false, err // changed since the end of the read
	}
	now := k.src.before
	if existing != nil {
		k.keep(now, existing) // of the right size: checked by the store
		return false, nil
	}
	if f, ok := k.src.f.(interface{ Sync() error }); ok && k.s.files.Sync {
		if err := f.Sync(); err != nil {
			return false, err
		}
	}
	if replace {
		return k.replace(objectPath)
	}
	if err := k.s.linker.Link(k.source, objectPath); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Written meanwhile by a writer that does not take our locks (the Java or Python
			// implementation): content-addressed, so the same content if the size agrees.
			if fi, serr := safeopen.Lstat(k.s.fs, objectPath); serr == nil && fi.Mode().IsRegular() && fi.Size() == now.Size() {
				k.keep(now, fi)
				return false, nil
			}
		}
		return false, k.s.linkError(err, k.source)
	}
	// The path is linked, not the open file: make sure it still names what was read.
	linked, err := safeopen.Lstat(k.s.fs, objectPath)
	if err != nil || !k.s.linker.SameFile(now, linked) {
		k.s.fs.Remove(objectPath) // ours: nothing can have used it under the cid lock
		if err != nil {
			return false, err
		}
		return false, fmt.Errorf("%w: the source path was replaced by another file during the read; nothing was placed", ErrSourceChanged)
	}
	k.placement = Linked
	return true, k.s.syncDir(filepath.Dir(objectPath))
}

// replace puts the file in place of what stands at objectPath (not the object: see
// WithRecovery), atomically: a link under a temp name, renamed over it.
func (k *linkSink) replace(objectPath string) (bool, error) {
	tmp := filepath.Join(k.s.tmpDir(layout.ObjectsDir), "link-"+filepath.Base(objectPath))
	k.s.fs.Remove(tmp) // a leftover of an earlier attempt, under the same cid lock
	if err := k.s.linker.Link(k.source, tmp); err != nil {
		return false, k.s.linkError(err, k.source)
	}
	if err := k.s.fs.Rename(tmp, objectPath); err != nil {
		k.s.fs.Remove(tmp)
		return false, err
	}
	k.placement = Linked
	return true, k.s.syncDir(filepath.Dir(objectPath))
}

// keep accepts the object already in the store, recording whether it is the file itself.
func (k *linkSink) keep(source, existing fs.FileInfo) {
	k.placement = Deduplicated
	if k.s.linker.SameFile(source, existing) {
		k.placement = AlreadyLinked
	}
}

// linkError classifies an error of the linker's Link or CheckLink for the file: EXDEV becomes
// a *CrossDeviceError naming the file and the store; EPERM gets the likely reason (Linux's
// fs.protected_hardlinks), EACCES a hint; a file gone since it was read is ErrNotFound.
func (s *FileHashStore) linkError(err error, source string) error {
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := s.linker.Stat(source); errors.Is(serr, fs.ErrNotExist) {
			return errMissingSource{} // it vanished since it was looked at
		}
	}
	switch {
	case errors.Is(err, syscall.EXDEV):
		return &CrossDeviceError{Source: source, Store: s.osRoot(), Err: err}
	case errors.Is(err, syscall.EPERM):
		return fmt.Errorf("cannot hard-link the source: %w (on Linux, with fs.protected_hardlinks=1, the converting user must own the source file or be allowed to read and write it)", linker.Cause(err))
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot hard-link the source: %w (a directory on the way to the source or to the object cannot be searched or written)", linker.Cause(err))
	}
	return err
}

// osRoot is the store's root as an OS path when it has one, for messages.
func (s *FileHashStore) osRoot() string {
	if p, ok := realpath.Of(s.fs, s.root); ok {
		return p
	}
	return s.root
}

// sourceError turns an error from looking at or opening the file into one whose message does
// not repeat the path (StoreFile's error names it once) and whose class the CLI can report.
func sourceError(err error) error {
	var nr *safeopen.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errMissingSource{}
	case errors.As(err, &nr):
		return invalid("the source is %s, not a regular file", nr.Found)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read the source file: %w", linker.Cause(err))
	}
	return err
}

// errMissingSource is the error for a source path that names nothing.
type errMissingSource struct{}

func (errMissingSource) Error() string { return "no such source file" }

// Is matches ErrNotFound and fs.ErrNotExist.
func (errMissingSource) Is(target error) bool {
	return target == ErrNotFound || target == fs.ErrNotExist
}
