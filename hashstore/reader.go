package hashstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"

	"github.com/spf13/afero"
)

// ObjectReader reads one stored object. It is an io.ReadSeekCloser (and io.ReaderAt), so it
// serves ranges and works with http.ServeContent. It is not safe for concurrent use.
//
// A verifying reader (RetrieveObject with Verify) hashes the bytes it serves with the store
// algorithm. When a Read reaches end of file it first hashes any part of the object that was
// skipped by seeking, then compares the digest with the cid: on a mismatch that Read returns a
// *CorruptObjectError instead of io.EOF (and so does every later Read at end of file). A reader
// closed before end of file verifies nothing.
type ObjectReader struct {
	f    afero.File
	cid  string
	size int64
	v    *verifier
}

// verifier tracks how much of the object, from offset 0, has been hashed.
type verifier struct {
	h      hash.Hash
	pos    int64 // next offset Read will return
	hashed int64 // bytes [0, hashed) have been fed to h
	result error // set once verification has happened
}

func (s *FileHashStore) openObject(cid string, verify bool) (*ObjectReader, error) {
	f, err := s.fs.Open(s.ObjectPath(cid))
	if notExist(err) {
		return nil, &BrokenRefsError{CID: cid, Reason: ErrObjectMissing}
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &ObjectReader{f: f, cid: cid, size: fi.Size()}
	if verify {
		r.v = &verifier{h: s.alg.New()}
	}
	return r, nil
}

// CID returns the object's content identifier.
func (r *ObjectReader) CID() string { return r.cid }

// Size returns the object's size when it was opened.
func (r *ObjectReader) Size() int64 { return r.size }

// Stat returns the object file's information.
func (r *ObjectReader) Stat() (fs.FileInfo, error) { return r.f.Stat() }

// Read implements io.Reader.
func (r *ObjectReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if r.v == nil {
		return n, err
	}
	v := r.v
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
func (r *ObjectReader) verifyAtEOF() error {
	v := r.v
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
func (r *ObjectReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := r.f.Seek(offset, whence)
	if err == nil && r.v != nil {
		r.v.pos = pos
	}
	return pos, err
}

// ReadAt implements io.ReaderAt. It does not take part in verification.
func (r *ObjectReader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }

// Close closes the object file.
func (r *ObjectReader) Close() error { return r.f.Close() }

// String describes the reader for logs.
func (r *ObjectReader) String() string { return fmt.Sprintf("object %s (%d bytes)", r.cid, r.size) }
