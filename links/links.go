package links

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/layout"
	"github.com/hashstore-go/hashstore/internal/multihash"
	"github.com/hashstore-go/hashstore/internal/realpath"
)

// Store is a FileHashStore that can also place existing files by hard link. It embeds the
// store, so every hashstore.Store method is available on it unchanged. It is safe for
// concurrent use.
type Store struct {
	*hashstore.FileHashStore
	linker      Linker
	crossDevice CrossDevicePolicy
}

// Option sets a choice of a Store.
type Option func(*Store)

// WithLinker makes the Store link through l instead of the OS (NewMemLinker for a store on
// afero's memory filesystem in tests, or a fake to test failures).
func WithLinker(l Linker) Option { return func(s *Store) { s.linker = l } }

// OnCrossDevice chooses what Link does with a source on another filesystem than the store
// (default CrossDeviceFail).
func OnCrossDevice(p CrossDevicePolicy) Option { return func(s *Store) { s.crossDevice = p } }

// CrossDevicePolicy is what Link does when the source cannot be linked because it is on
// another filesystem. Its text forms are "fail" and "copy" (the CLI's --on-cross-device); it
// implements the flag.Value and pflag.Value interfaces.
type CrossDevicePolicy int

const (
	// CrossDeviceFail returns a *CrossDeviceError and changes nothing.
	CrossDeviceFail CrossDevicePolicy = iota
	// CrossDeviceCopy copies the source in through the store's StoreObject instead, with the
	// same expectations, reading it once; no disk space is saved. Placement is Copied.
	CrossDeviceCopy
)

// ParseCrossDevicePolicy parses "fail" or "copy".
func ParseCrossDevicePolicy(s string) (CrossDevicePolicy, error) {
	switch s {
	case "fail":
		return CrossDeviceFail, nil
	case "copy":
		return CrossDeviceCopy, nil
	}
	return 0, fmt.Errorf("%w: cross-device policy %q: want fail or copy", hashstore.ErrInvalidArgument, s)
}

// String returns "fail" or "copy".
func (p CrossDevicePolicy) String() string {
	if p == CrossDeviceCopy {
		return "copy"
	}
	return "fail"
}

// Set parses s into p (flag.Value).
func (p *CrossDevicePolicy) Set(s string) error {
	v, err := ParseCrossDevicePolicy(s)
	if err == nil {
		*p = v
	}
	return err
}

// Type names the flag's value type (pflag.Value).
func (p *CrossDevicePolicy) Type() string { return "fail|copy" }

// New returns s extended with hard-link placement. Without WithLinker it links through the
// OS, which needs the store's filesystem to be the OS's (afero.OsFs, or a BasePathFs over it);
// otherwise New fails with an error matching hashstore.ErrInvalidArgument. New changes nothing
// on disk.
func New(s *hashstore.FileHashStore, opts ...Option) (*Store, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: links.New: nil store", hashstore.ErrInvalidArgument)
	}
	ls := &Store{FileHashStore: s}
	for _, o := range opts {
		o(ls)
	}
	if ls.linker == nil {
		if _, ok := realpath.Of(s.Fs(), s.Root()); !ok {
			return nil, fmt.Errorf("%w: the store at %s is not on the OS filesystem, so files cannot be hard-linked into it (tests: links.WithLinker(links.NewMemLinker(fs)))", hashstore.ErrInvalidArgument, s.Root())
		}
		ls.linker = NewOSLinker(s.Fs())
	}
	return ls, nil
}

// Linker returns the Linker the store uses.
func (s *Store) Linker() Linker { return s.linker }

// Placement says how a Link call put the object in the store.
type Placement int

const (
	// NotPlaced: nothing was placed (the call failed, or the pid was already tagged).
	NotPlaced Placement = iota
	// Linked: the source was hard-linked into place; the object is the source's file.
	Linked
	// AlreadyLinked: the object already was the source's file (a re-run after an
	// interruption, or the same file linked again under another pid); nothing was placed.
	AlreadyLinked
	// Deduplicated: the store already held this content in another file, which was kept; the
	// source was only read.
	Deduplicated
	// Copied: the source was on another filesystem and was copied in through StoreObject
	// (CrossDeviceCopy).
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

// Result is what Link returns: the object's metadata (complete whenever the data was read and
// verified, including with ErrAlreadyTagged) and how it was placed.
type Result struct {
	Object    hashstore.ObjectMetadata `json:"object"`
	Placement Placement                `json:"placement"`
}

// LinkOption supplies an input of Link.
type LinkOption func(*linkRequest)

type linkRequest struct {
	store   []hashstore.StoreOption
	size    *int64
	also    []checksumValue
	pidHint string // for error messages when the options do not validate
}

type checksumValue struct{ value, algorithm string }

// StoreOptions passes the store's own options to Link: hashstore.WithPID (tag the object;
// without it the object is placed untagged, like StoreObject without a pid), WithChecksum,
// WithExpectedSize and WithAdditionalAlgorithm. They are validated by the store's PlanStore
// and mean exactly what they mean for StoreObject.
func StoreOptions(opts ...hashstore.StoreOption) LinkOption {
	return func(r *linkRequest) { r.store = append(r.store, opts...) }
}

// ExpectSize requires the source to hold exactly n bytes. Unlike hashstore.WithExpectedSize it
// accepts 0 (DataONE objects may be empty); n must not be negative, and must agree with a
// WithExpectedSize given too.
func ExpectSize(n int64) LinkOption { return func(r *linkRequest) { r.size = &n } }

// AlsoChecksum requires the data's digest in algorithm to equal checksum (hex, any case), in
// addition to the one given with hashstore.WithChecksum (the converter passes an explicit
// checksum this way, the system metadata's being the first). It may be repeated. Every
// expectation is verified at the end of the read, before the store takes a lock or creates
// anything; a mismatch is a *hashstore.ChecksumMismatchError carrying every digest (the source
// is read a second time to compute them, on this error path only), and the returned metadata
// includes the algorithm's digest.
func AlsoChecksum(checksum, algorithm string) LinkOption {
	return func(r *linkRequest) { r.also = append(r.also, checksumValue{checksum, algorithm}) }
}

// StoreHardLink is the Java storeHardLink: it places the file at path into the store by hard
// link and tags it with pid. opts are the store's WithChecksum, WithExpectedSize and
// WithAdditionalAlgorithm. It returns the object's metadata: pid, cid, size and every digest.
// See Link for the details and the errors.
func (s *Store) StoreHardLink(ctx context.Context, path, pid string, opts ...hashstore.StoreOption) (hashstore.ObjectMetadata, error) {
	all := append(append([]hashstore.StoreOption{}, opts...), hashstore.WithPID(pid))
	res, err := s.Link(ctx, path, StoreOptions(all...), func(r *linkRequest) { r.pidHint = pid })
	return res.Object, err
}

// Link places the regular file at path (a path in the Linker's namespace: an OS path for the
// OS linker) into the store by hard link, verifying it against every expectation given, and
// tags it if a pid is given (see the package documentation for the steps).
//
// Errors are *hashstore.OpError (operation "link object", the pid) naming the source path,
// and match the store's sentinels: hashstore.ErrInvalidArgument (bad options, an empty path, a
// source that is not a regular file), ErrUnsupportedAlgorithm, ErrNotFound (no such source;
// also fs.ErrNotExist), fs.ErrPermission (unreadable source, or a link the system refuses),
// ErrSizeMismatch, ErrChecksumMismatch (*hashstore.ChecksumMismatchError with every digest),
// ErrAlreadyTagged (with complete metadata), ErrPidTaggedElsewhere, ErrInProgress, ErrReadOnly,
// ErrCorrupt (an existing object of another size), ErrCrossDevice (*CrossDeviceError) and
// ErrSourceChanged. After any error the store holds the same files as before (empty shard
// directories may remain, as with StoreObject), except that an object linked before a failure
// to sync its directory stays, untagged, as with StoreObject; running the call again
// completes it.
func (s *Store) Link(ctx context.Context, path string, opts ...LinkOption) (Result, error) {
	var req linkRequest
	for _, o := range opts {
		o(&req)
	}
	plan, also, err := s.plan(&req)
	if err != nil {
		id := plan.PID // known if the store's options validated
		if id == "" {
			id = req.pidHint
		}
		return Result{}, s.wrap(id, path, err)
	}
	res, err := s.link(ctx, path, &req, plan, also)
	return res, s.wrap(plan.PID, path, err)
}

// expectation is an extra checksum (AlsoChecksum) with the hash that computes it.
type expectation struct {
	alg      hashstore.Algorithm
	checksum string // lower case
	hash     hash.Hash
}

func (e *expectation) digest() string { return hex.EncodeToString(e.hash.Sum(nil)) }

// plan validates the request with the store's PlanStore and folds in ExpectSize and
// AlsoChecksum.
func (s *Store) plan(req *linkRequest) (hashstore.IngestPlan, []*expectation, error) {
	plan, err := s.PlanStore(req.store...)
	if err != nil {
		return plan, nil, err
	}
	if req.size != nil {
		n := *req.size
		if n < 0 {
			return plan, nil, fmt.Errorf("%w: expected size must not be negative, got %d", hashstore.ErrInvalidArgument, n)
		}
		if plan.ExpectedSize >= 0 && plan.ExpectedSize != n {
			return plan, nil, fmt.Errorf("%w: two different expected sizes: %d and %d", hashstore.ErrInvalidArgument, plan.ExpectedSize, n)
		}
		plan.ExpectedSize = n
	}
	var also []*expectation
	for _, c := range req.also {
		p, err := s.PlanStore(hashstore.WithChecksum(c.value, c.algorithm))
		if err != nil {
			return plan, nil, err
		}
		alg, sum := p.ChecksumAlgorithm, p.Checksum
		if plan.Checksum == "" {
			// No WithChecksum: the first extra checksum is verified by the store itself.
			plan.Checksum, plan.ChecksumAlgorithm = sum, alg
			if !hasAlgorithm(plan.Algorithms, alg) {
				plan.Algorithms = append(plan.Algorithms, alg)
			}
			continue
		}
		if alg == plan.ChecksumAlgorithm && sum == plan.Checksum {
			continue
		}
		dup := false
		for _, e := range also {
			dup = dup || (e.alg == alg && e.checksum == sum)
		}
		if !dup {
			also = append(also, &expectation{alg: alg, checksum: sum, hash: alg.New()})
		}
	}
	return plan, also, nil
}

func hasAlgorithm(list []hashstore.Algorithm, a hashstore.Algorithm) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func (s *Store) link(ctx context.Context, path string, req *linkRequest, plan hashstore.IngestPlan, also []*expectation) (Result, error) {
	if path == "" {
		return Result{}, fmt.Errorf("%w: no source path", hashstore.ErrInvalidArgument)
	}
	if s.ReadOnly() {
		return Result{}, hashstore.ErrReadOnly
	}
	fi, err := s.linker.Stat(path)
	if err != nil {
		return Result{}, classifySourceError(err)
	}
	if !fi.Mode().IsRegular() {
		return Result{}, notRegular(fi.Mode())
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if lc, ok := s.linker.(LinkChecker); ok {
		if err := lc.CheckLink(path, filepath.Join(s.Root(), layout.ObjectsDir)); err != nil {
			err = s.linkError(err, path)
			if errors.Is(err, ErrCrossDevice) && s.crossDevice == CrossDeviceCopy {
				return s.copyIn(ctx, path, req, plan, also, nil)
			}
			return Result{}, err
		}
	}
	f, err := s.linker.Open(path)
	if err != nil {
		return Result{}, classifySourceError(err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	sink := &linkSink{s: s, source: path, file: f, before: before}
	algs := allAlgorithms(plan, also)
	r := &checkingReader{ctx: ctx, r: f, before: before, size: plan.ExpectedSize, also: also, algs: algs}
	meta, err := s.Ingest(ctx, r, sink, plan)
	addDigests(meta, also)
	if err != nil {
		cause := storeCause(err)
		if errors.Is(cause, ErrCrossDevice) && s.crossDevice == CrossDeviceCopy {
			// Found only at the link (two mounts of one filesystem): copy from the open file.
			return s.copyIn(ctx, path, req, plan, also, f)
		}
		return Result{Object: meta}, withSourceDigests(ctx, cause, f, algs)
	}
	return Result{Object: meta, Placement: sink.placement}, nil
}

// linkError classifies an error of the Linker's Link or CheckLink for the source.
func (s *Store) linkError(err error, source string) error {
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := s.linker.Stat(source); errors.Is(serr, fs.ErrNotExist) {
			return errMissingSource{} // it vanished since it was looked at
		}
	}
	return classifyLinkError(err, source, s.osRoot())
}

// storeCause strips the store's *hashstore.OpError ("store object"); Link wraps the cause in
// its own.
func storeCause(err error) error {
	if oe, ok := err.(*hashstore.OpError); ok {
		return oe.Err
	}
	return err
}

// allAlgorithms is every algorithm a call computes: the plan's and the extra checksums'.
func allAlgorithms(plan hashstore.IngestPlan, also []*expectation) []hashstore.Algorithm {
	algs := append([]hashstore.Algorithm{}, plan.Algorithms...)
	for _, e := range also {
		if !hasAlgorithm(algs, e.alg) {
			algs = append(algs, e.alg)
		}
	}
	return algs
}

// withSourceDigests turns a size mismatch into a *SourceDigestsError by hashing the source
// (open in f) again with algs; other errors, and any failure to reread, are returned as they
// are.
func withSourceDigests(ctx context.Context, err error, f any, algs []hashstore.Algorithm) error {
	var sme *hashstore.SizeMismatchError
	if !errors.As(err, &sme) {
		return err
	}
	n, digests, herr := rehash(ctx, f, algs)
	if herr != nil {
		return err
	}
	return &SourceDigestsError{Err: err, Size: n, HexDigests: digests}
}

// rehash reads f (which must be an io.ReadSeeker) again from its start through every
// algorithm. It serves error paths only.
func rehash(ctx context.Context, f any, algs []hashstore.Algorithm) (int64, map[string]string, error) {
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return 0, nil, errors.ErrUnsupported
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return 0, nil, err
	}
	hs := make([]hash.Hash, len(algs))
	for i, a := range algs {
		hs[i] = a.New()
	}
	n, err := multihash.Copy(ctx, rs, hs, multihash.Options{})
	if err != nil {
		return n, nil, err
	}
	out := make(map[string]string, len(algs))
	for i, a := range algs {
		out[string(a)] = hex.EncodeToString(hs[i].Sum(nil))
	}
	return n, out, nil
}

// osRoot is the store's root as an OS path when it has one, for messages.
func (s *Store) osRoot() string {
	if p, ok := realpath.Of(s.Fs(), s.Root()); ok {
		return p
	}
	return s.Root()
}

// addDigests adds the extra checksums' digests to meta, if the data was read.
func addDigests(meta hashstore.ObjectMetadata, also []*expectation) {
	if meta.HexDigests == nil {
		return
	}
	for _, e := range also {
		if _, ok := meta.HexDigests[string(e.alg)]; !ok {
			meta.HexDigests[string(e.alg)] = e.digest()
		}
	}
}

// copyIn is the CrossDeviceCopy fallback: StoreObject from the source, with the same
// expectations. Extra checksums and a zero expected size (which StoreObject's options cannot
// express) are checked by a checkingReader, which fails at the end of the data, before the
// store places anything.
func (s *Store) copyIn(ctx context.Context, path string, req *linkRequest, plan hashstore.IngestPlan, also []*expectation, f fs.File) (Result, error) {
	if f == nil {
		var err error
		if f, err = s.linker.Open(path); err != nil {
			return Result{}, classifySourceError(err)
		}
		defer f.Close()
	} else {
		rs, ok := f.(io.Seeker)
		if !ok {
			return Result{}, fmt.Errorf("cannot reread the source to copy it: %w", errors.ErrUnsupported)
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return Result{}, err
		}
		for _, e := range also {
			e.hash.Reset()
		}
	}
	opts := append([]hashstore.StoreOption{}, req.store...)
	if plan.Checksum != "" {
		opts = append(opts, hashstore.WithChecksum(plan.Checksum, string(plan.ChecksumAlgorithm)))
	}
	algs := allAlgorithms(plan, also)
	before, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	r := &checkingReader{ctx: ctx, r: f, before: before, size: plan.ExpectedSize, also: also, algs: algs}
	if plan.ExpectedSize >= 1 {
		opts = append(opts, hashstore.WithExpectedSize(plan.ExpectedSize))
	} else if plan.ExpectedSize == 0 {
		r.reportSize = true
	}
	meta, err := s.StoreObject(ctx, r, opts...)
	addDigests(meta, also)
	if err != nil {
		return Result{Object: meta}, withSourceDigests(ctx, storeCause(err), f, algs)
	}
	return Result{Object: meta, Placement: Copied}, nil
}

// wrap makes every error of Link an *hashstore.OpError for the pid that names the source
// (replacing the store's own "store object" operation, whose cause it keeps).
func (s *Store) wrap(pid, path string, err error) error {
	if err == nil {
		return nil
	}
	if oe, ok := err.(*hashstore.OpError); ok {
		err = oe.Err
	}
	var ce *CrossDeviceError
	if path != "" && !errors.As(err, &ce) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return &hashstore.OpError{Op: "link object", ID: pid, Err: err}
}
