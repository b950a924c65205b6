package hashstore

import "strings"

// StoreOption supplies an optional input of StoreObject.
type StoreOption func(*storeRequest)

// storeRequest is the set of options a StoreObject call was given, before validation.
type storeRequest struct {
	pid                  *string
	checksum, checksumAl *string
	size                 *int64
	additional           *string
}

// WithPID tags the stored object with pid (after verifying it against any expectations).
func WithPID(pid string) StoreOption { return func(r *storeRequest) { r.pid = &pid } }

// WithChecksum requires the data's digest in algorithm to equal checksum (hex, any case).
// Both must be non-empty.
func WithChecksum(checksum, algorithm string) StoreOption {
	return func(r *storeRequest) { r.checksum, r.checksumAl = &checksum, &algorithm }
}

// WithExpectedSize requires the data to be exactly n bytes (n >= 1). Reading stops one byte
// past n if the source is longer.
func WithExpectedSize(n int64) StoreOption { return func(r *storeRequest) { r.size = &n } }

// WithAdditionalAlgorithm adds one more digest to the returned map, for this call only.
func WithAdditionalAlgorithm(algorithm string) StoreOption {
	return func(r *storeRequest) { r.additional = &algorithm }
}

// IngestPlan is a validated StoreObject request: who to tag, what to check, what to compute.
type IngestPlan struct {
	PID               string // "" for an untagged store
	Checksum          string // lower case; "" if none
	ChecksumAlgorithm Algorithm
	ExpectedSize      int64 // -1 if none
	// Algorithms lists every digest to compute: the defaults, then the store algorithm, the
	// additional algorithm and the checksum algorithm when they are not already present.
	Algorithms []Algorithm
}

// PlanStore validates StoreObject options against this store and returns the plan, or an error
// matching ErrInvalidArgument or ErrUnsupportedAlgorithm. Nothing is touched on disk.
func (s *FileHashStore) PlanStore(opts ...StoreOption) (IngestPlan, error) {
	var r storeRequest
	for _, o := range opts {
		o(&r)
	}
	p := IngestPlan{ExpectedSize: -1, Algorithms: append([]Algorithm{}, DefaultAlgorithms...)}
	add := func(a Algorithm) {
		for _, have := range p.Algorithms {
			if have == a {
				return
			}
		}
		p.Algorithms = append(p.Algorithms, a)
	}
	add(s.alg)
	if r.pid != nil {
		if err := checkID("pid", *r.pid); err != nil {
			return IngestPlan{}, err
		}
		p.PID = *r.pid
	}
	if r.size != nil {
		if *r.size < 1 {
			return IngestPlan{}, invalid("expected size must be at least 1, got %d", *r.size)
		}
		p.ExpectedSize = *r.size
	}
	if r.additional != nil {
		a, err := ParseAlgorithm(*r.additional)
		if err != nil {
			return IngestPlan{}, err
		}
		add(a)
	}
	if r.checksum != nil {
		if err := checkID("checksum", *r.checksum); err != nil {
			return IngestPlan{}, err
		}
		if strings.TrimSpace(*r.checksumAl) == "" {
			return IngestPlan{}, invalid("checksum %q given without its algorithm", *r.checksum)
		}
		a, err := ParseAlgorithm(*r.checksumAl)
		if err != nil {
			return IngestPlan{}, err
		}
		p.Checksum, p.ChecksumAlgorithm = strings.ToLower(*r.checksum), a
		add(a)
	}
	return p, nil
}

// MetadataOption supplies an optional input of the metadata calls.
type MetadataOption func(*metadataRequest)

type metadataRequest struct{ formatID *string }

// WithFormatID selects the metadata format (namespace). Without it, the store's default
// namespace is used. It must be non-empty and contain no whitespace.
func WithFormatID(formatID string) MetadataOption {
	return func(r *metadataRequest) { r.formatID = &formatID }
}

func (s *FileHashStore) formatID(opts []MetadataOption) (string, error) {
	var r metadataRequest
	for _, o := range opts {
		o(&r)
	}
	if r.formatID == nil {
		return s.cfg.MetadataNamespace, nil
	}
	if err := checkID("format id", *r.formatID); err != nil {
		return "", err
	}
	return *r.formatID, nil
}

// RetrieveOption supplies an optional input of RetrieveObject.
type RetrieveOption func(*retrieveRequest)

type retrieveRequest struct{ verify bool }

// Verify makes RetrieveObject return a reader that hashes what it serves with the store
// algorithm and, at end of file, returns a *CorruptObjectError instead of io.EOF if the content
// no longer matches the cid.
func Verify() RetrieveOption { return func(r *retrieveRequest) { r.verify = true } }

// DigestOption supplies an optional input of GetHexDigest.
type DigestOption func(*digestRequest)

type digestRequest struct{ reread bool }

// Reread makes GetHexDigest hash the object's bytes even for the store algorithm, instead of
// returning the cid (which is what the object should hash to), so the answer checks the disk.
func Reread() DigestOption { return func(r *digestRequest) { r.reread = true } }
