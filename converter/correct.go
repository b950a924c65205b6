package converter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hashstore-go/hashstore/converter/internal/journal"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// MismatchPolicy is what a bulk run does with an object whose data does not match its
// system metadata's checksum.
type MismatchPolicy int

const (
	// ReportMismatch (the default) fails the object (class nonMatchingChecksum): nothing is
	// stored for it.
	ReportMismatch MismatchPolicy = iota
	// CorrectMismatch is the policy of Metacat's own upgrader: the sysmeta's checksum is
	// replaced by the digest of the data in the same algorithm (named in upper case), the
	// object is converted with that sysmeta, and the run's nonMatchingChecksum report lists it
	// in Metacat's words (CorrectionLine). A mismatch that cannot be corrected so (the
	// sysmeta cannot be decoded and written again, or another expectation fails as well)
	// fails the object with class generalError, as Metacat's upgrader does.
	CorrectMismatch
)

// Correction is a sysmeta checksum that a CorrectMismatch run replaced.
type Correction struct {
	// Algorithm is the checksum's algorithm as the corrected sysmeta names it.
	Algorithm string `json:"algorithm"`
	// Old is the sysmeta's checksum, New the digest of the data that replaced it.
	Old string `json:"old"`
	New string `json:"new"`
	// Path is the data file.
	Path string `json:"path"`
	// AlsoMatches names the algorithm whose digest of the data equals Old ("" if none): the
	// sysmeta probably recorded the wrong algorithm.
	AlsoMatches string `json:"also_matches,omitempty"`
}

// CorrectionLine is the line Metacat's upgrader writes to its nonMatchingChecksum file for a
// corrected object; scripts that read that file expect exactly these words.
func CorrectionLine(pid string, c Correction) string {
	line := "Object: " + pid + " was converted successfully, but original " + c.Algorithm +
		" checksum (" + c.Old + ") was incorrect. System metadata was updated with new checksum (" +
		c.New + "). Old object for reference: " + c.Path
	if c.AlsoMatches != "" {
		line += " Note: the original checksum would have been correct if the " + c.AlsoMatches +
			" algorithm was used. Was the wrong algorithm recorded?"
	}
	return line
}

// correctionTrailer ends a nonMatchingChecksum report that lists corrections, as Metacat's
// upgrader ends its file.
const correctionTrailer = "If this instance is a registered member node of the DataONE network, please submit " +
	"this file to knb-help@nceas.ucsb.edu so we can also update the CN to reflect the above changes."

// correct handles a failed conversion under CorrectMismatch: if err is a mismatch of the
// sysmeta's own checksum, it converts e again with the checksum replaced and returns the
// result and the correction; a mismatch it cannot correct becomes a generalError; any other
// error is returned as it is.
func (r *bulkRun) correct(ctx context.Context, e *Entry, err error) (Result, *journal.Correction, error) {
	var cm *hashstore.ChecksumMismatchError
	if r.opts.OnChecksumMismatch != CorrectMismatch || e.Path == "" || !errors.As(err, &cm) {
		return Result{}, nil, err
	}
	uncorrectable := func(why error) error {
		return fmt.Errorf("%v (the checksum could not be corrected: %v)", err, why)
	}
	sm := e.Sysmeta
	if e.SysmetaPath != "" {
		var rerr error
		if sm, rerr = os.ReadFile(e.SysmetaPath); rerr != nil {
			return Result{}, nil, uncorrectable(rerr)
		}
	}
	if sm == nil {
		return Result{}, nil, err // the entry's own checksum, not a sysmeta's
	}
	doc, derr := sysmeta.DecodeDocument(sm)
	if derr != nil {
		return Result{}, nil, uncorrectable(derr)
	}
	alg, aerr := hashstore.ParseAlgorithm(doc.Checksum.Algorithm)
	if aerr != nil || alg != cm.Algorithm || !strings.EqualFold(doc.Checksum.Value, cm.Expected) {
		return Result{}, nil, err // another expectation failed, not the sysmeta's checksum
	}
	digest := cm.HexDigests[alg]
	if digest == "" {
		return Result{}, nil, uncorrectable(fmt.Errorf("no %s digest was computed", alg))
	}
	c := &journal.Correction{Algorithm: string(alg), Old: doc.Checksum.Value, New: digest, Path: e.Path,
		AlsoMatches: string(alsoMatches(cm.HexDigests, doc.Checksum.Value))}
	doc.Checksum = sysmeta.Checksum{Algorithm: string(alg), Value: digest}
	fixed, eerr := doc.Encode()
	if eerr != nil {
		return Result{}, nil, uncorrectable(eerr)
	}
	again := *e
	again.Sysmeta, again.SysmetaPath = fixed, ""
	res, err2 := r.convert(ctx, &again)
	if err2 != nil {
		if ctx.Err() != nil {
			return Result{}, nil, err2
		}
		return Result{}, nil, uncorrectable(err2)
	}
	return res, c, nil
}

// alsoMatches returns the algorithm whose digest equals value exactly, trying the default
// algorithms first, or "".
func alsoMatches(digests map[hashstore.Algorithm]string, value string) hashstore.Algorithm {
	order := hashstore.DefaultAlgorithms()
	var extra []hashstore.Algorithm
	for a := range digests {
		if !slices.Contains(order, a) {
			extra = append(extra, a)
		}
	}
	slices.Sort(extra)
	for _, a := range append(order, extra...) {
		if d := digests[a]; d != "" && d == value {
			return a
		}
	}
	return ""
}
