package sysmeta

import (
	"errors"
	"fmt"
)

// ErrMalformed is matched (via errors.Is) by every error Decode and Parse
// return for input that is not a usable SystemMetadata document at the XML
// level: empty input, an XML syntax error, a root element whose local name
// is not systemMetadata, content after the root element, or input larger
// than MaxDocumentSize. The error message carries the cause, including the
// line number for XML syntax errors.
var ErrMalformed = errors.New("sysmeta: malformed document")

// ErrMissingField is matched (via errors.Is) by every *MissingFieldError.
var ErrMissingField = errors.New("sysmeta: missing required field")

// ErrInvalidField is matched (via errors.Is) by every *InvalidFieldError.
var ErrInvalidField = errors.New("sysmeta: invalid field value")

// MissingFieldError reports that a required field is absent, or present
// with empty or whitespace-only content: for Decode and Parse one of
// identifier, size or checksum; for DecodeDocument, Validate and Encode
// any field the schema requires (see Document.Validate). It matches
// ErrMissingField under errors.Is.
type MissingFieldError struct {
	// Field is the local name of the missing element, e.g. "size", or
	// its path below the root for nested fields, e.g.
	// "replica[1]/replicaVerified".
	Field string
}

// Error returns a message of the form
// `sysmeta: missing required field "size"`.
func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("sysmeta: missing required field %q", e.Field)
}

// Is reports whether target is ErrMissingField, so that
// errors.Is(err, ErrMissingField) holds for any *MissingFieldError.
func (e *MissingFieldError) Is(target error) bool {
	return target == ErrMissingField
}

// InvalidFieldError reports that a field has a value that cannot be
// decoded or encoded: a number, date or boolean that does not parse, a
// checksum whose algorithm attribute is missing or empty, a single-valued
// element that occurs more than once, or (DecodeDocument, Validate and
// Encode) a value the DataONE schema or XML forbids, or an element,
// attribute or text the Document model has no place for. It matches
// ErrInvalidField under errors.Is, and errors.Is/As also see Err.
type InvalidFieldError struct {
	// Field names the offending element by local name ("size",
	// "dateUploaded", ...), or "checksum/@algorithm" for the checksum's
	// algorithm attribute. Nested fields are named by their path below
	// the root, with 1-based positions for repeated elements, e.g.
	// "accessPolicy/allow[2]/permission[1]" or "mediaType/@name".
	Field string
	// Value is the offending text as written (untrimmed).
	Value string
	// Err describes why Value was rejected; it may be nil.
	Err error
}

// Error returns a message of the form
// `sysmeta: invalid size "abc": <reason>`.
func (e *InvalidFieldError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("sysmeta: invalid %s %q", e.Field, e.Value)
	}
	return fmt.Sprintf("sysmeta: invalid %s %q: %v", e.Field, e.Value, e.Err)
}

// Is reports whether target is ErrInvalidField, so that
// errors.Is(err, ErrInvalidField) holds for any *InvalidFieldError.
func (e *InvalidFieldError) Is(target error) bool {
	return target == ErrInvalidField
}

// Unwrap returns Err, the reason the value was rejected.
func (e *InvalidFieldError) Unwrap() error {
	return e.Err
}

// Reasons carried in InvalidFieldError.Err. They are unexported: callers
// distinguish errors by Field, not by reason.
var (
	errNotInteger   = errors.New("not a decimal integer")
	errOutOfRange   = errors.New("out of range for a 64-bit size")
	errNegative     = errors.New("negative size")
	errNotDateTime  = errors.New("not an xs:dateTime (YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])")
	errNotBoolean   = errors.New("not an xs:boolean (true, false, 1 or 0)")
	errNoAlgorithm  = errors.New("checksum algorithm attribute is missing or empty")
	errDuplicate    = errors.New("element occurs more than once")
	errHasElements  = errors.New("element has child elements; want text only")
	errTooLarge     = fmt.Errorf("document exceeds the %d-byte limit", MaxDocumentSize)
	errEmpty        = errors.New("empty input: no root element")
	errTrailingData = errors.New("content after the root element")

	errNotUnsignedLong  = errors.New("not an xs:unsignedLong (decimal integer from 0 to 18446744073709551615)")
	errNotInt           = errors.New("not an xs:int (decimal integer from -2147483648 to 2147483647)")
	errBlank            = errors.New("blank: needs a character other than XML whitespace")
	errWhitespace       = errors.New("identifier contains XML whitespace")
	errTooLong          = fmt.Errorf("identifier longer than %d characters", maxIdentifierLength)
	errNotUTF8          = errors.New("invalid UTF-8")
	errIllegalChar      = errors.New("character not allowed in XML")
	errBadPermission    = errors.New("not a permission (read, write or changePermission)")
	errBadStatus        = errors.New("not a replication status (queued, requested, completed, failed or invalidated)")
	errDateRange        = errors.New("year outside 0001-9999")
	errUnknownElement   = errors.New("element not part of SystemMetadata here")
	errUnknownAttribute = errors.New("attribute not part of SystemMetadata here")
	errUnexpectedText   = errors.New("text where only elements are allowed")
	errNotInV1          = errors.New("element exists only in SystemMetadata v2.0, not in a v1 document")
)

// malformed wraps cause so that the result matches ErrMalformed and cause
// under errors.Is, with the message "sysmeta: malformed document: <cause>".
func malformed(cause error) error {
	return fmt.Errorf("%w: %w", ErrMalformed, cause)
}
