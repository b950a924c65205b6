package hashstore

import (
	"context"
	"fmt"
	"io"

	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/multihash"
)

// StoreMetadata implements Store. The document is read into a temp file in metadata/tmp with
// no lock held, then renamed over metadata/shard(H(pid))/H(pid+formatID) under the document's
// lock, replacing any earlier version atomically. It returns that path.
func (s *FileHashStore) StoreMetadata(ctx context.Context, pid string, r io.Reader, opts ...MetadataOption) (string, error) {
	p, err := s.storeMetadata(ctx, pid, r, opts)
	return p, opErr("store metadata", pid, err)
}

func (s *FileHashStore) storeMetadata(ctx context.Context, pid string, r io.Reader, opts []MetadataOption) (string, error) {
	if err := CheckIdentifier("pid", pid); err != nil {
		return "", err
	}
	formatID, err := s.formatID(opts...)
	if err != nil {
		return "", err
	}
	if r == nil {
		return "", invalid("metadata reader is nil")
	}
	if err := s.writable(); err != nil {
		return "", err
	}
	tmp, err := s.files.CreateTemp(s.tmpDir(layout.MetadataDir))
	if err != nil {
		return "", err
	}
	defer tmp.Discard()
	if _, err := multihash.Copy(ctx, r, nil, multihash.Options{Tee: tmp}); err != nil {
		return "", fmt.Errorf("reading the document: %w", err)
	}
	path := s.metadataPath(pid, formatID)
	unlock, err := s.lockDoc(ctx, path)
	if err != nil {
		return "", err
	}
	defer unlock()
	return path, tmp.Commit(path)
}

// RetrieveMetadata implements Store. A missing document is ErrNotFound.
func (s *FileHashStore) RetrieveMetadata(ctx context.Context, pid string, opts ...MetadataOption) (io.ReadSeekCloser, error) {
	if err := CheckIdentifier("pid", pid); err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	formatID, err := s.formatID(opts...)
	if err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	f, err := s.openEntry(s.metadataPath(pid, formatID))
	if notExist(err) {
		return nil, opErr("retrieve metadata", pid, fmt.Errorf("%w: no metadata document in format %q", ErrNotFound, formatID))
	}
	if err != nil {
		return nil, opErr("retrieve metadata", pid, err)
	}
	return f, nil
}

// DeleteMetadata implements Store. formatID is required here (use DeleteAllMetadata for every
// document); it must be non-empty without whitespace.
func (s *FileHashStore) DeleteMetadata(ctx context.Context, pid, formatID string) error {
	return opErr("delete metadata", pid, s.deleteMetadata(ctx, pid, formatID))
}

func (s *FileHashStore) deleteMetadata(ctx context.Context, pid, formatID string) error {
	if err := CheckIdentifier("pid", pid); err != nil {
		return err
	}
	if err := CheckIdentifier("format id", formatID); err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return err
	}
	rm := &removal{s: s}
	path := s.metadataPath(pid, formatID)
	unlock, err := s.lockDoc(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := rm.rename(path); err != nil {
		return err
	}
	return rm.finish()
}

// DeleteAllMetadata implements Store. All documents are renamed away (each under its own lock)
// before any is unlinked, so a failure puts them all back.
func (s *FileHashStore) DeleteAllMetadata(ctx context.Context, pid string) error {
	err := s.deleteAllMetadata(ctx, pid)
	return opErr("delete metadata", pid, err)
}

func (s *FileHashStore) deleteAllMetadata(ctx context.Context, pid string) error {
	if err := CheckIdentifier("pid", pid); err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return err
	}
	rm := &removal{s: s}
	if err := s.removeMetadata(ctx, pid, rm); err != nil {
		return rm.abort(err)
	}
	return rm.finish()
}

// formatID resolves the metadata options: the format id given, or the store's namespace.
func (s *FileHashStore) formatID(opts ...MetadataOption) (string, error) {
	req, err := NewMetadataRequest(opts...)
	if err != nil || req.FormatID != "" {
		return req.FormatID, err
	}
	return s.cfg.MetadataNamespace, nil
}
