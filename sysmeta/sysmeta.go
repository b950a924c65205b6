// Package sysmeta reads and writes DataONE SystemMetadata documents,
// versions 1 (namespace NamespaceV1) and 2.0 (namespace NamespaceV2). It
// serves two jobs that must not be confused.
//
// Looking inside stored documents: Decode and Parse pick out the handful
// of fields a HashStore needs (SystemMetadata) and skip everything else
// (accessPolicy, replicationPolicy, replica, serialVersion, fileName,
// mediaType, ...), whatever it contains. A document that a user or another
// repository supplies is stored as the exact bytes given; this package
// never re-marshals such a document.
//
// Writing documents that have no stored bytes: system metadata built from
// the rows of Metacat's database must be stored as Metacat itself would
// have written it. Document models every field of a v2 SystemMetadata,
// Encode writes a Document byte for byte as Metacat 3.x's marshaller
// does, and DecodeDocument reads a whole v1 or v2 document into a
// Document, refusing what the model cannot hold, so that documents round
// trip through Encode unchanged.
//
// Decode and Parse match by local name. The root element must be named
// systemMetadata with any (or no) namespace prefix; Version records which
// DataONE namespace it is in. Fields are taken only from direct children
// of the root, whatever their namespace, so an element named identifier
// nested in accessPolicy, replicationPolicy or any other sub-element is
// ignored.
//
// All errors begin with "sysmeta: " and match one of ErrMalformed,
// ErrMissingField or ErrInvalidField under errors.Is, except an error
// returned by the io.Reader given to Decode, which is passed through
// wrapped.
package sysmeta

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxDocumentSize is the largest document, in bytes, that Decode, Parse
// and DecodeDocument accept. Larger input is refused with an error
// matching ErrMalformed. Real SystemMetadata documents are a few
// kilobytes. Encode does not apply the limit.
const MaxDocumentSize = 16 << 20

// Namespaces of the SystemMetadata root element. A root element in
// NamespaceV1 decodes with Version 1, one in NamespaceV2 with Version 2.
const (
	NamespaceV1 = "http://ns.dataone.org/service/types/v1"
	NamespaceV2 = "http://ns.dataone.org/service/types/v2.0"
)

// SystemMetadata holds the fields decoded from a SystemMetadata document.
// String fields are the element text as written, with leading and trailing
// XML whitespace (space, tab, CR, LF) removed; an absent optional element,
// or one with only whitespace in it, yields the zero value.
type SystemMetadata struct {
	// Version is 1 if the root element is in NamespaceV1, 2 if it is in
	// NamespaceV2, and 0 for any other namespace (including none); such
	// documents are still decoded.
	Version int
	// Identifier is the object's persistent identifier (required, never
	// empty). It is not validated beyond being non-blank.
	Identifier string
	// SeriesID is the seriesId element. DataONE defines it only in v2, but
	// it is decoded whenever present.
	SeriesID string
	// FormatID is the formatId element, e.g. "text/csv".
	FormatID string
	// Size is the object's size in bytes (required, never negative).
	Size int64
	// Checksum is the checksum element's text (required, never empty).
	// It is not checked against ChecksumAlgorithm.
	Checksum string
	// ChecksumAlgorithm is the checksum element's algorithm attribute as
	// written, e.g. "MD5", "SHA-1" or "SHA-256" (required, never empty).
	ChecksumAlgorithm string
	// Submitter and RightsHolder are DataONE subjects.
	Submitter, RightsHolder string
	// Obsoletes and ObsoletedBy are the identifiers of the previous and
	// next versions of the object in its revision chain.
	Obsoletes, ObsoletedBy string
	// Archived is nil when the archived element is absent, otherwise a
	// pointer to its value.
	Archived *bool
	// DateUploaded is the dateUploaded element, in UTC; zero when absent.
	// A timestamp written without a zone is taken to be in UTC.
	DateUploaded time.Time
	// DateSysMetadataModified is the dateSysMetadataModified element,
	// under the same rules as DateUploaded.
	DateSysMetadataModified time.Time
	// OriginMemberNode and AuthoritativeMemberNode are DataONE node
	// identifiers such as "urn:node:KNB".
	OriginMemberNode, AuthoritativeMemberNode string
}

// Decode reads a SystemMetadata document from r, streaming it through
// encoding/xml, and reads r to its end: the document must be the whole of
// r. It refuses input longer than MaxDocumentSize after reading at most
// MaxDocumentSize+1 bytes.
//
// Errors, all prefixed "sysmeta: ":
//   - empty input, an XML syntax error (reported with its line), a root
//     element not named systemMetadata, anything but comments, processing
//     instructions and whitespace after the root element, or input over
//     MaxDocumentSize: an error matching ErrMalformed;
//   - a required field (identifier, size, checksum) absent or blank: a
//     *MissingFieldError;
//   - a field present with a value that cannot be decoded (see
//     InvalidFieldError), or a decoded field given more than once: an
//     *InvalidFieldError;
//   - a read error from r: that error, wrapped.
//
// When several fields are at fault, the first in the order identifier,
// formatId, size, checksum, submitter, rightsHolder, obsoletes,
// obsoletedBy, archived, dateUploaded, dateSysMetadataModified,
// originMemberNode, authoritativeMemberNode, seriesId is reported. Errors
// in the XML take precedence over errors in fields.
//
// On success the result has a non-empty Identifier, Checksum and
// ChecksumAlgorithm and a non-negative Size.
func Decode(r io.Reader) (*SystemMetadata, error) {
	return decode(&capReader{r: r, left: MaxDocumentSize})
}

// Parse decodes the SystemMetadata document held in data. It behaves
// exactly like Decode(bytes.NewReader(data)), except that input longer
// than MaxDocumentSize is refused without being parsed. Parse does not
// retain data.
func Parse(data []byte) (*SystemMetadata, error) {
	if len(data) > MaxDocumentSize {
		return nil, malformed(errTooLarge)
	}
	return decode(&capReader{r: bytes.NewReader(data), left: MaxDocumentSize})
}

// capReader passes reads through to r until more than left bytes would
// have been read in total, after which it fails with errTooLarge. It
// remembers the last error from r other than io.EOF so that decode can tell
// I/O failures apart from malformed XML.
type capReader struct {
	r       io.Reader
	left    int64
	readErr error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errTooLarge
	}
	// Ask for one byte beyond the limit so that input of exactly the
	// limit is accepted and anything longer is detected.
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, errTooLarge
	}
	if err != nil && err != io.EOF {
		c.readErr = err
	}
	return n, err
}

// Indexes of the decoded fields in fieldNames and rawDoc.fields. Their
// order is the order in which decode reports field errors.
const (
	fIdentifier = iota
	fFormatID
	fSize
	fChecksum
	fSubmitter
	fRightsHolder
	fObsoletes
	fObsoletedBy
	fArchived
	fDateUploaded
	fDateSysMetadataModified
	fOriginMemberNode
	fAuthoritativeMemberNode
	fSeriesID
	numFields
)

// fieldNames are the local names of the decoded child elements.
var fieldNames = [numFields]string{
	fIdentifier:              "identifier",
	fFormatID:                "formatId",
	fSize:                    "size",
	fChecksum:                "checksum",
	fSubmitter:               "submitter",
	fRightsHolder:            "rightsHolder",
	fObsoletes:               "obsoletes",
	fObsoletedBy:             "obsoletedBy",
	fArchived:                "archived",
	fDateUploaded:            "dateUploaded",
	fDateSysMetadataModified: "dateSysMetadataModified",
	fOriginMemberNode:        "originMemberNode",
	fAuthoritativeMemberNode: "authoritativeMemberNode",
	fSeriesID:                "seriesId",
}

// fieldIndex maps a local element name to its index in fieldNames.
var fieldIndex = func() map[string]int {
	m := make(map[string]int, numFields)
	for i, name := range fieldNames {
		m[name] = i
	}
	return m
}()

// rawField is one decoded child element as found in the document, before
// its value is checked.
type rawField struct {
	count       int    // occurrences seen
	text        string // text of the first occurrence, untrimmed
	dupText     string // text of the second occurrence, untrimmed
	hasChildren bool   // the first occurrence contained child elements
}

// rawDoc is everything decode collects while streaming, before checking.
type rawDoc struct {
	namespace string
	fields    [numFields]rawField
	algorithm *string // the first checksum element's algorithm attribute
}

func decode(cr *capReader) (*SystemMetadata, error) {
	d := newDecoder(cr)
	// fail turns an error from d into the error decode returns.
	fail := func(err error) error {
		if err == io.EOF {
			// Token reports unclosed elements as a syntax error itself,
			// so a bare EOF here means there was no root element.
			return malformed(errEmpty)
		}
		if cr.readErr != nil && err == cr.readErr {
			return fmt.Errorf("sysmeta: reading document: %w", err)
		}
		return malformed(err)
	}

	root, err := findRoot(d)
	if err != nil {
		return nil, fail(err)
	}
	raw := rawDoc{namespace: root.Name.Space}

	// Read the root's content. Only direct children are considered: every
	// child that is not a decoded field is skipped whole.
	for done := false; !done; {
		tok, err := d.Token()
		if err != nil {
			return nil, fail(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			done = true // the root's end tag; Token checks that it matches
		case xml.StartElement:
			i, ok := fieldIndex[t.Name.Local]
			if !ok {
				if err := d.Skip(); err != nil {
					return nil, fail(err)
				}
				continue
			}
			if err := readField(d, t, i, &raw); err != nil {
				return nil, fail(err)
			}
		}
	}

	if err := checkTrailer(d); err != nil {
		return nil, fail(err)
	}
	return raw.build()
}

// findRoot returns the root element's start tag. Before it, only the XML
// declaration, processing instructions, comments, a DOCTYPE and whitespace
// are allowed.
func findRoot(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "systemMetadata" {
				line, _ := d.InputPos()
				return xml.StartElement{}, fmt.Errorf("line %d: root element is <%s>, want <systemMetadata>", line, qname(t.Name))
			}
			return t, nil
		case xml.CharData:
			if !isBlank(t) {
				line, _ := d.InputPos()
				return xml.StartElement{}, fmt.Errorf("line %d: text before the root element", line)
			}
		}
	}
}

// checkTrailer reads the rest of the input after the root element and
// accepts only comments, processing instructions and whitespace.
func checkTrailer(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if !isBlank(t) {
				line, _ := d.InputPos()
				return fmt.Errorf("line %d: %w", line, errTrailingData)
			}
		default:
			line, _ := d.InputPos()
			return fmt.Errorf("line %d: %w", line, errTrailingData)
		}
	}
}

// readField reads the content of the field element start, whose start tag
// has just been consumed, into raw.fields[i], up to and including its end
// tag.
func readField(d *xml.Decoder, start xml.StartElement, i int, raw *rawDoc) error {
	f := &raw.fields[i]
	f.count++
	if i == fChecksum && f.count == 1 {
		var err error
		raw.algorithm, err = algorithmAttr(d, start)
		if err != nil {
			return err
		}
	}
	var text strings.Builder
	hasChildren := false
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			hasChildren = true
			if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			switch f.count {
			case 1:
				f.text, f.hasChildren = text.String(), hasChildren
			case 2:
				f.dupText = text.String()
			}
			return nil
		}
	}
}

// algorithmAttr returns the unqualified algorithm attribute of the checksum
// element start, or nil if it has none. Two such attributes make the
// document not well-formed.
func algorithmAttr(d *xml.Decoder, start xml.StartElement) (*string, error) {
	var alg *string
	for _, a := range start.Attr {
		if a.Name.Space != "" || a.Name.Local != "algorithm" {
			continue
		}
		if alg != nil {
			line, _ := d.InputPos()
			return nil, fmt.Errorf("line %d: attribute algorithm given twice on <%s>", line, qname(start.Name))
		}
		v := a.Value
		alg = &v
	}
	return alg, nil
}

// build checks the collected fields in field order and converts them,
// reporting the first problem found.
func (raw *rawDoc) build() (*SystemMetadata, error) {
	m := &SystemMetadata{}
	switch raw.namespace {
	case NamespaceV1:
		m.Version = 1
	case NamespaceV2:
		m.Version = 2
	}
	strs := [numFields]*string{
		fFormatID:                &m.FormatID,
		fSubmitter:               &m.Submitter,
		fRightsHolder:            &m.RightsHolder,
		fObsoletes:               &m.Obsoletes,
		fObsoletedBy:             &m.ObsoletedBy,
		fOriginMemberNode:        &m.OriginMemberNode,
		fAuthoritativeMemberNode: &m.AuthoritativeMemberNode,
		fSeriesID:                &m.SeriesID,
	}
	for i := range numFields {
		f := &raw.fields[i]
		name := fieldNames[i]
		if f.count > 1 {
			return nil, &InvalidFieldError{Field: name, Value: f.dupText, Err: errDuplicate}
		}
		if f.hasChildren {
			return nil, &InvalidFieldError{Field: name, Value: f.text, Err: errHasElements}
		}
		s := trimXMLSpace(f.text)
		invalid := func(err error) error {
			return &InvalidFieldError{Field: name, Value: f.text, Err: err}
		}
		switch i {
		case fIdentifier, fSize, fChecksum:
			if s == "" {
				return nil, &MissingFieldError{Field: name}
			}
		}
		var err error
		switch i {
		case fIdentifier:
			m.Identifier = s
		case fSize:
			if m.Size, err = parseSize(s); err != nil {
				return nil, invalid(err)
			}
		case fChecksum:
			m.Checksum = s
			var alg string
			if raw.algorithm != nil {
				alg = *raw.algorithm
			}
			if m.ChecksumAlgorithm = trimXMLSpace(alg); m.ChecksumAlgorithm == "" {
				return nil, &InvalidFieldError{Field: "checksum/@algorithm", Value: alg, Err: errNoAlgorithm}
			}
		case fArchived:
			if s != "" {
				b, err := parseBool(s)
				if err != nil {
					return nil, invalid(err)
				}
				m.Archived = &b
			}
		case fDateUploaded, fDateSysMetadataModified:
			if s != "" {
				t, err := parseDateTime(s)
				if err != nil {
					return nil, invalid(err)
				}
				if i == fDateUploaded {
					m.DateUploaded = t
				} else {
					m.DateSysMetadataModified = t
				}
			}
		default:
			*strs[i] = s
		}
	}
	return m, nil
}

// parseSize parses a trimmed size: a decimal integer (an optional sign is
// allowed, as in xs:unsignedLong) that fits an int64 and is not negative.
func parseSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errOutOfRange
		}
		return 0, errNotInteger
	}
	if n < 0 {
		return 0, errNegative
	}
	return n, nil
}

// parseBool parses a trimmed xs:boolean.
func parseBool(s string) (bool, error) {
	switch s {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errNotBoolean
}

// dateTimeShape is the lexical form of xs:dateTime accepted here: four-digit
// year, optional fractional seconds of any length, optional zone that is
// either Z or ±hh:mm.
var dateTimeShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$`)

// parseDateTime parses a trimmed xs:dateTime and returns it in UTC. A value
// without a zone is taken to be in UTC. Fractional seconds beyond
// nanoseconds are truncated.
func parseDateTime(s string) (time.Time, error) {
	m := dateTimeShape.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, errNotDateTime
	}
	layout := time.RFC3339 // fractional seconds are accepted when parsing
	if m[2] == "" {
		layout = "2006-01-02T15:04:05"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %w", errNotDateTime, err)
	}
	return t.UTC(), nil
}

// trimXMLSpace removes leading and trailing XML whitespace (space, tab, CR
// and LF) but no other Unicode space.
func trimXMLSpace(s string) string {
	return strings.Trim(s, " \t\r\n")
}

// isBlank reports whether b consists of XML whitespace only.
func isBlank(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// qname formats an element name for messages: the local name, preceded by
// its namespace in braces when it has one.
func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}
