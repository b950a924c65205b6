package sysmeta

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// xsiNamespace is the XML Schema instance namespace; its attributes (such
// as xsi:schemaLocation) are allowed on the root element and ignored.
const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// DecodeDocument decodes a whole SystemMetadata document, version 1
// (NamespaceV1) or 2.0 (NamespaceV2), into a Document. Unlike Decode and
// Parse, it keeps everything and refuses what it cannot keep: whatever
// DecodeDocument accepts, Encode can write, and Encode's output decodes
// back to an equal Document.
//
// Reading rules:
//   - The root element must be systemMetadata in NamespaceV1 or
//     NamespaceV2, with any prefix; other attributes than namespace
//     declarations and xsi:* on the root are refused. A v1 document decodes
//     into the same model; seriesId, mediaType and fileName are refused
//     under a v1 root, since v1 does not define them.
//   - Child elements are matched by local name whatever their namespace
//     (Metacat's own output leaves them unqualified), in any order;
//     single-valued elements may occur once. Elements, attributes or text
//     the model has no place for are refused rather than dropped.
//   - String values are kept exactly as written, whitespace included (the
//     schema's string types preserve whitespace); numbers, booleans, dates,
//     permissions and replication statuses are taken with surrounding XML
//     whitespace removed.
//   - Dates are read as xs:dateTime (no zone means UTC) and kept in UTC,
//     cut to the millisecond as a java.util.Date holds them.
//   - A property element written self-closed gets a nil Value, one with a
//     start and an end tag a non-nil (possibly empty) Value, so that the
//     two encode back as they were.
//   - A replicationPolicy with neither attributes nor member nodes, and an
//     accessPolicy without allow rules, decode to nil: the marshaller
//     would not write them.
//
// Errors, all prefixed "sysmeta: ":
//   - input over MaxDocumentSize, empty input, an XML syntax error, a root
//     element that is not systemMetadata in one of the two namespaces, or
//     anything but comments, processing instructions and whitespace after
//     it: an error matching ErrMalformed;
//   - otherwise the first field problem in document order (a value that
//     does not parse, a repeated single-valued element, an element,
//     attribute or text the model has no place for): an
//     *InvalidFieldError, or a *MissingFieldError for a required attribute
//     that is absent;
//   - otherwise a required element that is absent (identifier, formatId,
//     size, checksum, rightsHolder, in that order): a *MissingFieldError;
//   - otherwise whatever Validate reports for the decoded Document.
//
// DecodeDocument does not retain data.
func DecodeDocument(data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, malformed(errTooLarge)
	}
	// A UTF-16 document is converted first, so that the decoder's offsets are offsets into
	// the data startTagSelfClosed looks at.
	data = fromUTF16(data)
	p := &docParser{data: data, d: newDecoder(bytes.NewReader(data)), seen: map[string]bool{}}
	doc, err := p.parse()
	if err != nil {
		if err == io.EOF {
			return nil, malformed(errEmpty)
		}
		return nil, malformed(err)
	}
	if p.fieldErr != nil {
		return nil, p.fieldErr
	}
	for _, name := range []string{"identifier", "formatId", "size", "checksum", "rightsHolder"} {
		if !p.seen[name] {
			return nil, &MissingFieldError{Field: name}
		}
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// docParser holds the state of one DecodeDocument call. Errors in the
// XML itself are returned up the call chain at once; field problems are
// recorded in fieldErr (the first one only) and parsing goes on, so that
// a later XML error still takes precedence.
type docParser struct {
	data     []byte
	d        *xml.Decoder
	v1       bool            // the root is in NamespaceV1
	seen     map[string]bool // single-valued root children already read
	fieldErr error
}

// rootPath names the root element in errors about its own attributes and
// text.
const rootPath = "systemMetadata"

// v2Only are the root children that SystemMetadata v1 does not define.
var v2Only = map[string]bool{"seriesId": true, "mediaType": true, "fileName": true}

func (p *docParser) fail(err error) {
	if p.fieldErr == nil {
		p.fieldErr = err
	}
}

func (p *docParser) parse() (*Document, error) {
	root, err := findRoot(p.d)
	if err != nil {
		return nil, err
	}
	switch root.Name.Space {
	case NamespaceV1:
		p.v1 = true
	case NamespaceV2:
	default:
		line, _ := p.d.InputPos()
		return nil, fmt.Errorf("line %d: root element <%s> is not in the SystemMetadata v1 or v2.0 namespace", line, qname(root.Name))
	}
	if _, err := p.attrs(root, rootPath, true); err != nil {
		return nil, err
	}
	doc := &Document{}
	if err := p.children(rootPath, func(se xml.StartElement) error { return p.rootChild(doc, se) }); err != nil {
		return nil, err
	}
	if err := checkTrailer(p.d); err != nil {
		return nil, err
	}
	return doc, nil
}

// rootChild reads the child se of the root, up to its end tag, into doc.
func (p *docParser) rootChild(doc *Document, se xml.StartElement) error {
	name := se.Name.Local
	if p.v1 && v2Only[name] {
		p.fail(&InvalidFieldError{Field: name, Err: errNotInV1})
		return p.d.Skip()
	}
	switch name {
	case "replica":
		r, err := p.replica(se, indexed("replica", len(doc.Replicas)))
		doc.Replicas = append(doc.Replicas, r)
		return err
	case "serialVersion", "identifier", "formatId", "size", "checksum", "submitter",
		"rightsHolder", "accessPolicy", "replicationPolicy", "obsoletes", "obsoletedBy",
		"archived", "dateUploaded", "dateSysMetadataModified", "originMemberNode",
		"authoritativeMemberNode", "seriesId", "mediaType", "fileName":
		if p.seen[name] {
			p.fail(&InvalidFieldError{Field: name, Err: errDuplicate})
			return p.d.Skip()
		}
		p.seen[name] = true
	default:
		return p.unknown(se, "")
	}

	var err error
	switch name {
	case "checksum":
		doc.Checksum, err = p.checksum(se)
	case "accessPolicy":
		doc.AccessPolicy, err = p.accessPolicy(se)
	case "replicationPolicy":
		doc.ReplicationPolicy, err = p.replicationPolicy(se)
	case "mediaType":
		doc.MediaType, err = p.mediaType(se)
	default:
		err = p.rootLeaf(doc, se)
	}
	return err
}

// rootLeaf reads a text-only child of the root.
func (p *docParser) rootLeaf(doc *Document, se xml.StartElement) error {
	name := se.Name.Local
	s, err := p.leaf(se, name)
	if err != nil {
		return err
	}
	switch name {
	case "serialVersion":
		if v, ok := p.unsignedLong(name, s); ok {
			doc.SerialVersion = &v
		}
	case "identifier":
		doc.Identifier = s
	case "formatId":
		doc.FormatID = s
	case "size":
		doc.Size, _ = p.unsignedLong(name, s)
	case "submitter":
		doc.Submitter = &s
	case "rightsHolder":
		doc.RightsHolder = s
	case "obsoletes":
		doc.Obsoletes = &s
	case "obsoletedBy":
		doc.ObsoletedBy = &s
	case "archived":
		if b, ok := p.boolean(name, s); ok {
			doc.Archived = &b
		}
	case "dateUploaded":
		if t, ok := p.date(name, s); ok {
			doc.DateUploaded = &t
		}
	case "dateSysMetadataModified":
		if t, ok := p.date(name, s); ok {
			doc.DateSysMetadataModified = &t
		}
	case "originMemberNode":
		doc.OriginMemberNode = &s
	case "authoritativeMemberNode":
		doc.AuthoritativeMemberNode = &s
	case "seriesId":
		doc.SeriesID = &s
	case "fileName":
		doc.FileName = &s
	}
	return nil
}

func (p *docParser) checksum(se xml.StartElement) (Checksum, error) {
	a, err := p.attrs(se, "checksum", false, "algorithm")
	if err != nil {
		return Checksum{}, err
	}
	value, err := p.text("checksum")
	// A missing algorithm stays empty; Validate reports it.
	return Checksum{Algorithm: a["algorithm"], Value: value}, err
}

func (p *docParser) accessPolicy(se xml.StartElement) ([]AccessRule, error) {
	const path = "accessPolicy"
	if _, err := p.attrs(se, path, false); err != nil {
		return nil, err
	}
	var rules []AccessRule
	err := p.children(path, func(c xml.StartElement) error {
		if c.Name.Local != "allow" {
			return p.unknown(c, path)
		}
		rule, err := p.allow(c, indexed(path+"/allow", len(rules)))
		rules = append(rules, rule)
		return err
	})
	return rules, err
}

func (p *docParser) allow(se xml.StartElement, path string) (AccessRule, error) {
	var r AccessRule
	if _, err := p.attrs(se, path, false); err != nil {
		return r, err
	}
	err := p.children(path, func(c xml.StartElement) error {
		switch c.Name.Local {
		case "subject":
			s, err := p.leaf(c, indexed(path+"/subject", len(r.Subjects)))
			r.Subjects = append(r.Subjects, s)
			return err
		case "permission":
			s, err := p.leaf(c, indexed(path+"/permission", len(r.Permissions)))
			r.Permissions = append(r.Permissions, Permission(trimXMLSpace(s)))
			return err
		}
		return p.unknown(c, path)
	})
	return r, err
}

func (p *docParser) replicationPolicy(se xml.StartElement) (*ReplicationPolicy, error) {
	const path = "replicationPolicy"
	a, err := p.attrs(se, path, false, "replicationAllowed", "numberReplicas")
	if err != nil {
		return nil, err
	}
	rp := &ReplicationPolicy{}
	if v, ok := a["replicationAllowed"]; ok {
		if b, ok := p.boolean(path+"/@replicationAllowed", v); ok {
			rp.ReplicationAllowed = &b
		}
	}
	if v, ok := a["numberReplicas"]; ok {
		if n, ok := p.int32(path+"/@numberReplicas", v); ok {
			rp.NumberReplicas = &n
		}
	}
	err = p.children(path, func(c xml.StartElement) error {
		var list *[]string
		switch c.Name.Local {
		case "preferredMemberNode":
			list = &rp.PreferredMemberNodes
		case "blockedMemberNode":
			list = &rp.BlockedMemberNodes
		default:
			return p.unknown(c, path)
		}
		s, err := p.leaf(c, indexed(path+"/"+c.Name.Local, len(*list)))
		*list = append(*list, s)
		return err
	})
	if len(rp.PreferredMemberNodes)+len(rp.BlockedMemberNodes) == 0 &&
		rp.ReplicationAllowed == nil && rp.NumberReplicas == nil {
		return nil, err
	}
	return rp, err
}

func (p *docParser) replica(se xml.StartElement, path string) (Replica, error) {
	var r Replica
	if _, err := p.attrs(se, path, false); err != nil {
		return r, err
	}
	seen := map[string]bool{}
	err := p.children(path, func(c xml.StartElement) error {
		name := c.Name.Local
		switch name {
		case "replicaMemberNode", "replicationStatus", "replicaVerified":
		default:
			return p.unknown(c, path)
		}
		field := path + "/" + name
		if seen[name] {
			p.fail(&InvalidFieldError{Field: field, Err: errDuplicate})
			return p.d.Skip()
		}
		seen[name] = true
		s, err := p.leaf(c, field)
		switch name {
		case "replicaMemberNode":
			r.MemberNode = s
		case "replicationStatus":
			r.Status = ReplicationStatus(trimXMLSpace(s))
		case "replicaVerified":
			if t, ok := p.date(field, s); ok {
				r.Verified = t
			}
		}
		return err
	})
	return r, err
}

func (p *docParser) mediaType(se xml.StartElement) (*MediaType, error) {
	const path = "mediaType"
	a, err := p.attrs(se, path, false, "name")
	if err != nil {
		return nil, err
	}
	mt := &MediaType{}
	if v, ok := a["name"]; ok {
		mt.Name = v
	} else {
		p.fail(&MissingFieldError{Field: path + "/@name"})
	}
	err = p.children(path, func(c xml.StartElement) error {
		if c.Name.Local != "property" {
			return p.unknown(c, path)
		}
		prop, err := p.property(c, indexed(path+"/property", len(mt.Properties)))
		mt.Properties = append(mt.Properties, prop)
		return err
	})
	return mt, err
}

// property reads a property element whose start tag se has just been
// read; it must be called before any further token is read.
func (p *docParser) property(se xml.StartElement, path string) (MediaTypeProperty, error) {
	var prop MediaTypeProperty
	selfClosed := p.startTagSelfClosed()
	a, err := p.attrs(se, path, false, "name")
	if err != nil {
		return prop, err
	}
	if v, ok := a["name"]; ok {
		prop.Name = v
	} else {
		p.fail(&MissingFieldError{Field: path + "/@name"})
	}
	value, err := p.text(path)
	if !selfClosed {
		prop.Value = &value
	}
	return prop, err
}

// startTagSelfClosed reports whether the start tag just read ended in
// "/>". encoding/xml reports <a/> and <a></a> alike; the input offset,
// which is just past the tag, tells them apart.
func (p *docParser) startTagSelfClosed() bool {
	off := p.d.InputOffset()
	return off >= 2 && off <= int64(len(p.data)) && string(p.data[off-2:off]) == "/>"
}

// children reads the content of an element that holds elements only, up
// to and including its end tag, calling f for each child start tag; f
// must consume the child up to and including its end tag. Text other than
// whitespace is a field problem of path.
func (p *docParser) children(path string, f func(xml.StartElement) error) error {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := f(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		case xml.CharData:
			if !isBlank(t) {
				p.fail(&InvalidFieldError{Field: path, Value: string(t), Err: errUnexpectedText})
			}
		}
	}
}

// leaf reads a text-only element without attributes whose start tag se
// has just been read, and returns its text.
func (p *docParser) leaf(se xml.StartElement, path string) (string, error) {
	if _, err := p.attrs(se, path, false); err != nil {
		return "", err
	}
	return p.text(path)
}

// text reads character data up to and including the current element's
// end tag. Comments and processing instructions are skipped; a child
// element is a field problem of path.
func (p *docParser) text(path string) (string, error) {
	var b strings.Builder
	for {
		tok, err := p.d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			p.fail(&InvalidFieldError{Field: path, Value: b.String(), Err: errHasElements})
			if err := p.d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// attrs returns the values of the unqualified attributes of se named in
// names. Namespace declarations are ignored, and so are xsi:* attributes
// if allowXSI; any other attribute is a field problem. An attribute given
// twice makes the document not well-formed.
func (p *docParser) attrs(se xml.StartElement, path string, allowXSI bool, names ...string) (map[string]string, error) {
	found := map[string]string{}
	for _, a := range se.Attr {
		switch {
		case a.Name.Space == "xmlns", a.Name.Space == "" && a.Name.Local == "xmlns":
		case a.Name.Space == xsiNamespace && allowXSI:
		case a.Name.Space == "" && slices.Contains(names, a.Name.Local):
			if _, dup := found[a.Name.Local]; dup {
				line, _ := p.d.InputPos()
				return nil, fmt.Errorf("line %d: attribute %s given twice on <%s>", line, a.Name.Local, qname(se.Name))
			}
			found[a.Name.Local] = a.Value
		default:
			p.fail(&InvalidFieldError{Field: path + "/@" + qname(a.Name), Value: a.Value, Err: errUnknownAttribute})
		}
	}
	return found, nil
}

// unknown records se, a child of parent ("" for the root) that the model
// has no place for, and skips it.
func (p *docParser) unknown(se xml.StartElement, parent string) error {
	field := qname(se.Name)
	if parent != "" {
		field = parent + "/" + field
	}
	p.fail(&InvalidFieldError{Field: field, Err: errUnknownElement})
	return p.d.Skip()
}

// unsignedLong parses an xs:unsignedLong; on failure it records a field
// problem and returns false.
func (p *docParser) unsignedLong(field, s string) (uint64, bool) {
	t := trimXMLSpace(s)
	digits := strings.TrimPrefix(t, "+")
	if rest, neg := strings.CutPrefix(t, "-"); neg && rest != "" && strings.Trim(rest, "0") == "" {
		digits = rest // "-0" is a lexical form of zero
	}
	if digits != "" && digits[0] >= '0' && digits[0] <= '9' {
		if v, err := strconv.ParseUint(digits, 10, 64); err == nil {
			return v, true
		}
	}
	p.fail(&InvalidFieldError{Field: field, Value: s, Err: errNotUnsignedLong})
	return 0, false
}

// int32 parses an xs:int; on failure it records a field problem and
// returns false.
func (p *docParser) int32(field, s string) (int32, bool) {
	n, err := strconv.ParseInt(trimXMLSpace(s), 10, 32)
	if err != nil {
		p.fail(&InvalidFieldError{Field: field, Value: s, Err: errNotInt})
		return 0, false
	}
	return int32(n), true
}

// boolean parses an xs:boolean; on failure it records a field problem and
// returns false.
func (p *docParser) boolean(field, s string) (bool, bool) {
	b, err := parseBool(trimXMLSpace(s))
	if err != nil {
		p.fail(&InvalidFieldError{Field: field, Value: s, Err: err})
		return false, false
	}
	return b, true
}

// date parses an xs:dateTime into UTC, cut to the millisecond; on failure
// it records a field problem and returns false.
func (p *docParser) date(field, s string) (time.Time, bool) {
	t, err := parseDateTime(trimXMLSpace(s))
	if err != nil {
		p.fail(&InvalidFieldError{Field: field, Value: s, Err: err})
		return time.Time{}, false
	}
	return t.Truncate(time.Millisecond), true
}
