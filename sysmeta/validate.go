package sysmeta

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxIdentifierLength is the schema's maxLength for identifiers, counted
// in characters (code points), not bytes.
const maxIdentifierLength = 800

// Validate reports whether Encode can write d, and if not, why. The rules
// are those under which Metacat's marshaller, which validates against the
// DataONE schemas, fails or would write broken XML; d is not changed.
//
//   - identifier, formatId, checksum and rightsHolder empty or blank: a
//     *MissingFieldError; a blank checksum algorithm: an
//     *InvalidFieldError for "checksum/@algorithm" (the schema would take
//     an empty algorithm, but a HashStore cannot use one, and Decode
//     refuses it too).
//   - Identifiers (identifier, obsoletes, obsoletedBy, seriesId) holding
//     XML whitespace (space, tab, CR, LF) or longer than 800 characters,
//     and optional subjects or node identifiers that are present but
//     blank: an *InvalidFieldError.
//   - An access rule without subjects or without permissions, a replica
//     without member node, status or verification date: a
//     *MissingFieldError; a permission or replication status outside the
//     defined values: an *InvalidFieldError.
//   - A date outside the years 0001 to 9999 (after conversion to UTC): an
//     *InvalidFieldError.
//   - Any string holding invalid UTF-8 or a character XML 1.0 forbids
//     (control characters other than tab, LF and CR; U+FFFE; U+FFFF): an
//     *InvalidFieldError. The marshaller would write such characters as
//     they are and produce a document no XML parser accepts; Validate
//     refuses them instead.
//
// Field names the offending element or attribute by its path below the
// root, with 1-based positions for repeated elements, e.g.
// "accessPolicy/allow[2]/subject[1]" or "mediaType/property[1]/@name".
// The first problem in element order is reported.
func (d *Document) Validate() error {
	checks := []func() error{
		func() error { return checkIdentifier("identifier", d.Identifier, true) },
		func() error { return checkRequired("formatId", d.FormatID) },
		func() error { return checkRequired("checksum", d.Checksum.Value) },
		func() error {
			if isXMLBlank(d.Checksum.Algorithm) {
				return &InvalidFieldError{Field: "checksum/@algorithm", Value: d.Checksum.Algorithm, Err: errNoAlgorithm}
			}
			return checkChars("checksum/@algorithm", d.Checksum.Algorithm)
		},
		func() error { return checkOptional("submitter", d.Submitter) },
		func() error { return checkRequired("rightsHolder", d.RightsHolder) },
		d.validateAccessPolicy,
		d.validateReplicationPolicy,
		func() error { return checkOptionalIdentifier("obsoletes", d.Obsoletes) },
		func() error { return checkOptionalIdentifier("obsoletedBy", d.ObsoletedBy) },
		func() error { return checkOptionalDate("dateUploaded", d.DateUploaded) },
		func() error { return checkOptionalDate("dateSysMetadataModified", d.DateSysMetadataModified) },
		func() error { return checkOptional("originMemberNode", d.OriginMemberNode) },
		func() error { return checkOptional("authoritativeMemberNode", d.AuthoritativeMemberNode) },
		d.validateReplicas,
		func() error { return checkOptionalIdentifier("seriesId", d.SeriesID) },
		d.validateMediaType,
		func() error {
			if d.FileName == nil {
				return nil
			}
			return checkChars("fileName", *d.FileName)
		},
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (d *Document) validateAccessPolicy() error {
	for i, rule := range d.AccessPolicy {
		path := indexed("accessPolicy/allow", i)
		if len(rule.Subjects) == 0 {
			return &MissingFieldError{Field: path + "/subject"}
		}
		for j, s := range rule.Subjects {
			if err := checkRequired(indexed(path+"/subject", j), s); err != nil {
				return err
			}
		}
		if len(rule.Permissions) == 0 {
			return &MissingFieldError{Field: path + "/permission"}
		}
		for j, p := range rule.Permissions {
			if !p.valid() {
				return &InvalidFieldError{Field: indexed(path+"/permission", j), Value: string(p), Err: errBadPermission}
			}
		}
	}
	return nil
}

func (d *Document) validateReplicationPolicy() error {
	rp := d.ReplicationPolicy
	if rp == nil {
		return nil
	}
	for _, list := range []struct {
		name  string
		nodes []string
	}{
		{"replicationPolicy/preferredMemberNode", rp.PreferredMemberNodes},
		{"replicationPolicy/blockedMemberNode", rp.BlockedMemberNodes},
	} {
		for i, n := range list.nodes {
			if err := checkOptional(indexed(list.name, i), &n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Document) validateReplicas() error {
	for i, r := range d.Replicas {
		path := indexed("replica", i)
		if err := checkRequired(path+"/replicaMemberNode", r.MemberNode); err != nil {
			return err
		}
		switch {
		case r.Status == "":
			return &MissingFieldError{Field: path + "/replicationStatus"}
		case !r.Status.valid():
			return &InvalidFieldError{Field: path + "/replicationStatus", Value: string(r.Status), Err: errBadStatus}
		}
		// The zero time means unset; so does anything that is written as
		// it, or the document would not decode back.
		if r.Verified.Truncate(time.Millisecond).IsZero() {
			return &MissingFieldError{Field: path + "/replicaVerified"}
		}
		if err := checkDate(path+"/replicaVerified", r.Verified); err != nil {
			return err
		}
	}
	return nil
}

func (d *Document) validateMediaType() error {
	mt := d.MediaType
	if mt == nil {
		return nil
	}
	if err := checkChars("mediaType/@name", mt.Name); err != nil {
		return err
	}
	for i, p := range mt.Properties {
		path := indexed("mediaType/property", i)
		if err := checkChars(path+"/@name", p.Name); err != nil {
			return err
		}
		if p.Value != nil {
			if err := checkChars(path, *p.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p Permission) valid() bool {
	switch p {
	case PermissionRead, PermissionWrite, PermissionChangePermission:
		return true
	}
	return false
}

func (s ReplicationStatus) valid() bool {
	switch s {
	case StatusQueued, StatusRequested, StatusCompleted, StatusFailed, StatusInvalidated:
		return true
	}
	return false
}

// checkRequired applies the schema's non-empty-string rule (at least one
// character other than XML whitespace) to a required field.
func checkRequired(field, s string) error {
	if isXMLBlank(s) {
		return &MissingFieldError{Field: field}
	}
	return checkChars(field, s)
}

// checkOptional applies the non-empty-string rule to an optional field:
// absent is fine, present and blank is not.
func checkOptional(field string, s *string) error {
	if s == nil {
		return nil
	}
	if isXMLBlank(*s) {
		return &InvalidFieldError{Field: field, Value: *s, Err: errBlank}
	}
	return checkChars(field, *s)
}

func checkOptionalIdentifier(field string, s *string) error {
	if s == nil {
		return nil
	}
	return checkIdentifier(field, *s, false)
}

// checkIdentifier applies the schema's identifier rule: non-empty, no XML
// whitespace, at most maxIdentifierLength characters.
func checkIdentifier(field, s string, required bool) error {
	if isXMLBlank(s) {
		if required {
			return &MissingFieldError{Field: field}
		}
		return &InvalidFieldError{Field: field, Value: s, Err: errBlank}
	}
	if err := checkChars(field, s); err != nil {
		return err
	}
	if strings.ContainsAny(s, xmlSpace) {
		return &InvalidFieldError{Field: field, Value: s, Err: errWhitespace}
	}
	if utf8.RuneCountInString(s) > maxIdentifierLength {
		return &InvalidFieldError{Field: field, Value: s, Err: errTooLong}
	}
	return nil
}

func checkOptionalDate(field string, t *time.Time) error {
	if t == nil {
		return nil
	}
	return checkDate(field, *t)
}

// checkDate refuses dates whose UTC year has other than four digits or is
// 0000, which XML Schema 1.0 does not allow.
func checkDate(field string, t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return &InvalidFieldError{Field: field, Value: t.Format(time.RFC3339Nano), Err: errDateRange}
	}
	return nil
}

// checkChars refuses s if it is not valid UTF-8 or holds a character that
// XML 1.0 does not allow in a document.
func checkChars(field, s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return &InvalidFieldError{Field: field, Value: s, Err: fmt.Errorf("%w at byte %d", errNotUTF8, i)}
			}
		}
		if !isXMLChar(r) {
			return &InvalidFieldError{Field: field, Value: s, Err: fmt.Errorf("%w: U+%04X at byte %d", errIllegalChar, r, i)}
		}
	}
	return nil
}

// isXMLChar reports whether r is in the XML 1.0 Char production.
func isXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// xmlSpace is the XML (and XML Schema \s) whitespace set.
const xmlSpace = " \t\r\n"

// isXMLBlank reports whether s is empty or holds XML whitespace only.
func isXMLBlank(s string) bool {
	return strings.Trim(s, xmlSpace) == ""
}

// indexed returns path with the 1-based position i+1 appended, as in
// "replica[2]".
func indexed(path string, i int) string {
	return path + "[" + strconv.Itoa(i+1) + "]"
}
