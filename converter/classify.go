package converter

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/ident"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// FailureClass names why an object of a bulk run failed. The names are those Metacat's
// HashStore conversion gives its report files (nonMatchingChecksum, noSuchAlgorithm,
// noChecksumInSysmeta, generalError), plus one per further class; a run's report for a class
// is the file <class>_<timestamp>.txt.
type FailureClass string

// The failure classes, in the order reports and summaries list them.
const (
	// ClassNonMatchingChecksum: the data's digest differs from the checksum expected (the
	// sysmeta's or the manifest's).
	ClassNonMatchingChecksum FailureClass = "nonMatchingChecksum"
	// ClassNoSuchAlgorithm: the checksum's algorithm is not one this implementation computes.
	ClassNoSuchAlgorithm FailureClass = "noSuchAlgorithm"
	// ClassNoChecksumInSysmeta: the sysmeta has no checksum.
	ClassNoChecksumInSysmeta FailureClass = "noChecksumInSysmeta"
	// ClassSizeMismatch: the data's size differs from the size expected, or the manifest's
	// size contradicts the sysmeta's.
	ClassSizeMismatch FailureClass = "sizeMismatch"
	// ClassFileNotFound: the data file or the sysmeta file does not exist.
	ClassFileNotFound FailureClass = "fileNotFound"
	// ClassInvalidSysmeta: the sysmeta cannot be decoded, lacks its identifier or size, or is
	// for another identifier than the pid.
	ClassInvalidSysmeta FailureClass = "invalidSysmeta"
	// ClassInvalidPID: the pid is not a valid identifier (whitespace, not UTF-8).
	ClassInvalidPID FailureClass = "invalidPid"
	// ClassDuplicatePID: the pid appeared on an earlier line of the source.
	ClassDuplicatePID FailureClass = "duplicatePid"
	// ClassMalformedLine: the source's entry (a manifest line) cannot be read as one, or names
	// neither a data file nor a sysmeta.
	ClassMalformedLine FailureClass = "malformedLine"
	// ClassNoIdentifierRow: a local document of a Metacat database (docid.rev) that has
	// neither an identifier row nor system metadata; Metacat's own upgrader would make up
	// both (docs/METACAT.md).
	ClassNoIdentifierRow FailureClass = "noIdentifierRow"
	// ClassNoSystemMetadata: an identifier row of a Metacat database whose local document
	// exists but which has no system metadata; Metacat's own upgrader would make it up.
	ClassNoSystemMetadata FailureClass = "noSystemMetadata"
	// ClassPIDTaggedElsewhere: the pid is already tagged to other content in the store.
	ClassPIDTaggedElsewhere FailureClass = "pidTaggedElsewhere"
	// ClassCrossDevice: the data file is on another filesystem than the store, so it cannot
	// be hard-linked (see --on-cross-device).
	ClassCrossDevice FailureClass = "crossDevice"
	// ClassSourceChanged: the data file changed while it was being read.
	ClassSourceChanged FailureClass = "sourceChanged"
	// ClassGeneralError: anything else (I/O errors, permissions, a corrupt object, ...).
	ClassGeneralError FailureClass = "generalError"
)

// FailureClasses returns every class, in report order.
func FailureClasses() []FailureClass {
	return []FailureClass{
		ClassNonMatchingChecksum, ClassNoSuchAlgorithm, ClassNoChecksumInSysmeta, ClassSizeMismatch,
		ClassFileNotFound, ClassInvalidSysmeta, ClassInvalidPID, ClassDuplicatePID, ClassMalformedLine,
		ClassNoIdentifierRow, ClassNoSystemMetadata, ClassPIDTaggedElsewhere, ClassCrossDevice, ClassSourceChanged, ClassGeneralError,
	}
}

// classify returns the class of an error of Converter.Convert or StoreFile, by errors.Is on
// the library's sentinels.
func classify(err error) FailureClass {
	var mf *sysmeta.MissingFieldError
	switch {
	case errors.Is(err, hashstore.ErrChecksumMismatch):
		return ClassNonMatchingChecksum
	case errors.Is(err, hashstore.ErrUnsupportedAlgorithm):
		return ClassNoSuchAlgorithm
	case errors.As(err, &mf) && mf.Field == "checksum":
		return ClassNoChecksumInSysmeta
	case errors.Is(err, hashstore.ErrSizeMismatch):
		return ClassSizeMismatch
	case errors.Is(err, sysmeta.ErrMalformed), errors.Is(err, sysmeta.ErrMissingField),
		errors.Is(err, sysmeta.ErrInvalidField), errors.Is(err, errSysmetaIdentifier):
		return ClassInvalidSysmeta
	case errors.Is(err, hashstore.ErrPIDTaggedElsewhere):
		return ClassPIDTaggedElsewhere
	case errors.Is(err, hashstore.ErrCrossDevice):
		return ClassCrossDevice
	case errors.Is(err, hashstore.ErrSourceChanged):
		return ClassSourceChanged
	case errors.Is(err, hashstore.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return ClassFileNotFound
	}
	return ClassGeneralError
}

// errSysmetaIdentifier marks a sysmeta whose identifier is not the entry's pid.
var errSysmetaIdentifier = errors.New("the system metadata is for another identifier")

// reportPID is how a pid appears in the first column of a report line: as it is, or quoted as
// a Go string when it is empty or holds whitespace or control characters (which would break
// the pid<TAB>message format).
func reportPID(pid string) string {
	if pid == "" || !utf8.ValidString(pid) || strings.IndexFunc(pid, func(r rune) bool { return ident.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return strconv.Quote(pid)
	}
	return pid
}

// oneLine makes a message fit one report line: tabs, carriage returns and newlines become
// spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
