package converter

// NoteClass names a list of objects that a bulk run reports although nothing failed: each
// class with entries gets a report <class>_<time>.txt beside the failure reports, one
// "pid<TAB>message" line per object, and a count in Summary.Notes.
type NoteClass string

// The note classes, in the order reports and summaries list them.
const (
	// NoteSysmetaOnly: the source has system metadata for the pid but no data (a Metacat row
	// without identifier row: a replica's or a coordinating node's entry); the sysmeta was
	// stored alone.
	NoteSysmetaOnly NoteClass = "sysmetaOnly"
	// NoteGone: an earlier pass stored the pid, the source no longer lists it (it was deleted
	// from the database), and it is still in the store (a sweep without DeleteGone).
	NoteGone NoteClass = "gone"
	// NoteDeleted: as NoteGone, and the sweep deleted it from the store (DeleteGone).
	NoteDeleted NoteClass = "deleted"
)

// NoteClasses returns every note class, in report order.
func NoteClasses() []NoteClass { return []NoteClass{NoteSysmetaOnly, NoteGone, NoteDeleted} }

// Note lists an entry under Class, with Message saying why (the run prefixes it with the
// entry's line).
type Note struct {
	Class   NoteClass
	Message string
}
