package converter

import (
	"github.com/hashstore-go/hashstore/converter/internal/journal"
	"github.com/hashstore-go/hashstore/hashstore"
)

// Outcome is one record of a bulk run's journal: after a complete run, the journal holds one
// per entry of the source (its last outcome), then one per pid a sweep found gone.
type Outcome struct {
	PID string
	// Status is "ok", "failed", or for a pid no longer in the source "gone" (still in the
	// store) or "deleted" (deleted from it).
	Status string
	// Class is the failure's class ("" unless failed); Note the note class the object is
	// listed under ("" for none).
	Class FailureClass
	Note  NoteClass
	// CID, Size and HexDigests describe the object stored (a success with data).
	CID        string
	Size       int64
	HexDigests map[hashstore.Algorithm]string
	// Correction is set for an object converted after its checksum was corrected.
	Correction *Correction
}

// ReadOutcomes calls fn with every record of the journal at path (Summary.Journal of a run),
// in order. The journal must not be in use by a run (it is locked while read). A journal of
// a run that did not complete holds the records of what was done, in the order it was done,
// possibly several per pid.
func ReadOutcomes(path string, fn func(*Outcome) error) error {
	return journal.ReadRecords(path, func(journal.Header) error { return nil }, func(rec *journal.Record) error {
		o := &Outcome{PID: rec.PID, Status: rec.Status, Class: FailureClass(rec.Class), Note: NoteClass(rec.Note),
			CID: rec.CID, Size: rec.Size, HexDigests: rec.HexDigests}
		if c := rec.Correction; c != nil {
			o.Correction = &Correction{Algorithm: c.Algorithm, Old: c.Old, New: c.New, Path: c.Path, AlsoMatches: c.AlsoMatches}
		}
		return fn(o)
	})
}
