// Package wire is the native HTTP protocol of the server (the /hs/v1 routes) as both ends see
// it: route prefixes, header names, and the JSON form of results and errors. The server and
// its Go client (server/client) share it, so that an error the store returns on the server
// comes out of the client matching the same sentinel and typed error under errors.Is and
// errors.As, with the same message.
package wire

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashstore-go/hashstore/hashstore"
)

// Native routes (docs/CLI.md, "serve"). Each takes the identifier, percent-encoded as one
// path segment, after the prefix.
const (
	// Prefix is the root of the native routes.
	Prefix = "/hs/v1"
	// Object is GET/HEAD (RetrieveObject), PUT (StoreObject with a pid) and DELETE
	// (DeleteObject) of /hs/v1/object/{pid}; POST of /hs/v1/object stores without a pid.
	Object = Prefix + "/object"
	// Find is GET /hs/v1/find/{pid} (FindObject).
	Find = Prefix + "/find"
	// Digest is GET /hs/v1/digest/{pid}?algorithm=ALG[&reread=true] (GetHexDigest).
	Digest = Prefix + "/digest"
	// Tag is POST /hs/v1/tag/{pid}?cid=CID (TagObject).
	Tag = Prefix + "/tag"
	// Metadata is GET, PUT and DELETE of /hs/v1/metadata/{pid}[?formatId=F]. DELETE without
	// a formatId parameter is DeleteAllMetadata.
	Metadata = Prefix + "/metadata"
	// DeleteIfInvalid is POST /hs/v1/delete-if-invalid with a DeleteIfInvalidRequest body.
	DeleteIfInvalid = Prefix + "/delete-if-invalid"
)

// Request and response headers of the native routes.
const (
	// HeaderChecksum is an expected digest of an upload, "ALG=hex"; it may be repeated.
	HeaderChecksum = "X-HashStore-Checksum"
	// HeaderSize is the expected size of an upload in bytes.
	HeaderSize = "X-HashStore-Size"
	// HeaderAdditionalAlgorithm asks for one more digest of an upload; it may be repeated.
	HeaderAdditionalAlgorithm = "X-HashStore-Additional-Algorithm"
	// HeaderCID is the cid of the object a GET or HEAD serves.
	HeaderCID = "X-HashStore-CID"
	// HeaderAlgorithm is the store algorithm, which made the cid, on a GET or HEAD.
	HeaderAlgorithm = "X-HashStore-Algorithm"
	// TrailerAbort is a request trailer by which a client abandons an upload whose source
	// failed: the server then treats the body as broken, not as complete, and answers only
	// once nothing of it is left in the store. Its value is the client's reason.
	TrailerAbort = "X-HashStore-Abort"
	// HeaderVerify, set to "off" on a GET by a client holding the write token, asks for the
	// bytes on disk without the server's verification (repair tools; a client that verifies
	// end to end itself).
	HeaderVerify = "X-HashStore-Verify"
)

// QueryFormatID, QueryAlgorithm, QueryReread and QueryCID are the query parameters of the
// native routes.
const (
	QueryFormatID  = "formatId"
	QueryAlgorithm = "algorithm"
	QueryReread    = "reread"
	QueryCID       = "cid"
)

// DigestResponse is the body of a successful GET /hs/v1/digest.
type DigestResponse struct {
	PID       string              `json:"pid"`
	Algorithm hashstore.Algorithm `json:"algorithm"`
	HexDigest string              `json:"hex_digest"`
}

// MetadataResponse is the body of a successful PUT /hs/v1/metadata: where the document is,
// relative to the store's root.
type MetadataResponse struct {
	PID      string `json:"pid"`
	FormatID string `json:"format_id"`
	Path     string `json:"path"`
}

// DeleteIfInvalidRequest is the body of POST /hs/v1/delete-if-invalid: the arguments of
// DeleteIfInvalidObject.
type DeleteIfInvalidRequest struct {
	Object    hashstore.ObjectMetadata `json:"object"`
	Checksum  string                   `json:"checksum"`
	Algorithm hashstore.Algorithm      `json:"algorithm"`
	Size      int64                    `json:"size"`
}

// ErrorResponse is the body of every failed native request. Object is the metadata the store
// returned together with its error (StoreObject reports the content it read even when the pid
// was already tagged); Info is what FindObject could still determine about broken references.
// Paths in Info are relative to the store's root.
type ErrorResponse struct {
	Error  Error                     `json:"error"`
	Object *hashstore.ObjectMetadata `json:"object,omitempty"`
	Info   *hashstore.ObjectInfo     `json:"info,omitempty"`
}

// Error is a store error in JSON: enough to rebuild it (see Err).
type Error struct {
	// Kind is hashstore.ErrorKind's word for the error.
	Kind string `json:"kind"`
	// Message is the whole message, as err.Error() gave it on the server.
	Message string `json:"message"`
	// Op and ID are those of the *hashstore.OpError, when the error was one; Cause is then the
	// message of the error it wraps.
	Op    string `json:"op,omitempty"`
	ID    string `json:"id,omitempty"`
	Cause string `json:"cause,omitempty"`
	// At most one of these is set, from the typed error in the chain.
	SizeMismatch     *SizeMismatch     `json:"size_mismatch,omitempty"`
	ChecksumMismatch *ChecksumMismatch `json:"checksum_mismatch,omitempty"`
	Tagged           *Tagged           `json:"tagged,omitempty"`
	OrphanRefs       *OrphanRefs       `json:"orphan_refs,omitempty"`
	Corrupt          *Corrupt          `json:"corrupt,omitempty"`
}

// SizeMismatch carries a *hashstore.SizeMismatchError.
type SizeMismatch struct {
	Expected   int64                          `json:"expected"`
	Actual     int64                          `json:"actual"`
	AtLeast    bool                           `json:"at_least,omitempty"`
	HexDigests map[hashstore.Algorithm]string `json:"hex_digests,omitempty"`
}

// ChecksumMismatch carries a *hashstore.ChecksumMismatchError.
type ChecksumMismatch struct {
	Algorithm  hashstore.Algorithm            `json:"algorithm"`
	Expected   string                         `json:"expected"`
	Actual     string                         `json:"actual"`
	HexDigests map[hashstore.Algorithm]string `json:"hex_digests,omitempty"`
}

// Tagged carries a *hashstore.TaggedError.
type Tagged struct {
	PID         string `json:"pid"`
	ExistingCID string `json:"existing_cid"`
	CID         string `json:"cid"`
}

// OrphanRefs carries a *hashstore.OrphanRefsError; Reason is one of the words of
// orphanReasons.
type OrphanRefs struct {
	PID    string `json:"pid"`
	CID    string `json:"cid"`
	Reason string `json:"reason"`
}

// Corrupt carries a *hashstore.CorruptObjectError.
type Corrupt struct {
	CID    string `json:"cid"`
	Actual string `json:"actual"`
	Size   int64  `json:"size"`
}

var orphanReasons = []struct {
	word string
	err  error
}{
	{"orphan_pid_refs", hashstore.ErrOrphanPIDRefs},
	{"pid_not_in_cid_refs", hashstore.ErrPIDNotInCIDRefs},
	{"object_missing", hashstore.ErrObjectMissing},
}

// FromError describes err (from a store) for the wire.
func FromError(err error) Error {
	e := Error{Kind: hashstore.ErrorKind(err), Message: err.Error(), Cause: err.Error()}
	var op *hashstore.OpError
	if errors.As(err, &op) {
		e.Op, e.ID, e.Cause = op.Op, op.ID, op.Err.Error()
	}
	var (
		sm *hashstore.SizeMismatchError
		cm *hashstore.ChecksumMismatchError
		te *hashstore.TaggedError
		oe *hashstore.OrphanRefsError
		ce *hashstore.CorruptObjectError
	)
	switch {
	case errors.As(err, &sm):
		e.SizeMismatch = &SizeMismatch{Expected: sm.Expected, Actual: sm.Actual, AtLeast: sm.AtLeast, HexDigests: sm.HexDigests}
	case errors.As(err, &cm):
		e.ChecksumMismatch = &ChecksumMismatch{Algorithm: cm.Algorithm, Expected: cm.Expected, Actual: cm.Actual, HexDigests: cm.HexDigests}
	case errors.As(err, &te):
		e.Tagged = &Tagged{PID: te.PID, ExistingCID: te.ExistingCID, CID: te.CID}
	case errors.As(err, &oe):
		e.OrphanRefs = &OrphanRefs{PID: oe.PID, CID: oe.CID}
		for _, r := range orphanReasons {
			if errors.Is(oe.Reason, r.err) {
				e.OrphanRefs.Reason = r.word
			}
		}
	case errors.As(err, &ce):
		e.Corrupt = &Corrupt{CID: ce.CID, Actual: ce.Actual, Size: ce.Size}
	}
	return e
}

// Err rebuilds the error: a *hashstore.OpError when the original was one, wrapping an error
// whose message is the original cause and which unwraps to the typed error (or, for errors
// without one, to the sentinel of Kind).
func (e Error) Err() error {
	msg := e.Cause
	if msg == "" {
		msg = e.Message
	}
	cause := &RemoteError{Kind: e.Kind, Msg: msg, err: e.typed()}
	if cause.err == nil {
		cause.err = sentinel(e.Kind)
	}
	if e.Op == "" {
		return cause
	}
	return &hashstore.OpError{Op: e.Op, ID: e.ID, Err: cause}
}

func (e Error) typed() error {
	switch {
	case e.SizeMismatch != nil:
		s := e.SizeMismatch
		return &hashstore.SizeMismatchError{Expected: s.Expected, Actual: s.Actual, AtLeast: s.AtLeast, HexDigests: s.HexDigests}
	case e.ChecksumMismatch != nil:
		c := e.ChecksumMismatch
		return &hashstore.ChecksumMismatchError{Algorithm: c.Algorithm, Expected: c.Expected, Actual: c.Actual, HexDigests: c.HexDigests}
	case e.Tagged != nil:
		return &hashstore.TaggedError{PID: e.Tagged.PID, ExistingCID: e.Tagged.ExistingCID, CID: e.Tagged.CID}
	case e.OrphanRefs != nil:
		o := &hashstore.OrphanRefsError{PID: e.OrphanRefs.PID, CID: e.OrphanRefs.CID, Reason: hashstore.ErrOrphanRefs}
		for _, r := range orphanReasons {
			if r.word == e.OrphanRefs.Reason {
				o.Reason = r.err
			}
		}
		return o
	case e.Corrupt != nil:
		return &hashstore.CorruptObjectError{CID: e.Corrupt.CID, Actual: e.Corrupt.Actual, Size: e.Corrupt.Size}
	}
	return nil
}

// RemoteError is an error that happened on the server. Its message is the server's; it
// unwraps to the typed error or sentinel that Kind names (nil for "io").
type RemoteError struct {
	Kind string
	Msg  string
	err  error
}

func (e *RemoteError) Error() string { return e.Msg }

// Unwrap returns the typed error or the sentinel of the error's kind.
func (e *RemoteError) Unwrap() error { return e.err }

// sentinels maps hashstore.ErrorKind's words back to the sentinel errors.
var sentinels = map[string]error{
	"invalid_argument":      hashstore.ErrInvalidArgument,
	"unsupported_algorithm": hashstore.ErrUnsupportedAlgorithm,
	"in_progress":           hashstore.ErrInProgress,
	"size_mismatch":         hashstore.ErrSizeMismatch,
	"checksum_mismatch":     hashstore.ErrChecksumMismatch,
	"already_tagged":        hashstore.ErrAlreadyTagged,
	"pid_tagged_elsewhere":  hashstore.ErrPIDTaggedElsewhere,
	"not_found":             hashstore.ErrNotFound,
	"orphan_refs":           hashstore.ErrOrphanRefs,
	"config_mismatch":       hashstore.ErrConfigMismatch,
	"corrupt":               hashstore.ErrCorrupt,
	"read_only":             hashstore.ErrReadOnly,
	"cross_device":          hashstore.ErrCrossDevice,
	"source_changed":        hashstore.ErrSourceChanged,
}

func sentinel(kind string) error {
	if kind == "canceled" {
		return errCanceled
	}
	return sentinels[kind]
}

// errCanceled stands for a request the server gave up because it was cancelled (the client
// went away, or the server is shutting down).
var errCanceled = errors.New("request canceled on the server")

// Status is the HTTP status of a native error of kind: hashstore.ErrorKind's words, and the
// server's own unauthorized, busy, no_route and method_not_allowed.
func Status(kind string) int {
	switch kind {
	case "not_found":
		return http.StatusNotFound
	case "invalid_argument", "unsupported_algorithm", "size_mismatch", "checksum_mismatch":
		return http.StatusBadRequest
	case "already_tagged", "pid_tagged_elsewhere", "in_progress", "orphan_refs":
		return http.StatusConflict
	case "read_only", "method_not_allowed":
		return http.StatusMethodNotAllowed
	case "unauthorized":
		return http.StatusUnauthorized
	case "busy", "canceled":
		return http.StatusServiceUnavailable
	case "no_route":
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// FormatChecksum is the value of one HeaderChecksum.
func FormatChecksum(c hashstore.Checksum) string { return string(c.Algorithm) + "=" + c.Value }

// ParseChecksum reads one HeaderChecksum value. The algorithm is not validated here.
func ParseChecksum(v string) (hashstore.Checksum, error) {
	alg, sum, ok := strings.Cut(v, "=")
	if !ok {
		return hashstore.Checksum{}, fmt.Errorf("%w: %s %q is not ALGORITHM=HEX", hashstore.ErrInvalidArgument, HeaderChecksum, v)
	}
	return hashstore.Checksum{Algorithm: hashstore.Algorithm(strings.TrimSpace(alg)), Value: strings.TrimSpace(sum)}, nil
}
