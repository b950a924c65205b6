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
	"slices"
	"strings"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/keylock"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/multihash"
)

// sink is where ingest puts new content. StoreObject's sink is a temp file renamed into
// place; StoreFile's links the file itself into place (link.go).
type sink interface {
	// writer returns where the bytes go while they are being hashed, or nil if they go nowhere.
	writer() io.Writer
	// place is called once the content has been verified, with the cid lock held and the
	// object's directory created. existing is the file already at objectPath, or nil. With
	// nil, place must make objectPath hold exactly the content (durably if the store syncs)
	// and return created=true; with replace set a file stands there that is not the object
	// (WithRecovery) and must be replaced atomically. With a file there (of the right size,
	// already checked), place decides whether it may be kept; created=false.
	place(objectPath string, existing fs.FileInfo, replace bool) (created bool, err error)
	// discard releases whatever the sink holds. ingest calls it exactly once, last.
	discard()
}

// StoreObject implements Store. It reads r exactly once, into a temp file and every digest at
// the same time, holding no lock while it reads. Then, under the pid and cid locks, it places
// the object (unless one with that cid exists: objects are never overwritten) and tags it.
//
// A pid that is already tagged fails with ErrAlreadyTagged (same content) or
// ErrPIDTaggedElsewhere (other content). In both cases the returned ObjectMetadata describes
// the content that was read (so a re-run can treat ErrAlreadyTagged as done) and the store is
// left exactly as it was: unlike the reference implementations we do not leave the new content
// behind as an untagged object.
func (s *FileHashStore) StoreObject(ctx context.Context, r io.Reader, opts ...StoreOption) (ObjectMetadata, error) {
	p, err := s.plan(opts)
	if err == nil && r == nil {
		err = invalid("data reader is nil")
	}
	if err != nil {
		return ObjectMetadata{}, opErr("store object", p.PID, err)
	}
	meta, err := s.storeCopy(ctx, r, p)
	return meta, opErr("store object", p.PID, err)
}

// storeCopy stores what r holds through a temp file in objects/tmp.
func (s *FileHashStore) storeCopy(ctx context.Context, r io.Reader, p plan) (ObjectMetadata, error) {
	if err := s.writable(); err != nil {
		return ObjectMetadata{}, err
	}
	tmp, err := s.files.CreateTemp(s.tmpDir(layout.ObjectsDir))
	if err != nil {
		return ObjectMetadata{}, err
	}
	return s.ingest(ctx, r, &tempSink{tmp}, p)
}

// tempSink writes the content to a temp file in objects/tmp and renames it into place.
type tempSink struct{ t *atomicfile.Temp }

func (t *tempSink) writer() io.Writer { return t.t }

func (t *tempSink) place(objectPath string, existing fs.FileInfo, _ bool) (bool, error) {
	if existing != nil {
		return false, nil // same cid: the store already holds these bytes
	}
	// place made and checked the directory; a rename replaces a file to be replaced.
	return true, t.t.CommitPrepared(objectPath)
}

func (t *tempSink) discard() { t.t.Discard() }

// plan is a validated store request, with what this store computes for it.
type plan struct {
	StoreRequest
	// algorithms lists every digest to compute: the defaults, then the store algorithm, the
	// additional algorithms and the checksums' algorithms when they are not already present.
	algorithms []Algorithm
}

// plan validates StoreObject (or StoreFile) options against this store. Nothing is touched
// on disk. On error the plan still carries the pid, if one was given, for the message.
func (s *FileHashStore) plan(opts []StoreOption) (plan, error) {
	req, err := NewStoreRequest(opts...)
	if err != nil {
		return plan{StoreRequest: req}, err
	}
	p := plan{StoreRequest: req, algorithms: DefaultAlgorithms()}
	add := func(a Algorithm) {
		if !slices.Contains(p.algorithms, a) {
			p.algorithms = append(p.algorithms, a)
		}
	}
	add(s.alg)
	for _, a := range req.AdditionalAlgorithms {
		add(a)
	}
	for _, c := range req.Checksums {
		add(c.Algorithm)
	}
	return p, nil
}

// ingest adds content read from r to the store through sk, following p: the engine behind
// StoreObject and StoreFile, which share its hashing, verification, locking, placement and
// tagging.
func (s *FileHashStore) ingest(ctx context.Context, r io.Reader, sk sink, p plan) (ObjectMetadata, error) {
	defer sk.discard()
	if err := s.writable(); err != nil {
		return ObjectMetadata{}, err
	}
	if p.PID != "" {
		if _, busy := s.inflight.LoadOrStore(p.PID, struct{}{}); busy {
			return ObjectMetadata{}, ErrInProgress
		}
		defer s.inflight.Delete(p.PID)
	}
	meta, err := s.digest(ctx, r, sk.writer(), p)
	if err != nil {
		return ObjectMetadata{}, err
	}
	if err := p.verify(meta); err != nil {
		return ObjectMetadata{}, err
	}
	return meta, s.place(ctx, sk, meta, p.Recover)
}

// digest reads r once, feeding w (if any) and every algorithm of the plan.
func (s *FileHashStore) digest(ctx context.Context, r io.Reader, w io.Writer, p plan) (ObjectMetadata, error) {
	n, digests, err := hashAll(ctx, r, w, p.algorithms, p.ExpectedSize)
	if errors.Is(err, multihash.ErrLimitExceeded) {
		return ObjectMetadata{}, &SizeMismatchError{Expected: p.ExpectedSize, Actual: n, AtLeast: true}
	}
	if err != nil {
		return ObjectMetadata{}, fmt.Errorf("reading the data: %w", err)
	}
	return ObjectMetadata{PID: p.PID, CID: digests[s.alg], Size: n, HexDigests: digests}, nil
}

// hashAll reads r once through every algorithm (and into w, if not nil), refusing more than
// limit bytes when limit >= 0. It returns the bytes read and the hex digests.
func hashAll(ctx context.Context, r io.Reader, w io.Writer, algs []Algorithm, limit int64) (int64, map[Algorithm]string, error) {
	hashes := make([]hash.Hash, len(algs))
	for i, a := range algs {
		hashes[i] = a.New()
	}
	n, err := multihash.Copy(ctx, r, hashes, multihash.Options{Tee: w, Limited: limit >= 0, Limit: limit})
	if err != nil {
		return n, nil, err
	}
	digests := make(map[Algorithm]string, len(algs))
	for i, a := range algs {
		digests[a] = hex.EncodeToString(hashes[i].Sum(nil))
	}
	return n, digests, nil
}

// verify checks the computed metadata against the plan's expectations: size first, then each
// checksum in the order given.
func (p plan) verify(meta ObjectMetadata) error {
	if p.ExpectedSize >= 0 && meta.Size != p.ExpectedSize {
		return &SizeMismatchError{Expected: p.ExpectedSize, Actual: meta.Size}
	}
	for _, c := range p.Checksums {
		if got := meta.HexDigests[c.Algorithm]; got != c.Value {
			return &ChecksumMismatchError{Algorithm: c.Algorithm, Expected: c.Value, Actual: got, HexDigests: meta.HexDigests}
		}
	}
	return nil
}

// place puts verified content in the store and tags it, under the pid and cid locks. The cid
// lock is held from the existence check to the end of tagging, so a concurrent delete of
// another pid with the same content cannot remove the object between placing and tagging.
func (s *FileHashStore) place(ctx context.Context, sk sink, meta ObjectMetadata, recovering bool) error {
	pid, cid := meta.PID, meta.CID
	replacing := false
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
	// tagged is ErrAlreadyTagged when recovering finds pid already tagged to cid: a complete
	// tag says nothing about the object's content after a power cut, so the object is checked
	// (and replaced if need be) all the same.
	var tagged error
	if pid != "" {
		if err := s.checkUntagged(pid, cid, recovering); err != nil {
			if !recovering || !errors.Is(err, ErrAlreadyTagged) {
				return err
			}
			tagged = err
		}
	}
	objectPath := s.objectPath(cid)
	existing, err := s.statEntry(objectPath)
	var dirs []string
	switch {
	case err == nil && recovering:
		// Possibly left empty or half written by a power cut: keep it only if it is right.
		if existing.Size() == meta.Size {
			if sum, herr := s.hashFile(ctx, objectPath, s.alg); herr == nil && sum == cid {
				break
			}
		}
		s.log.Warn("hashstore: replacing an object whose content is not its cid (left by an interrupted write)", "cid", cid)
		existing = nil
		replacing = true
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
	if tagged != nil && existing != nil {
		return tagged // the object is right and the tag complete: nothing to redo
	}
	if pid != "" && tagged == nil {
		dirs = append(dirs, s.refsDirs(pid, cid)...)
	}
	// The object's directory and both refs directories, made before anything is placed, so
	// that the commits below need no MkdirAll of their own. Shard directories are never
	// removed (by any implementation), so making them before knowing the store succeeds
	// changes nothing a reader sees.
	if err := s.files.MkdirAllEach(dirs...); err != nil {
		return err
	}
	created, err := sk.place(objectPath, existing, replacing)
	if err == nil && pid != "" && tagged == nil {
		err = s.writeTag(pid, cid, recovering)
	}
	if err != nil && created && !replacing {
		// The object is ours (it did not exist under the cid lock) and nothing references it:
		// take it back so a failed store leaves the store as it was. This includes a place
		// that renamed the file but then failed to make the rename durable.
		if rmErr := s.fs.Remove(objectPath); rmErr != nil && !notExist(rmErr) {
			s.log.Warn("hashstore: could not remove object after a failed store", "cid", cid, "err", rmErr)
		}
	}
	if err == nil {
		err = tagged
	}
	return err
}

// syncDir makes the entries of dir durable when the store syncs (WithSync), records dir for
// the next Sync with WithGroupCommit, and does nothing otherwise. Sinks that create object
// files themselves call it on the object's directory.
func (s *FileHashStore) syncDir(dir string) error {
	switch {
	case s.files.Sync:
		return s.files.SyncDir(dir)
	case s.files.Group != nil:
		s.files.Group.AddDir(dir)
	}
	return nil
}

// Sync makes everything the store wrote since the previous Sync durable, when it was opened
// WithGroupCommit: with syncfs(2) on each filesystem the store spans (Linux), else by fsyncing
// each file and directory written. Without WithGroupCommit every call was durable when it
// returned (or, WithSync(false), was not meant to be) and Sync does nothing. A failed Sync is
// tried again by the next one; until one succeeds nothing written since the last success may
// be taken for durable.
func (s *FileHashStore) Sync(ctx context.Context) error {
	if s.files.Group == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return opErr("sync", s.root, err)
	}
	return opErr("sync", s.root, s.files.Group.Flush())
}

// DeleteIfInvalidObject implements Store. meta is what StoreObject returned for an untagged
// object. Size is checked first, then the checksum: from meta.HexDigests if it holds the
// algorithm, otherwise recomputed from the stored object. Comparisons ignore case. On a
// mismatch the object is deleted unless a cid refs file exists for it (some pid uses it), and
// the mismatch error is returned either way. An unsupported algorithm changes nothing.
func (s *FileHashStore) DeleteIfInvalidObject(ctx context.Context, meta ObjectMetadata, checksum string, algorithm Algorithm, size int64) error {
	err := s.deleteIfInvalid(ctx, meta, checksum, algorithm, size)
	return opErr("delete invalid object", meta.CID, err)
}

func (s *FileHashStore) deleteIfInvalid(ctx context.Context, meta ObjectMetadata, checksum string, algorithm Algorithm, size int64) error {
	if err := s.checkCID(meta.CID); err != nil {
		return err
	}
	if meta.HexDigests == nil {
		return invalid("object metadata has no digest map")
	}
	if len(meta.HexDigests) == 0 {
		return invalid("object metadata has an empty digest map")
	}
	req, err := NewStoreRequest(WithChecksum(checksum, algorithm), WithExpectedSize(size))
	if err != nil {
		return err
	}
	want := req.Checksums[0]
	if err := s.writable(); err != nil {
		return err
	}
	var mismatch error
	if meta.Size != size {
		mismatch = &SizeMismatchError{Expected: size, Actual: meta.Size}
	} else {
		got, err := s.digestFromMeta(ctx, meta, want.Algorithm)
		if err != nil {
			return err
		}
		if got != want.Value {
			mismatch = &ChecksumMismatchError{Algorithm: want.Algorithm, Expected: want.Value, Actual: got, HexDigests: meta.HexDigests}
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
	// (TestFaultMatrix pins this).
	if referenced, err := s.entryExists(s.cidRefsPath(meta.CID)); err != nil {
		return errors.Join(mismatch, err)
	} else if referenced {
		return mismatch // referenced by some pid: keep it
	}
	objectPath := s.objectPath(meta.CID)
	if err := s.files.CheckDir(filepath.Dir(objectPath)); err != nil {
		return errors.Join(mismatch, err)
	}
	if err := s.fs.Remove(objectPath); err != nil && !notExist(err) {
		return errors.Join(mismatch, err)
	}
	return mismatch
}

// digestFromMeta returns meta's digest for alg (its keys may be spelled any way ParseAlgorithm
// accepts), in lower case, or hashes the stored object if meta lacks it.
func (s *FileHashStore) digestFromMeta(ctx context.Context, meta ObjectMetadata, alg Algorithm) (string, error) {
	for k, v := range meta.HexDigests {
		if a, err := k.canonical(); err == nil && a == alg {
			return strings.ToLower(v), nil
		}
	}
	return s.hashFile(ctx, s.objectPath(meta.CID), alg)
}

// hashFile streams a file through one digest.
func (s *FileHashStore) hashFile(ctx context.Context, path string, alg Algorithm) (string, error) {
	f, err := s.openEntry(path)
	if err != nil {
		if notExist(err) {
			return "", fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return "", err
	}
	defer f.Close()
	_, digests, err := hashAll(ctx, f, nil, []Algorithm{alg}, -1)
	return digests[alg], err
}

// RetrieveObject implements Store. The pid must be fully tagged (FindObject succeeds): a pid
// whose references are broken is not served. The reader supports Seek (ranges,
// http.ServeContent). Without WithVerify it is the object's file itself, so that servers can
// hand it to the kernel (sendfile); with WithVerify it checks the content against the cid as it
// is read (see CorruptObjectError).
func (s *FileHashStore) RetrieveObject(ctx context.Context, pid string, opts ...RetrieveOption) (io.ReadSeekCloser, error) {
	req := NewRetrieveRequest(opts...)
	info, err := s.find(pid)
	if err != nil {
		return nil, opErr("retrieve object", pid, err)
	}
	r, err := s.openObject(info.CID, req.Verify)
	return r, opErr("retrieve object", pid, err)
}

// GetHexDigest implements Store. For the store algorithm it returns the cid without reading the
// object (as the Java implementation does) unless WithReread is given; any other algorithm
// streams the object through that digest in bounded memory.
func (s *FileHashStore) GetHexDigest(ctx context.Context, pid string, algorithm Algorithm, opts ...DigestOption) (string, error) {
	req := NewDigestRequest(opts...)
	if err := CheckIdentifier("pid", pid); err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	alg, err := algorithm.canonical()
	if err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	info, err := s.find(pid)
	if err != nil {
		return "", opErr("get hex digest", pid, err)
	}
	if alg == s.alg && !req.Reread {
		return info.CID, nil
	}
	d, err := s.hashFile(ctx, info.ObjectPath, alg)
	return d, opErr("get hex digest", pid, err)
}

// StatObject describes the object named cid as StoreObject returned it when it was stored
// without a pid, as far as that is known without reading it: its size and its digest in the
// store algorithm (the cid itself). referenced reports whether some pid references it (its cid
// refs file exists). It lets another process validate an untagged object with
// DeleteIfInvalidObject, which needs that metadata. A missing object is ErrNotFound.
func (s *FileHashStore) StatObject(ctx context.Context, cid string) (meta ObjectMetadata, referenced bool, err error) {
	defer func() { err = opErr("stat object", cid, err) }()
	if err := s.checkCID(cid); err != nil {
		return ObjectMetadata{}, false, err
	}
	fi, err := s.statEntry(s.objectPath(cid))
	if notExist(err) {
		return ObjectMetadata{}, false, fmt.Errorf("%w: no object %s in the store", ErrNotFound, cid)
	}
	if err != nil {
		return ObjectMetadata{}, false, err
	}
	referenced, err = s.entryExists(s.cidRefsPath(cid))
	if err != nil {
		return ObjectMetadata{}, false, err
	}
	return ObjectMetadata{CID: cid, Size: fi.Size(), HexDigests: map[Algorithm]string{s.alg: cid}}, referenced, nil
}
