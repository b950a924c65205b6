package hashstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// Sentinel errors, one per row of the taxonomy in docs/FORMAT.md 7.0. Every error a store returns
// matches exactly one of them under errors.Is (except plain I/O failures, which match none and
// carry the underlying *fs.PathError). Errors that carry data are typed and match their sentinel.
var (
	// ErrInvalidArgument: an empty or whitespace id, a size below 1, a checksum without its
	// algorithm, and every other argument the call cannot accept. Nothing was changed.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnsupportedAlgorithm: an algorithm name this implementation does not know.
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	// ErrInProgress: StoreObject was called for a pid this process is already storing.
	ErrInProgress = errors.New("store already in progress for this pid")
	// ErrSizeMismatch: the data's size differs from the expected size (*SizeMismatchError).
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrChecksumMismatch: the data's digest differs from the expected checksum
	// (*ChecksumMismatchError, which carries every digest computed).
	ErrChecksumMismatch = errors.New("checksum mismatch")
	// ErrAlreadyTagged: the pid is already tagged with this cid (HashStoreRefsAlreadyExists).
	ErrAlreadyTagged = errors.New("pid already tagged")
	// ErrPIDTaggedElsewhere: the pid is already tagged with another cid (PidRefsAlreadyExists).
	ErrPIDTaggedElsewhere = errors.New("pid already tagged with another cid")
	// ErrNotFound: no such pid (no pid refs file), metadata document or object.
	ErrNotFound = errors.New("not found")
	// ErrOrphanRefs: the pid's reference files disagree with each other or with the objects
	// (*OrphanRefsError says how). DeleteObject cleans such a pid up; audit repairs them.
	ErrOrphanRefs = errors.New("orphan references")
	// ErrConfigMismatch: the store's hashstore.yaml differs from the properties supplied, is
	// missing beside existing store directories, or describes a layout we refuse to guess at.
	ErrConfigMismatch = errors.New("store configuration mismatch")
	// ErrCorrupt: an object's content no longer hashes to its cid (*CorruptObjectError).
	ErrCorrupt = errors.New("object content does not match its cid")
	// ErrReadOnly: a write was attempted on a store opened read-only.
	ErrReadOnly = errors.New("store is read-only")
	// ErrCrossDevice: StoreFile was asked to link a file on another filesystem (or mount)
	// than the store, where a hard link cannot be made (*CrossDeviceError).
	ErrCrossDevice = errors.New("source and store are on different filesystems")
	// ErrSourceChanged: the file given to StoreFile changed (size, modification time, or the
	// file its path names) while it was read, so what was hashed may not be what would be
	// placed; nothing was placed. Run the call again once the file is no longer written.
	ErrSourceChanged = errors.New("the source file changed while it was being read")
)

// The specific ways references can be broken; each *OrphanRefsError matches one of these as
// well as ErrOrphanRefs. They follow findObject's order of checks (docs/FORMAT.md 7.10).
var (
	// ErrOrphanPIDRefs: the pid refs file exists but the cid refs file it points to does not
	// (OrphanPidRefsFileFound).
	ErrOrphanPIDRefs = errors.New("pid refs file exists but its cid refs file does not")
	// ErrPIDNotInCIDRefs: the cid refs file does not list the pid (PidNotFoundInCidRefsFile).
	ErrPIDNotInCIDRefs = errors.New("pid is not listed in its cid refs file")
	// ErrObjectMissing: both refs files exist but the object does not
	// (RefsFileExistsButCidObjMissing).
	ErrObjectMissing = errors.New("refs files exist but the object does not")
)

// OpError records the operation and identifier an error belongs to. Its message reads
// `hashstore: <op> "<id>": <cause>`. It unwraps to the cause.
type OpError struct {
	Op  string // e.g. "store object", "delete metadata"
	ID  string // the pid (or cid, or store path) the operation was about; may be empty
	Err error
}

func (e *OpError) Error() string {
	if e.ID == "" {
		return "hashstore: " + e.Op + ": " + e.Err.Error()
	}
	return fmt.Sprintf("hashstore: %s %q: %v", e.Op, e.ID, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

func opErr(op, id string, err error) error {
	if err == nil {
		return nil
	}
	return &OpError{Op: op, ID: id, Err: err}
}

// invalid builds an ErrInvalidArgument with a message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// SizeMismatchError reports data whose size differs from what was expected.
type SizeMismatchError struct {
	Expected int64
	// Actual is the size found. With AtLeast set the source was longer than Expected and
	// reading stopped one byte past it, so Actual is only a lower bound.
	Actual  int64
	AtLeast bool
	// HexDigests, when not nil, holds every digest of the whole data and Actual its exact
	// size (AtLeast is then false): StoreFile reads a source file again to tell the operator
	// what it holds, so that the expectation can be corrected in one go.
	HexDigests map[Algorithm]string
}

func (e *SizeMismatchError) Error() string {
	var b strings.Builder
	if e.AtLeast {
		fmt.Fprintf(&b, "size mismatch: expected %d bytes, got more than %d", e.Expected, e.Expected)
	} else {
		fmt.Fprintf(&b, "size mismatch: expected %d bytes, got %d", e.Expected, e.Actual)
	}
	writeDigests(&b, e.HexDigests)
	return b.String()
}

// Is makes a *SizeMismatchError match ErrSizeMismatch.
func (e *SizeMismatchError) Is(target error) bool { return target == ErrSizeMismatch }

// ChecksumMismatchError reports data whose digest differs from the expected checksum.
type ChecksumMismatchError struct {
	Algorithm Algorithm
	Expected  string
	Actual    string
	// HexDigests holds every digest computed over the data, so an operator can correct the
	// expectation.
	HexDigests map[Algorithm]string
}

func (e *ChecksumMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checksum mismatch: %s expected %s, got %s", e.Algorithm, e.Expected, e.Actual)
	writeDigests(&b, e.HexDigests)
	return b.String()
}

// Is makes a *ChecksumMismatchError match ErrChecksumMismatch.
func (e *ChecksumMismatchError) Is(target error) bool { return target == ErrChecksumMismatch }

// writeDigests appends " (computed: ALG=hex ...)" in algorithm order, or nothing for none.
func writeDigests(b *strings.Builder, digests map[Algorithm]string) {
	if len(digests) == 0 {
		return
	}
	b.WriteString(" (computed:")
	for _, a := range slices.Sorted(maps.Keys(digests)) {
		fmt.Fprintf(b, " %s=%s", a, digests[a])
	}
	b.WriteString(")")
}

// TaggedError reports a pid that already has a pid refs file.
type TaggedError struct {
	PID         string
	ExistingCID string // the cid in the pid refs file
	CID         string // the cid the caller asked for
}

func (e *TaggedError) Error() string {
	if e.ExistingCID == e.CID {
		return fmt.Sprintf("pid already tagged with cid %s", e.CID)
	}
	return fmt.Sprintf("pid already tagged with cid %s, not %s", e.ExistingCID, e.CID)
}

// Is matches ErrAlreadyTagged when the existing cid is the requested one, and
// ErrPIDTaggedElsewhere when it is another.
func (e *TaggedError) Is(target error) bool {
	if e.ExistingCID == e.CID {
		return target == ErrAlreadyTagged
	}
	return target == ErrPIDTaggedElsewhere
}

// OrphanRefsError reports a pid whose reference files are inconsistent with each other or
// with the objects: orphan references, in the reference implementations' words.
type OrphanRefsError struct {
	PID    string
	CID    string // the cid in the pid refs file
	Reason error  // ErrOrphanPIDRefs, ErrPIDNotInCIDRefs or ErrObjectMissing
}

func (e *OrphanRefsError) Error() string {
	return fmt.Sprintf("%v (cid %s)", e.Reason, e.CID)
}

// Is matches ErrOrphanRefs and the specific reason.
func (e *OrphanRefsError) Is(target error) bool { return target == ErrOrphanRefs || target == e.Reason }

// ConfigMismatchError reports a store whose hashstore.yaml disagrees with what was supplied.
type ConfigMismatchError struct {
	Key      string // the hashstore.yaml key, e.g. "store_depth"
	Stored   string
	Supplied string
}

func (e *ConfigMismatchError) Error() string {
	return fmt.Sprintf("configuration mismatch: %s is %q in hashstore.yaml but %q was supplied", e.Key, e.Stored, e.Supplied)
}

// Is makes a *ConfigMismatchError match ErrConfigMismatch.
func (e *ConfigMismatchError) Is(target error) bool { return target == ErrConfigMismatch }

// CorruptObjectError reports an object whose content no longer hashes to its cid.
type CorruptObjectError struct {
	CID    string
	Actual string // the digest of what was read, with the store algorithm
	Size   int64  // bytes read
}

func (e *CorruptObjectError) Error() string {
	return fmt.Sprintf("object %s is corrupt: its %d bytes hash to %s", e.CID, e.Size, e.Actual)
}

// Is makes a *CorruptObjectError match ErrCorrupt.
func (e *CorruptObjectError) Is(target error) bool { return target == ErrCorrupt }

// ErrorKind returns the stable word the CLI prints for an error's class: not_found,
// already_tagged, pid_tagged_elsewhere, checksum_mismatch, size_mismatch,
// unsupported_algorithm, invalid_argument, config_mismatch, orphan_refs, in_progress, corrupt,
// read_only, cross_device, source_changed, canceled (the context was cancelled or timed out),
// or io for anything else.
func ErrorKind(err error) string {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "not_found"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "canceled"
	}
	return "io"
}

var errorKinds = []struct {
	err  error
	kind string
}{
	{ErrInvalidArgument, "invalid_argument"},
	{ErrUnsupportedAlgorithm, "unsupported_algorithm"},
	{ErrInProgress, "in_progress"},
	{ErrSizeMismatch, "size_mismatch"},
	{ErrChecksumMismatch, "checksum_mismatch"},
	{ErrAlreadyTagged, "already_tagged"},
	{ErrPIDTaggedElsewhere, "pid_tagged_elsewhere"},
	{ErrNotFound, "not_found"},
	{ErrOrphanRefs, "orphan_refs"},
	{ErrConfigMismatch, "config_mismatch"},
	{ErrCorrupt, "corrupt"},
	{ErrReadOnly, "read_only"},
	{ErrCrossDevice, "cross_device"},
	{ErrSourceChanged, "source_changed"},
}

// CrossDeviceError reports a file that StoreFile cannot hard-link into the store because the
// two are on different filesystems (EXDEV). It matches ErrCrossDevice and unwraps to the
// system's error.
type CrossDeviceError struct {
	Source string // the file, as given
	Store  string // the store's root
	Err    error  // the underlying error (syscall.EXDEV inside an *os.LinkError)
}

// Error names both paths and the two ways out.
func (e *CrossDeviceError) Error() string {
	return fmt.Sprintf("cannot hard-link %s into the store at %s: they are on different filesystems; "+
		"move the file onto the store's filesystem, or let it be copied (LinkOrCopyFile; the command line's --on-cross-device copy)",
		e.Source, e.Store)
}

// Is makes a *CrossDeviceError match ErrCrossDevice.
func (e *CrossDeviceError) Is(target error) bool { return target == ErrCrossDevice }

// Unwrap returns the system's error.
func (e *CrossDeviceError) Unwrap() error { return e.Err }
