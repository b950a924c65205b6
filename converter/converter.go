// Package converter converts existing repositories (Metacat's data and documents trees) into a
// HashStore: each data file is hard-linked into place (hashstore.FileHashStore.StoreFile), its
// pid tagged, and its DataONE system metadata stored beside it.
//
// Convert handles one object; it is the Java HashStoreConverter.convert (docs/FORMAT.md 7.12),
// improved so that the system metadata is an expectation rather than a passenger:
//
//   - the sysmeta is decoded (sysmeta.Parse) and its identifier must equal the pid;
//   - the data must match every expectation it is given: the sysmeta's size and checksum
//     always, and an explicit checksum (WithChecksum) and size (WithExpectedSize) too; an
//     explicit size that contradicts the sysmeta's is refused before anything is read;
//   - the sysmeta is stored, byte for byte as given and never re-marshalled, only once the
//     object is in place and tagged; any failure before that leaves the store unchanged;
//   - converting a pid already tagged to the same content succeeds (the Java implementation
//     fails with HashStoreRefsAlreadyExistException, docs/CONFORMANCE.md C258), so an
//     interrupted or repeated run is safe to re-run; tagged to other content it fails and
//     stores nothing;
//   - with no data path, only the sysmeta is stored, as in Java.
//
// RunBulk converts a whole repository from a Source (a manifest: NewManifestSource): in
// parallel, with a journal that makes an interrupted run resumable, failure reports named as
// Metacat names them, the checksums CSV Metacat loads, and shards for several hosts.
package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// Converter converts objects into a store. It is safe for concurrent use (distinct pids
// convert in parallel; the same pid twice at once: one of the two fails with
// hashstore.ErrInProgress).
type Converter struct {
	store *hashstore.FileHashStore
	link  hashstore.LinkPolicy
}

// New returns a Converter into store that links data files with policy: hashstore.LinkFile
// (a file on another filesystem fails), hashstore.LinkOrCopyFile (it is copied), or
// hashstore.CopyFile (every file is copied: an import).
func New(store *hashstore.FileHashStore, policy hashstore.LinkPolicy) *Converter {
	return &Converter{store: store, link: policy}
}

// Option supplies an optional input of Convert.
type Option func(*request)

type request struct {
	checksum *hashstore.Checksum
	size     *int64
	formatID *string
	recover  bool
}

// WithChecksum requires the data's digest in algorithm to equal checksum (hex, any case), in
// addition to the sysmeta's checksum.
func WithChecksum(checksum string, algorithm hashstore.Algorithm) Option {
	return func(r *request) { r.checksum = &hashstore.Checksum{Algorithm: algorithm, Value: checksum} }
}

// WithExpectedSize states the data's size in bytes (n >= 0). It must equal the sysmeta's size,
// which is always required of the data; a different value is refused as an invalid argument.
func WithExpectedSize(n int64) Option { return func(r *request) { r.size = &n } }

// WithFormatID stores the sysmeta under this format id instead of the store's default
// namespace (the Java converter always uses the default).
func WithFormatID(formatID string) Option { return func(r *request) { r.formatID = &formatID } }

// WithRecovery converts an object whose earlier conversion a power cut may have interrupted:
// what is found in place is checked, not trusted (hashstore.WithRecovery).
func WithRecovery() Option { return func(r *request) { r.recover = true } }

// Result is what Convert did.
type Result struct {
	// Object is the object's metadata; the zero value when only the sysmeta was stored (no
	// path).
	Object hashstore.ObjectMetadata `json:"object"`
	// Placement is how the object was placed.
	Placement hashstore.Placement `json:"placement"`
	// AlreadyTagged is true when the pid was already tagged to this content, so only the
	// sysmeta was (re)written: a re-run.
	AlreadyTagged bool `json:"already_tagged"`
	// SysmetaPath is where the sysmeta was stored (a path on the store's filesystem).
	SysmetaPath string `json:"sysmeta_path"`
}

// Convert converts one object: the file at path ("" for none; see StoreFile for what paths
// name) with persistent identifier pid and system metadata sysmetaXML (a DataONE
// SystemMetadata v1 or v2 document). See the package documentation for the rules.
//
// Errors match the store's sentinels (hashstore.ErrorKind gives the CLI's word):
// ErrInvalidArgument for an invalid pid, missing or undecodable sysmeta (also matching
// sysmeta.ErrMalformed, ErrMissingField or ErrInvalidField), a sysmeta for another identifier,
// or contradictory options; ErrUnsupportedAlgorithm for a checksum algorithm (the sysmeta's
// included) this implementation cannot compute; and every error of StoreFile for the object
// part (missing or irregular source, ErrSizeMismatch, ErrChecksumMismatch with every digest,
// ErrPIDTaggedElsewhere, ErrCrossDevice, ...). On any of these the store is unchanged. If
// storing the sysmeta fails after the object part succeeded, the object stays tagged and the
// error says so; running Convert again completes it.
func (c *Converter) Convert(ctx context.Context, path, pid string, sysmetaXML []byte, opts ...Option) (Result, error) {
	var req request
	for _, o := range opts {
		o(&req)
	}
	storeOpts, metaOpts, err := c.prepare(pid, sysmetaXML, &req, path != "")
	if err != nil {
		return Result{}, &hashstore.OpError{Op: "convert", ID: pid, Err: err}
	}
	var res Result
	if path != "" {
		res.Object, res.Placement, err = c.store.StoreFile(ctx, path, storeOpts...)
		switch {
		case errors.Is(err, hashstore.ErrAlreadyTagged):
			res.AlreadyTagged = true
		case err != nil:
			return Result{}, err
		}
	}
	res.SysmetaPath, err = c.store.StoreMetadata(ctx, pid, bytes.NewReader(sysmetaXML), metaOpts...)
	if err != nil {
		if path != "" {
			err = fmt.Errorf("the object is stored and tagged, but its system metadata is not (convert again to complete): %w", err)
			return res, &hashstore.OpError{Op: "convert", ID: pid, Err: err}
		}
		return Result{}, err
	}
	return res, nil
}

// prepare validates everything that needs no data and turns the sysmeta and the options into
// the expectations for StoreFile. Without data (withData false) the checksums are not looked
// at: there is nothing to check them against.
func (c *Converter) prepare(pid string, sysmetaXML []byte, req *request, withData bool) ([]hashstore.StoreOption, []hashstore.MetadataOption, error) {
	// The pid is checked with the store's own rule before anything else.
	if err := hashstore.CheckIdentifier("pid", pid); err != nil {
		return nil, nil, err
	}
	if len(sysmetaXML) == 0 {
		return nil, nil, fmt.Errorf("%w: no system metadata given", hashstore.ErrInvalidArgument)
	}
	sm, err := sysmeta.Parse(sysmetaXML)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: system metadata: %w", hashstore.ErrInvalidArgument, err)
	}
	if sm.Identifier != pid {
		return nil, nil, fmt.Errorf("%w: the system metadata is for identifier %q, not for pid %q", hashstore.ErrInvalidArgument, sm.Identifier, pid)
	}
	if req.size != nil && *req.size != sm.Size {
		if _, err := hashstore.NewStoreRequest(hashstore.WithExpectedSize(*req.size)); err != nil {
			return nil, nil, err // negative
		}
		return nil, nil, fmt.Errorf("%w: expected size %d contradicts the system metadata's size %d", hashstore.ErrInvalidArgument, *req.size, sm.Size)
	}
	var metaOpts []hashstore.MetadataOption
	if req.formatID != nil {
		// Checked now, with the store's identifier rule, so that a bad format id cannot fail
		// StoreMetadata after the object was linked and tagged.
		metaOpts = append(metaOpts, hashstore.WithFormatID(*req.formatID))
		if _, err := hashstore.NewMetadataRequest(metaOpts...); err != nil {
			return nil, nil, err
		}
	}
	if !withData {
		return nil, metaOpts, nil
	}
	// Say which checksum is at fault when one cannot be used (an unsupported algorithm).
	smChecksum := hashstore.WithChecksum(sm.Checksum, hashstore.Algorithm(sm.ChecksumAlgorithm))
	if _, err := hashstore.NewStoreRequest(smChecksum); err != nil {
		return nil, nil, fmt.Errorf("the system metadata's checksum: %w", err)
	}
	storeOpts := []hashstore.StoreOption{hashstore.WithPID(pid), smChecksum, hashstore.WithExpectedSize(sm.Size), hashstore.WithLink(c.link)}
	if req.checksum != nil {
		storeOpts = append(storeOpts, hashstore.WithChecksum(req.checksum.Value, req.checksum.Algorithm))
	}
	if req.recover {
		storeOpts = append(storeOpts, hashstore.WithRecovery())
	}
	return storeOpts, metaOpts, nil
}
