// Package converter converts existing repositories (Metacat's data and documents trees) into a
// HashStore: each data file is hard-linked into place (package links), its pid tagged, and its
// DataONE system metadata stored beside it.
//
// Convert handles one object; it is the Java HashStoreConverter.convert (FORMAT.md 7.12),
// improved so that the system metadata is an expectation rather than a passenger:
//
//   - the sysmeta is decoded (sysmeta.Parse) and its identifier must equal the pid;
//   - the data must match every expectation it is given: the sysmeta's size and checksum
//     always, and an explicit checksum (WithChecksum) and size (WithExpectedSize) too; an
//     explicit size that contradicts the sysmeta's is refused before anything is read;
//   - the sysmeta is stored, byte for byte as given and never re-marshalled, only once the
//     object is in place and tagged; any failure before that leaves the store unchanged;
//   - converting a pid already tagged to the same content succeeds (the Java implementation
//     fails with HashStoreRefsAlreadyExistException, CONFORMANCE C258), so an interrupted or
//     repeated run is safe to re-run; tagged to other content it fails and stores nothing;
//   - with no data path, only the sysmeta is stored, as in Java.
//
// RunBulk converts a whole repository from a manifest (ManifestReader): in parallel, with a
// journal that makes an interrupted run resumable, failure reports named as Metacat names
// them, the checksums CSV Metacat loads, and shards for several hosts (see bulk.go).
package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/ident"
	"github.com/hashstore-go/hashstore/links"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// Converter converts objects into the store behind a links.Store. It is safe for concurrent
// use (distinct pids convert in parallel; the same pid twice at once: one of the two fails
// with hashstore.ErrInProgress).
type Converter struct {
	links *links.Store
}

// New returns a Converter into ls.
func New(ls *links.Store) *Converter { return &Converter{links: ls} }

// Links returns the store the Converter converts into.
func (c *Converter) Links() *links.Store { return c.links }

// Option supplies an optional input of Convert.
type Option func(*request)

type request struct {
	checksum, algorithm *string
	size                *int64
	formatID            *string
}

// WithChecksum requires the data's digest in algorithm to equal checksum (hex, any case), in
// addition to the sysmeta's checksum. Both must be non-empty; the algorithm must be supported.
func WithChecksum(checksum, algorithm string) Option {
	return func(r *request) { r.checksum, r.algorithm = &checksum, &algorithm }
}

// WithExpectedSize states the data's size in bytes (n >= 0). It must equal the sysmeta's size,
// which is always required of the data; a different value is refused as an invalid argument.
func WithExpectedSize(n int64) Option { return func(r *request) { r.size = &n } }

// WithFormatID stores the sysmeta under this format id instead of the store's default
// namespace (the Java converter always uses the default).
func WithFormatID(formatID string) Option { return func(r *request) { r.formatID = &formatID } }

// Result is what Convert did.
type Result struct {
	// Object and Placement are the object part (links.Result). Object is the zero value when
	// only the sysmeta was stored (no path).
	links.Result
	// AlreadyTagged is true when the pid was already tagged to this content, so only the
	// sysmeta was (re)written: a re-run.
	AlreadyTagged bool `json:"already_tagged"`
	// SysmetaPath is where the sysmeta was stored (a path on the store's filesystem).
	SysmetaPath string `json:"sysmeta_path"`
}

// Convert converts one object: the file at path (a path for the store's Linker; "" for none)
// with persistent identifier pid and system metadata sysmetaXML (a DataONE SystemMetadata v1
// or v2 document). See the package documentation for the rules.
//
// Errors match the store's sentinels (hashstore.ErrorKind gives the CLI's word):
// ErrInvalidArgument for an invalid pid, missing or undecodable sysmeta (also matching
// sysmeta.ErrMalformed, ErrMissingField or ErrInvalidField), a sysmeta for another identifier,
// or contradictory options; ErrUnsupportedAlgorithm for a checksum algorithm (the sysmeta's
// included) this implementation cannot compute; and every error of links.Store.Link for the
// object part (missing or irregular source, ErrSizeMismatch, ErrChecksumMismatch with every
// digest, ErrPidTaggedElsewhere, links.ErrCrossDevice, ...). On any of these the store is
// unchanged. If storing the sysmeta fails after the object part succeeded, the object stays
// tagged and the error says so; running Convert again completes it.
func (c *Converter) Convert(ctx context.Context, path, pid string, sysmetaXML []byte, opts ...Option) (Result, error) {
	var req request
	for _, o := range opts {
		o(&req)
	}
	linkOpts, metaOpts, err := c.prepare(pid, sysmetaXML, &req, path != "")
	if err != nil {
		return Result{}, &hashstore.OpError{Op: "convert", ID: pid, Err: err}
	}
	var res Result
	if path != "" {
		res.Result, err = c.links.Link(ctx, path, linkOpts...)
		switch {
		case errors.Is(err, hashstore.ErrAlreadyTagged):
			res.AlreadyTagged = true
		case err != nil:
			return Result{}, err
		}
	}
	res.SysmetaPath, err = c.links.StoreMetadata(ctx, pid, bytes.NewReader(sysmetaXML), metaOpts...)
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
// the expectations for links.Store.Link. Without data (withData false) the checksums are not
// looked at: there is nothing to check them against.
func (c *Converter) prepare(pid string, sysmetaXML []byte, req *request, withData bool) ([]links.LinkOption, []hashstore.MetadataOption, error) {
	// The pid is checked with the store's own rule before anything else.
	if _, err := c.links.PlanStore(hashstore.WithPID(pid)); err != nil {
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
	if req.size != nil && *req.size < 0 {
		return nil, nil, fmt.Errorf("%w: expected size must not be negative, got %d", hashstore.ErrInvalidArgument, *req.size)
	}
	if req.size != nil && *req.size != sm.Size {
		return nil, nil, fmt.Errorf("%w: expected size %d contradicts the system metadata's size %d", hashstore.ErrInvalidArgument, *req.size, sm.Size)
	}
	var metaOpts []hashstore.MetadataOption
	if req.formatID != nil {
		// Checked now, with the store's identifier rule, so that a bad format id cannot fail
		// StoreMetadata after the object was linked and tagged.
		f := *req.formatID
		if f == "" || !utf8.ValidString(f) || ident.IndexSpace(f) >= 0 {
			return nil, nil, fmt.Errorf("%w: format id %q is empty, not UTF-8 or contains whitespace", hashstore.ErrInvalidArgument, f)
		}
		metaOpts = append(metaOpts, hashstore.WithFormatID(f))
	}
	if !withData {
		return nil, metaOpts, nil
	}
	linkOpts := []links.LinkOption{
		links.StoreOptions(hashstore.WithPID(pid), hashstore.WithChecksum(sm.Checksum, sm.ChecksumAlgorithm)),
		links.ExpectSize(sm.Size),
	}
	if req.checksum != nil {
		linkOpts = append(linkOpts, links.AlsoChecksum(*req.checksum, *req.algorithm))
	}
	// Say which checksum is at fault when one cannot be used (an unsupported algorithm).
	if _, err := c.links.PlanStore(hashstore.WithChecksum(sm.Checksum, sm.ChecksumAlgorithm)); err != nil {
		return nil, nil, fmt.Errorf("the system metadata's checksum: %w", err)
	}
	return linkOpts, metaOpts, nil
}
