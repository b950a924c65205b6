package hashstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/multihash"
)

// Sink is where Ingest puts new content. StoreObject's sink is a temp file renamed into place;
// the hard-link converter's sink links an existing file instead.
type Sink interface {
	// Writer returns where the bytes go while they are being hashed, or nil if they go nowhere.
	Writer() io.Writer
	// Place is called once the content has been verified, with the cid lock held and the
	// object's directory created. existing is the file already at objectPath, or nil. With
	// nil, Place must make objectPath hold exactly the content (durably if the store syncs:
	// see FileHashStore.SyncDir) and return created=true. With a file there (of the right
	// size, already checked), Place decides whether it may be kept; created=false.
	Place(objectPath string, existing fs.FileInfo) (created bool, err error)
	// Discard releases whatever the sink holds. Ingest calls it exactly once, last.
	Discard()
}

// StoreObject implements Store. It reads r exactly once, into a temp file and every digest at
// the same time, holding no lock while it reads. Then, under the pid and cid locks, it places
// the object (unless one with that cid exists: objects are never overwritten) and tags it.
//
// A pid that is already tagged fails with ErrAlreadyTagged (same content) or
// ErrPidTaggedElsewhere (other content). In both cases the returned ObjectMetadata describes
// the content that was read (so a re-run can treat ErrAlreadyTagged as done) and the store is
// left exactly as it was: unlike the reference implementations we do not leave the new content
// behind as an untagged object.
func (s *FileHashStore) StoreObject(ctx context.Context, r io.Reader, opts ...StoreOption) (ObjectMetadata, error) {
	plan, err := s.PlanStore(opts...)
	if err != nil {
		return ObjectMetadata{}, opErr("store object", pidOf(opts), err)
	}
	if r == nil {
		return ObjectMetadata{}, opErr("store object", plan.PID, invalid("data reader is nil"))
	}
	if err := s.writable(); err != nil {
		return ObjectMetadata{}, opErr("store object", plan.PID, err)
	}
	tmp, err := s.files.CreateTemp(s.tmpDir(layout.ObjectsDir))
	if err != nil {
		return ObjectMetadata{}, opErr("store object", plan.PID, err)
	}
	return s.Ingest(ctx, r, &tempSink{tmp}, plan)
}

// pidOf recovers the pid from options for error messages when the plan could not be made.
func pidOf(opts []StoreOption) string {
	var r storeRequest
	for _, o := range opts {
		o(&r)
	}
	if r.pid != nil {
		return *r.pid
	}
	return ""
}

// tempSink writes the content to a temp file in objects/tmp and renames it into place.
type tempSink struct{ t *atomicfile.Temp }

func (t *tempSink) Writer() io.Writer { return t.t }

func (t *tempSink) Place(objectPath string, existing fs.FileInfo) (bool, error) {
	if existing != nil {
		return false, nil // same cid: the store already holds these bytes
	}
	return true, t.t.CommitPrepared(objectPath) // place made and checked the directory
}

func (t *tempSink) Discard() { t.t.Discard() }

// Ingest adds content read from r to the store through sink, following plan (see PlanStore).
// It is the engine behind StoreObject, exported so that other ways of placing content (hard
// links) share its hashing, verification, locking, placement and tagging. Errors are wrapped
// in an *OpError for the pid.
func (s *FileHashStore) Ingest(ctx context.Context, r io.Reader, sink Sink, plan IngestPlan) (meta ObjectMetadata, err error) {
	defer sink.Discard()
	defer func() { err = opErr("store object", plan.PID, err) }()
	if r == nil {
		return ObjectMetadata{}, invalid("data reader is nil")
	}
	if err := s.writable(); err != nil {
		return ObjectMetadata{}, err
	}
	if plan.PID != "" {
		if _, busy := s.inflight.LoadOrStore(plan.PID, struct{}{}); busy {
			return ObjectMetadata{}, ErrInProgress
		}
		defer s.inflight.Delete(plan.PID)
	}
	meta, err = s.digest(ctx, r, sink.Writer(), plan)
	if err != nil {
		return ObjectMetadata{}, err
	}
	if err := plan.verify(meta); err != nil {
		return ObjectMetadata{}, err
	}
	return meta, s.place(ctx, sink, meta)
}

// digest reads r once, feeding w (if any) and every algorithm of the plan.
func (s *FileHashStore) digest(ctx context.Context, r io.Reader, w io.Writer, plan IngestPlan) (ObjectMetadata, error) {
	hashes := make([]hash.Hash, len(plan.Algorithms))
	for i, a := range plan.Algorithms {
		hashes[i] = a.New()
	}
	limit := int64(0)
	if plan.ExpectedSize > 0 {
		limit = plan.ExpectedSize
	}
	n, err := multihash.Copy(ctx, r, hashes, multihash.Options{Tee: w, Limit: limit})
	if errors.Is(err, multihash.ErrLimitExceeded) {
		return ObjectMetadata{}, &SizeMismatchError{Expected: plan.ExpectedSize, Actual: n, AtLeast: true}
	}
	if err != nil {
		return ObjectMetadata{}, fmt.Errorf("reading the data: %w", err)
	}
	meta := ObjectMetadata{PID: plan.PID, Size: n, HexDigests: make(map[string]string, len(hashes))}
	for i, a := range plan.Algorithms {
		meta.HexDigests[string(a)] = hex.EncodeToString(hashes[i].Sum(nil))
	}
	meta.CID = meta.HexDigests[string(s.alg)]
	return meta, nil
}

// verify checks the computed metadata against the plan's expectations: size first, then the
// checksum, compared case-insensitively.
func (p IngestPlan) verify(meta ObjectMetadata) error {
	if p.ExpectedSize >= 0 && meta.Size != p.ExpectedSize {
		return &SizeMismatchError{Expected: p.ExpectedSize, Actual: meta.Size}
	}
	if p.Checksum != "" {
		if got := meta.HexDigests[string(p.ChecksumAlgorithm)]; got != p.Checksum {
			return &ChecksumMismatchError{Algorithm: p.ChecksumAlgorithm, Expected: p.Checksum, Actual: got, HexDigests: meta.HexDigests}
		}
	}
	return nil
}

// place puts verified content in the store and tags it, under the pid and cid locks. The cid
// lock is held from the existence check to the end of tagging, so a concurrent delete of
// another pid with the same content cannot remove the object between placing and tagging.
func (s *FileHashStore) place(ctx context.Context, sink Sink, meta ObjectMetadata) error {
	pid, cid := meta.PID, meta.CID
	if pid != "" {
		unlock, err := s.lockPID(ctx, pid)
		if err != nil {
			return err
		}
		defer unlock()
	}
	unlock, err := s.locks.Lock(ctx, keylock.CID, cid)
	if err != nil {
		return err
	}
	defer unlock()
	if pid != "" {
		if err := s.checkUntagged(pid, cid); err != nil {
			return err
		}
	}
	objectPath := s.ObjectPath(cid)
	existing, err := s.fs.Stat(objectPath)
	var dirs []string
	switch {
	case err == nil:
		if existing.Size() != meta.Size {
			return fmt.Errorf("%w: the object already stored as %s has %d bytes, but this content has %d", ErrCorrupt, cid, existing.Size(), meta.Size)
		}
	case notExist(err):
		existing = nil
		dirs = append(dirs, filepath.Dir(objectPath))
	default:
		return err
	}
	if pid != "" {
		dirs = append(dirs, s.refsDirs(pid, cid)...)
	}
	// The object's directory and both refs directories, made before anything is placed, so
	// that the commits below need no MkdirAll of their own. Shard directories are never
	// removed (by any implementation), so making them before knowing the store succeeds
	// changes nothing a reader sees.
	if err := s.files.MkdirAllEach(dirs...); err != nil {
		return err
	}
	created, err := sink.Place(objectPath, existing)
	if err == nil && pid != "" {
		err = s.writeTag(pid, cid)
	}
	if err != nil && created {
		// The object is ours (it did not exist under the cid lock) and nothing references it:
		// take it back so a failed store leaves the store as it was. This includes a Place
		// that renamed the file but then failed to make the rename durable.
		if rmErr := s.fs.Remove(objectPath); rmErr != nil && !notExist(rmErr) {
			s.log.Warn("hashstore: could not remove object after a failed store", "cid", cid, "err", rmErr)
		}
	}
	return err
}

// SyncDir makes the entries of dir durable when the store syncs (WithSync), and does nothing
// otherwise. Sinks that create object files themselves call it on the object's directory.
func (s *FileHashStore) SyncDir(dir string) error {
	if !s.files.Sync {
		return nil
	}
	return s.files.SyncDir(dir)
}

// DeleteIfInvalidObject implements Store. meta is what StoreObject returned for an untagged
// object. Size is checked first, then the checksum: from meta.HexDigests if it holds the
// algorithm, otherwise recomputed from the stored object. Comparisons ignore case. On a
// mismatch the object is deleted unless a cid refs file exists for it (some pid uses it), and
// the mismatch error is returned either way. An unsupported algorithm changes nothing.
func (s *FileHashStore) DeleteIfInvalidObject(ctx context.Context, meta ObjectMetadata, checksum, algorithm string, size int64) error {
	err := s.deleteIfInvalid(ctx, meta, checksum, algorithm, size)
	return opErr("delete invalid object", meta.CID, err)
}

func (s *FileHashStore) deleteIfInvalid(ctx context.Context, meta ObjectMetadata, checksum, algorithm string, size int64) error {
	if err := s.CheckCID(meta.CID); err != nil {
		return err
	}
	if meta.HexDigests == nil {
		return invalid("object metadata has no digest map")
	}
	if len(meta.HexDigests) == 0 {
		return invalid("object metadata has an empty digest map")
	}
	if err := checkID("checksum", checksum); err != nil {
		return err
	}
	alg, err := ParseAlgorithm(algorithm)
	if err != nil {
		return err
	}
	if size < 1 {
		return invalid("expected size must be at least 1, got %d", size)
	}
	if err := s.writable(); err != nil {
		return err
	}
	var mismatch error
	if meta.Size != size {
		mismatch = &SizeMismatchError{Expected: size, Actual: meta.Size}
	} else {
		got, err := s.digestFromMeta(ctx, meta, alg)
		if err != nil {
			return err
		}
		if !strings.EqualFold(got, checksum) {
			mismatch = &ChecksumMismatchError{Algorithm: alg, Expected: strings.ToLower(checksum), Actual: got, HexDigests: meta.HexDigests}
		}
	}
	if mismatch == nil {
		return nil
	}
	unlock, err := s.locks.Lock(ctx, keylock.CID, meta.CID)
	if err != nil {
		return err
	}
	defer unlock()
	// Only a cid refs file known to be absent lets the object go: a failure to look (EIO,
	// say) must not pass for "no pid references it", or a referenced object would be deleted
	// (found by the fault matrix, faultmatrix_test.go).
	if _, err := s.fs.Stat(s.CIDRefsPath(meta.CID)); err == nil {
		return mismatch // referenced by some pid: keep it
	} else if !notExist(err) {
		return errors.Join(mismatch, err)
	}
	objectPath := s.ObjectPath(meta.CID)
	if err := s.files.CheckDir(filepath.Dir(objectPath)); err != nil {
		return errors.Join(mismatch, err)
	}
	if err := s.fs.Remove(objectPath); err != nil && !notExist(err) {
		return errors.Join(mismatch, err)
	}
	return mismatch
}

// digestFromMeta returns meta's digest for alg (its keys may be spelled any way ParseAlgorithm
// accepts), or hashes the stored object if meta lacks it.
func (s *FileHashStore) digestFromMeta(ctx context.Context, meta ObjectMetadata, alg Algorithm) (string, error) {
	for k, v := range meta.HexDigests {
		if a, err := ParseAlgorithm(k); err == nil && a == alg {
			return strings.ToLower(v), nil
		}
	}
	return s.hashFile(ctx, s.ObjectPath(meta.CID), alg)
}

// hashFile streams a file through one digest.
func (s *FileHashStore) hashFile(ctx context.Context, path string, alg Algorithm) (string, error) {
	f, err := s.fs.Open(path)
	if err != nil {
		if notExist(err) {
			return "", fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return "", err
	}
	defer f.Close()
	h := alg.New()
	if _, err := multihash.Copy(ctx, f, []hash.Hash{h}, multihash.Options{}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// RetrieveObject implements Store. The pid must be fully tagged (FindObject succeeds): a pid
// whose references are broken is not served. The reader supports Seek (ranges,
// http.ServeContent); with Verify it also checks the content against the cid at end of file.
func (s *FileHashStore) RetrieveObject(ctx context.Context, pid string, opts ...RetrieveOption) (*ObjectReader, error) {
	var req retrieveRequest
	for _, o := range opts {
		o(&req)
	}
	info, err := s.find(pid)
	if err != nil {
		return nil, opErr("retrieve object", pid, err)
	}
	r, err := s.openObject(info.CID, req.verify)
	return r, opErr("retrieve object", pid, err)
}

// GetHexDigest implements Store. For the store algorithm it returns the cid without reading the
// object (as the Java implementation does) unless Reread is given; any other algorithm streams
// the object through that digest in bounded memory.
func (s *FileHashStore) GetHexDigest(ctx context.Context, pid, algorithm string, opts ...DigestOption) (string, error) {
	var req digestRequest
	for _, o := range opts {
		o(&req)
	}
	if err := checkID("pid", pid); err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	alg, err := ParseAlgorithm(algorithm)
	if err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	info, err := s.find(pid)
	if err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	if alg == s.alg && !req.reread {
		return info.CID, nil
	}
	d, err := s.hashFile(ctx, info.ObjectPath, alg)
	return d, opErr("get hex digest", pid, err)
}
