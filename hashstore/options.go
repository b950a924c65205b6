package hashstore

import "strings"

// Options of the Store methods. Each kind of option fills in a request struct, which is
// exported so that another implementation of Store (a client of a remote store, say) can read
// what its caller asked for: it resolves the options with NewStoreRequest, NewRetrieveRequest,
// NewDigestRequest or NewMetadataRequest and gets the same validation as FileHashStore.

// StoreOption supplies an optional input of StoreObject and StoreFile.
type StoreOption func(*StoreRequest)

// StoreRequest is what the options of one StoreObject or StoreFile call ask for.
type StoreRequest struct {
	// PID is the identifier to tag the object with; "" stores it untagged.
	PID string
	// Checksums are expectations: the data's digest in each algorithm must equal the value.
	// When several fail, the first in this order is reported.
	Checksums []Checksum
	// ExpectedSize is the data's exact size in bytes, or -1 for no expectation.
	ExpectedSize int64
	// AdditionalAlgorithms are computed besides the defaults and returned in the digests.
	AdditionalAlgorithms []Algorithm
	// Link is how StoreFile places the file; StoreObject ignores it.
	Link LinkPolicy
	// Recover says the call may redo one that a power cut interrupted (WithRecovery).
	Recover bool
	// pidGiven tells WithPID("") (refused) from no WithPID; err is the first invalid option.
	// Both are for NewStoreRequest.
	pidGiven bool
	err      error
}

// Checksum is an expected digest: lower-case hex in a canonical Algorithm once validated.
type Checksum struct {
	Algorithm Algorithm
	Value     string
}

// NewStoreRequest applies opts and validates the result: the pid and every checksum must be
// valid identifiers (CheckIdentifier), every algorithm supported (it is made canonical, so
// "sha256" becomes SHA256), the expected size not negative. Checksums are made lower case. An
// invalid request is returned together with an error matching ErrInvalidArgument or
// ErrUnsupportedAlgorithm; its PID is filled in whenever an option gave one, so that the error
// can name it.
func NewStoreRequest(opts ...StoreOption) (StoreRequest, error) {
	r := StoreRequest{ExpectedSize: -1}
	for _, o := range opts {
		o(&r)
	}
	if r.err != nil {
		return r, r.err
	}
	if r.pidGiven {
		if err := CheckIdentifier("pid", r.PID); err != nil {
			return r, err
		}
	}
	for i, c := range r.Checksums {
		if err := CheckIdentifier("checksum", c.Value); err != nil {
			return r, err
		}
		if strings.TrimSpace(string(c.Algorithm)) == "" {
			return r, invalid("checksum %q given without its algorithm", c.Value)
		}
		a, err := c.Algorithm.canonical()
		if err != nil {
			return r, err
		}
		r.Checksums[i] = Checksum{Algorithm: a, Value: strings.ToLower(c.Value)}
	}
	for i, a := range r.AdditionalAlgorithms {
		c, err := a.canonical()
		if err != nil {
			return r, err
		}
		r.AdditionalAlgorithms[i] = c
	}
	return r, nil
}

// WithPID tags the stored object with pid (after verifying it against any expectations).
func WithPID(pid string) StoreOption {
	return func(r *StoreRequest) { r.PID, r.pidGiven = pid, true }
}

// WithChecksum requires the data's digest in algorithm to equal checksum (hex, any case). It
// may be given several times (for several algorithms, or to check a second source of the
// same expectation); every one must hold.
func WithChecksum(checksum string, algorithm Algorithm) StoreOption {
	return func(r *StoreRequest) {
		r.Checksums = append(r.Checksums, Checksum{Algorithm: algorithm, Value: checksum})
	}
}

// WithExpectedSize requires the data to be exactly n bytes (n >= 0; DataONE objects may be
// empty). Reading stops one byte past n if the source is longer. Given twice with different
// sizes, the request is invalid.
func WithExpectedSize(n int64) StoreOption {
	return func(r *StoreRequest) {
		switch {
		case n < 0:
			r.fail(invalid("expected size must not be negative, got %d", n))
		case r.ExpectedSize >= 0 && r.ExpectedSize != n:
			r.fail(invalid("two different expected sizes: %d and %d", r.ExpectedSize, n))
		default:
			r.ExpectedSize = n
		}
	}
}

// WithAdditionalAlgorithm computes one more digest and returns it with the defaults. It may be
// given several times.
func WithAdditionalAlgorithm(algorithm Algorithm) StoreOption {
	return func(r *StoreRequest) { r.AdditionalAlgorithms = append(r.AdditionalAlgorithms, algorithm) }
}

// WithLink makes StoreFile place the file by hard link (see LinkPolicy) instead of copying it.
func WithLink(p LinkPolicy) StoreOption { return func(r *StoreRequest) { r.Link = p } }

// WithRecovery tells StoreObject or StoreFile that it may be redoing a call that a power cut
// interrupted before its writes were durable (a group commit that was not synced): what it
// finds in place for this object is checked instead of trusted. An object already stored under
// the cid is hashed, and replaced by the new content if it does not hash to its cid (a file
// the power cut left empty or half written), even when the pid is already tagged to it (the
// call then still reports ErrAlreadyTagged). A pid refs file that does not complete a tag (it
// cannot be read as a cid, or no cid refs file of the cid it names lists the pid: a tag cut
// short, or a file torn by the power cut) is taken for an interrupted tag and rewritten; a pid
// tagged to another cid (a pid refs file naming a cid whose cid refs file lists the pid) is
// still ErrPIDTaggedElsewhere. The cid refs file loses what a torn write left in it: lines that
// are not pids, and a last line cut short whose pid is not tagged to the cid. It costs a read
// of an object that already exists, so bulk runs use it only for what they redo after an
// interruption.
func WithRecovery() StoreOption { return func(r *StoreRequest) { r.Recover = true } }

func (r *StoreRequest) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// LinkPolicy is how StoreFile places a file into the store.
type LinkPolicy int

const (
	// CopyFile reads the file and writes a copy of it, as StoreObject does (the default).
	CopyFile LinkPolicy = iota
	// LinkFile makes the file itself the object, by hard link: no data byte is written. A file
	// on another filesystem than the store fails with a *CrossDeviceError.
	LinkFile
	// LinkOrCopyFile links like LinkFile, and copies a file on another filesystem instead.
	LinkOrCopyFile
)

// MetadataOption supplies an optional input of the metadata calls.
type MetadataOption func(*MetadataRequest)

// MetadataRequest is what the options of a metadata call ask for.
type MetadataRequest struct {
	// FormatID is the document's format (namespace); "" means the store's default namespace.
	FormatID string
	given    bool
}

// WithFormatID selects the metadata format (namespace). Without it, the store's default
// namespace is used. It must be a valid identifier (CheckIdentifier).
func WithFormatID(formatID string) MetadataOption {
	return func(r *MetadataRequest) { r.FormatID, r.given = formatID, true }
}

// NewMetadataRequest applies opts and validates the format id, if one was given.
func NewMetadataRequest(opts ...MetadataOption) (MetadataRequest, error) {
	var r MetadataRequest
	for _, o := range opts {
		o(&r)
	}
	if r.given {
		if err := CheckIdentifier("format id", r.FormatID); err != nil {
			return r, err
		}
	}
	return r, nil
}

// RetrieveOption supplies an optional input of RetrieveObject.
type RetrieveOption func(*RetrieveRequest)

// RetrieveRequest is what the options of a RetrieveObject call ask for.
type RetrieveRequest struct {
	// Verify asks for a reader that checks the content against the cid (WithVerify).
	Verify bool
}

// WithVerify makes RetrieveObject return a reader that hashes what it serves with the store
// algorithm and, at end of file, returns a *CorruptObjectError instead of io.EOF if the
// content no longer matches the cid.
func WithVerify() RetrieveOption { return func(r *RetrieveRequest) { r.Verify = true } }

// NewRetrieveRequest applies opts.
func NewRetrieveRequest(opts ...RetrieveOption) RetrieveRequest {
	var r RetrieveRequest
	for _, o := range opts {
		o(&r)
	}
	return r
}

// DigestOption supplies an optional input of GetHexDigest.
type DigestOption func(*DigestRequest)

// DigestRequest is what the options of a GetHexDigest call ask for.
type DigestRequest struct {
	// Reread asks for the digest of the bytes on disk even for the store algorithm (WithReread).
	Reread bool
}

// WithReread makes GetHexDigest hash the object's bytes even for the store algorithm, instead
// of returning the cid (which is what the object should hash to), so the answer checks the
// disk.
func WithReread() DigestOption { return func(r *DigestRequest) { r.Reread = true } }

// NewDigestRequest applies opts.
func NewDigestRequest(opts ...DigestOption) DigestRequest {
	var r DigestRequest
	for _, o := range opts {
		o(&r)
	}
	return r
}
