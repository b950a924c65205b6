package hashstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/spf13/afero"
)

// verifyingReader reads one stored object for RetrieveObject with WithVerify. It is an
// io.ReadSeekCloser (and io.ReaderAt), so it serves ranges and works with http.ServeContent.
// It is not safe for concurrent use.
//
// It hashes the bytes it serves with the store algorithm. When a Read reaches end of file it
// first hashes any part of the object that was skipped by seeking, then compares the digest
// with the cid: on a mismatch that Read returns a *CorruptObjectError instead of io.EOF (and so
// does every later Read at end of file). A reader closed before end of file verifies nothing.
type verifyingReader struct {
	f    afero.File
	cid  string
	size int64
	v    verifier
}

// verifier tracks how much of the object, from offset 0, has been hashed.
type verifier struct {
	h      hash.Hash
	pos    int64 // next offset Read will return
	hashed int64 // bytes [0, hashed) have been fed to h
	result error // set once verification has happened
}

// openObject opens the object named cid: the file itself, or a verifyingReader over it.
func (s *FileHashStore) openObject(cid string, verify bool) (io.ReadSeekCloser, error) {
	f, err := s.openEntry(s.objectPath(cid))
	if notExist(err) {
		return nil, &OrphanRefsError{CID: cid, Reason: ErrObjectMissing}
	}
	if err != nil {
		return nil, err
	}
	if !verify {
		return f, nil
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &verifyingReader{f: f, cid: cid, size: fi.Size(), v: verifier{h: s.alg.New()}}, nil
}

// Read implements io.Reader.
func (r *verifyingReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	v := &r.v
	if v.pos <= v.hashed && v.pos+int64(n) > v.hashed {
		v.h.Write(p[v.hashed-v.pos : n])
		v.hashed = v.pos + int64(n)
	}
	v.pos += int64(n)
	if errors.Is(err, io.EOF) {
		return n, r.verifyAtEOF()
	}
	return n, err
}

// verifyAtEOF hashes whatever was skipped, then compares with the cid. It returns io.EOF when
// the content matches.
func (r *verifyingReader) verifyAtEOF() error {
	v := &r.v
	if v.result != nil {
		return v.result
	}
	// Hash the gap [hashed, end) that seeks skipped, through a section reader so the caller's
	// offset is untouched. Stop at the real end of file, which may differ from r.size if the
	// file changed since it was opened.
	n, err := io.Copy(v.h, io.NewSectionReader(r.f, v.hashed, 1<<62))
	if err != nil {
		return err
	}
	v.hashed += n
	sum := hex.EncodeToString(v.h.Sum(nil))
	if sum == r.cid {
		v.result = io.EOF
	} else {
		v.result = &CorruptObjectError{CID: r.cid, Actual: sum, Size: v.hashed}
	}
	return v.result
}

// Seek implements io.Seeker.
func (r *verifyingReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := r.f.Seek(offset, whence)
	if err == nil {
		r.v.pos = pos
	}
	return pos, err
}

// ReadAt implements io.ReaderAt. It does not take part in verification.
func (r *verifyingReader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }

// Close closes the object file.
func (r *verifyingReader) Close() error { return r.f.Close() }

// String describes the reader for logs.
func (r *verifyingReader) String() string { return fmt.Sprintf("object %s (%d bytes)", r.cid, r.size) }
