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

// MissingFieldError reports that a required field (identifier, size or
// checksum) is absent from a well-formed document, or present with empty
// or whitespace-only content. It matches ErrMissingField under errors.Is.
type MissingFieldError struct {
	// Field is the local name of the missing element, e.g. "size".
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

// InvalidFieldError reports that a field of a well-formed document has a
// value that cannot be decoded: a size that is not a non-negative decimal
// integer, a date that is not an xs:dateTime, an archived flag that is not
// an xs:boolean, a checksum whose algorithm attribute is missing or empty,
// or a single-valued element that occurs more than once. It matches
// ErrInvalidField under errors.Is, and errors.Is/As also see Err.
type InvalidFieldError struct {
	// Field names the offending element by local name ("size",
	// "dateUploaded", ...), or "checksum/@algorithm" for the checksum's
	// algorithm attribute.
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
)

// malformed wraps cause so that the result matches ErrMalformed and cause
// under errors.Is, with the message "sysmeta: malformed document: <cause>".
func malformed(cause error) error {
	return fmt.Errorf("%w: %w", ErrMalformed, cause)
}
