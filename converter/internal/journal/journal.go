// Package journal is the append-only journal of a bulk run: one header line identifying the
// run, then one JSON record per object outcome. It makes an interrupted run resumable (a
// re-run skips what the journal records as done) and, compacted at the end, is what the run's
// reports and checksums are derived from.
package journal

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/converter/internal/pidset"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/atomicfile"
	"github.com/hashstore-go/hashstore/internal/realpath"
)

// Version is the format version written in every journal header.
const Version = 1

// Header is the first line of a journal: it identifies the run the journal belongs to.
// A journal is reused only by a run with the same Mode, Store and Shard; the source may have
// changed in between (its records are matched by pid and fingerprint, not by position).
type Header struct {
	Version int    `json:"hashstore_bulk_journal"`
	Mode    string `json:"mode"`  // "convert" or "import"
	Store   string `json:"store"` // the store's root, absolute
	Shard   string `json:"shard"` // "I/N"
	// Source names where the objects come from (a manifest's absolute path), and SourceStamp
	// identifies its state when the journal was last compacted (a manifest's size and
	// modification time), so that a resumed run can say the source changed.
	Source      string `json:"manifest"`
	SourceStamp string `json:"source_stamp,omitempty"`
	// Started is when the first run of this journal started (UTC). It names the report files,
	// so that every resumed run writes the same names.
	Started time.Time `json:"started"`
	// T0 is, for a source read from one database snapshot, the snapshot's time of the last
	// complete pass (set when the journal is compacted); nil before a pass completes and for
	// other sources.
	T0 *time.Time `json:"t0,omitempty"`
	// Compacted is the number of records the last compaction wrote: records after them were
	// appended by a run that has not completed yet.
	Compacted int64 `json:"records,omitempty"`
}

// Record statuses. A pid whose last record is StatusOK or StatusGone is in the store.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
	// StatusGone: an earlier pass stored the pid, the source no longer lists it, and it is
	// still in the store.
	StatusGone = "gone"
	// StatusDeleted: as StatusGone, but the pid was deleted from the store.
	StatusDeleted = "deleted"
)

// Fingerprint identifies a source file's state: a change of any field means the file was
// replaced or modified.
type Fingerprint struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
}

// RecordTime is the timing of a record: it differs between any two runs and is excluded when
// journals are compared.
type RecordTime struct {
	Finished time.Time `json:"finished"`
	Millis   float64   `json:"ms"`
}

// Record is the outcome of one entry of the source.
type Record struct {
	// Line is the entry's position in the source (a manifest's line number).
	Line   int64  `json:"line"`
	PID    string `json:"pid,omitempty"`
	Status string `json:"status"`
	// Class is the failure's class (a converter.FailureClass), "" on success.
	Class string `json:"class,omitempty"`
	// Message says what failed ("" on success).
	Message string `json:"message,omitempty"`
	// FP is the fingerprint (16 hex digits) of the entry's fields, its data file and its
	// sysmeta when the object was processed; a re-run skips a successful object only if
	// its fingerprint is unchanged.
	FP string `json:"fp,omitempty"`
	// Source is the data file's state when it was converted.
	Source *Fingerprint `json:"source,omitempty"`
	// CID, Size and HexDigests describe the object (on success with a data file).
	CID        string                         `json:"cid,omitempty"`
	Size       int64                          `json:"size,omitempty"`
	HexDigests map[hashstore.Algorithm]string `json:"hex_digests,omitempty"`
	// Note is a class under which a successful record is listed although nothing failed
	// (a converter.NoteClass, e.g. "sysmetaOnly"); Message then says why.
	Note string `json:"note,omitempty"`
	// Correction is set when the object was converted after its sysmeta's checksum was
	// replaced by the digest computed over the data.
	Correction *Correction `json:"correction,omitempty"`
	// Time is the record's timing (nil in records compared across runs).
	Time *RecordTime `json:"time,omitempty"`
}

// Correction is a checksum that was wrong in the sysmeta and was replaced: Algorithm (its
// name as the corrected sysmeta writes it), the Old and the New value, the data file's Path,
// and AlsoMatches, the algorithm whose digest equals the old value ("" for none).
type Correction struct {
	Algorithm   string `json:"algorithm"`
	Old         string `json:"old"`
	New         string `json:"new"`
	Path        string `json:"path"`
	AlsoMatches string `json:"also_matches,omitempty"`
}

// indexEntry is what a loaded journal keeps per successful pid: 24 bytes.
type indexEntry struct {
	pid    uint64 // pidset.Hash
	fp     uint64
	offset int64
}

// Journal is an append-only journal file of a bulk run. One process at a time uses a journal:
// it is locked (flock on <journal>.lock) from Open to Close.
type Journal struct {
	path   string
	header Header
	opts   Options
	files  *atomicfile.Writer // compactions and directory syncs

	fs   afero.Fs
	lock *flock.Flock
	f    afero.File // appends
	w    *bufio.Writer
	size int64 // offset of the end, buffered bytes included

	rf  afero.File // reads of earlier records
	rd  *bufio.Reader
	pos int64 // offset rd is at, or -1

	index   []indexEntry // pids in the store (last record ok or gone), sorted by pid hash
	pending []int64      // offsets of StatusDeleted records appended since the last compaction
	records int64        // records loaded
	cut     int64        // bytes cut from a torn end, if any
	changed bool         // the source changed since the journal was last compacted
	resumed bool         // Open found this run's journal rather than creating it
	buf     []byte       // Append's
	doneBuf []byte       // Done's (called by another goroutine than Append)
}

// Options are the choices of Open.
type Options struct {
	// Sync fsyncs appends at each Checkpoint, and compactions before they replace the journal.
	Sync bool
	// IgnoredClass is a failure class whose records say nothing about their pid (a line that
	// repeats an earlier line's pid: its failure must not undo the earlier line's success).
	IgnoredClass string
	// Fs is the filesystem of the journal (default: the OS's). Only on the OS is the journal
	// locked against other processes.
	Fs afero.Fs
}

// Open opens the journal at path for a run described by want (whose Started is used
// only for a new journal), creating it if it does not exist or is empty. An existing journal
// must have the same Mode, Store and Shard. It is read up to its first line that is not a
// complete record, and cut there: a record torn by a crash, and anything after it, is
// discarded (those objects are simply done again). Temp files of a compaction that was
// interrupted are removed.
func Open(path string, want Header, opts Options) (*Journal, error) {
	if opts.Fs == nil {
		opts.Fs = afero.NewOsFs()
	}
	var lk *flock.Flock
	if real, ok := realpath.Of(opts.Fs, path); ok {
		lk = flock.New(real + ".lock")
		locked, err := lk.TryLock()
		if err != nil {
			return nil, fmt.Errorf("journal %s: locking: %w", path, err)
		}
		if !locked {
			return nil, fmt.Errorf("%w: journal %s is in use by another process (it is locked)", hashstore.ErrInProgress, path)
		}
	}
	j := &Journal{path: path, opts: opts, fs: opts.Fs, lock: lk, pos: -1,
		files: &atomicfile.Writer{Fs: opts.Fs, Sync: opts.Sync, FileMode: 0o644, DirMode: 0o755}}
	if err := j.files.RemoveStaleTemps(path); err != nil {
		j.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := j.load(want); err != nil {
		j.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

func (j *Journal) load(want Header) error {
	f, err := j.fs.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	j.f = f
	r := bufio.NewReaderSize(f, 256<<10)
	var off int64
	line, err := readLine(r)
	if err == io.EOF || (err == nil && len(bytes.TrimSpace(line)) == 0) {
		return j.create(want)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(line, &j.header); err != nil || j.header.Version == 0 {
		return errors.New("not a hashstore bulk journal (its first line is not a journal header)")
	}
	if j.header.Version != Version {
		return fmt.Errorf("journal format version %d, this program writes %d", j.header.Version, Version)
	}
	h := j.header
	if h.Mode != want.Mode || h.Store != want.Store || h.Shard != want.Shard {
		return fmt.Errorf("%w: it belongs to another run (%s into %s, shard %s), not this one (%s into %s, shard %s): use another --journal",
			hashstore.ErrInvalidArgument, h.Mode, h.Store, h.Shard, want.Mode, want.Store, want.Shard)
	}
	j.changed = h.Source != want.Source || h.SourceStamp != want.SourceStamp
	j.resumed = true
	off += int64(len(line))
	// Every record with a pid, in file order: offset >= 0 for a success, -1-offset for a
	// failure (24 bytes a record while loading; only the successes are kept).
	var all []indexEntry
	for {
		line, err := readLine(r)
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, errTorn) {
			return err
		}
		var rec Record
		if err != nil || decodeOutcome(line, &rec) != nil || rec.Status == "" {
			// Torn or damaged: cut the journal here.
			fi, serr := f.Stat()
			if serr != nil {
				return serr
			}
			j.cut = fi.Size() - off
			if err := f.Truncate(off); err != nil {
				return err
			}
			break
		}
		if rec.PID != "" && (rec.Class == "" || rec.Class != j.opts.IgnoredClass) {
			e := indexEntry{pid: pidset.Hash(rec.PID), offset: off}
			switch {
			case rec.Status == StatusOK:
				e.fp, _ = strconv.ParseUint(rec.FP, 16, 64)
			case rec.Status == StatusGone:
				// In the store, but never done: fp 0 and Done checks the status.
			case rec.Status == StatusDeleted && j.records >= j.header.Compacted:
				e.offset, e.fp = -1-off, deletedPending
			default:
				e.offset = -1 - off
			}
			all = append(all, e)
		}
		j.records++
		off += int64(len(line))
	}
	// The last record of each pid decides; keep the successful ones.
	slices.SortStableFunc(all, func(a, b indexEntry) int {
		switch {
		case a.pid < b.pid:
			return -1
		case a.pid > b.pid:
			return 1
		}
		return 0
	})
	n := 0
	for k, e := range all {
		if k+1 < len(all) && all[k+1].pid == e.pid {
			continue // a later record of the same pid follows
		}
		if e.offset < 0 {
			if e.fp == deletedPending {
				j.pending = append(j.pending, -1-e.offset)
			}
			continue // not in the store
		}
		all[n] = e
		n++
	}
	slices.Sort(j.pending)
	j.index = slices.Clone(all[:n])
	all = nil
	j.size = off
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	return j.openHandles()
}

// create writes a new journal holding only the header. The header is written beside the
// journal and renamed over it (flushed first with Sync), so that a power cut leaves either
// the file load found (empty) or a complete header: never a torn header, which would make
// the journal unreadable and the run impossible to resume.
func (j *Journal) create(want Header) error {
	want.Version = Version
	if want.Started.IsZero() {
		want.Started = time.Now()
	}
	want.Started = want.Started.UTC().Truncate(time.Second)
	want.T0, want.Compacted = nil, 0 // no pass is complete yet
	j.header = want
	line, err := json.Marshal(want)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	tmp, err := j.files.CreateTempBeside(j.path)
	if err != nil {
		return err
	}
	defer tmp.Discard()
	if _, err := tmp.Write(line); err != nil {
		return err
	}
	if err := tmp.Commit(j.path); err != nil {
		return err
	}
	// Append to the new file.
	j.f.Close()
	if j.f, err = j.fs.OpenFile(j.path, os.O_RDWR, 0); err != nil {
		return err
	}
	if _, err := j.f.Seek(int64(len(line)), io.SeekStart); err != nil {
		return err
	}
	j.size = int64(len(line))
	return j.openHandles()
}

func (j *Journal) openHandles() error {
	rf, err := j.fs.Open(j.path)
	if err != nil {
		return err
	}
	j.rf = rf
	j.w = bufio.NewWriterSize(j.f, 256<<10)
	return nil
}

var errTorn = errors.New("torn journal line")

// deletedPending marks, while a journal loads, a deletion recorded since the last compaction.
const deletedPending = 1

// readLine returns the next line with its newline; a last line without one is errTorn.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err == io.EOF {
		if len(line) == 0 {
			return nil, io.EOF
		}
		return line, errTorn
	}
	return line, err
}

// Header returns the journal's header.
func (j *Journal) Header() Header { return j.header }

// Loaded returns how many records were read when the journal was opened, how many pids it
// records as done, and how many bytes of a torn end were cut away.
func (j *Journal) Loaded() (records, done int64, cut int64) {
	return j.records, int64(len(j.index)), j.cut
}

// Resumed reports whether Open found this run's journal (its header, with or without records)
// rather than starting a new one. An earlier run then wrote to the store, and what it wrote
// after its last commit may have been cut short by a power loss, even if it recorded nothing.
func (j *Journal) Resumed() bool { return j.resumed }

// SourceChanged reports whether the source's name or stamp differ from those recorded when
// the journal was last compacted.
func (j *Journal) SourceChanged() bool { return j.changed }

// Done looks pid up: if its last record is a success with fingerprint fp, Done returns that
// record's offset and true. The record itself is read to confirm the pid, so a collision of
// pid hashes cannot skip an object.
func (j *Journal) Done(pid string, fp uint64) (int64, bool) {
	i, found := j.find(pid)
	if !found || j.index[i].fp != fp {
		return 0, false
	}
	off := j.index[i].offset
	line, err := j.ReadAt(off)
	if err != nil {
		return 0, false
	}
	if j.isDone(line, pid) {
		return off, true
	}
	var rec Record
	if decodeOutcome(line, &rec) != nil || rec.PID != pid || rec.Status != StatusOK {
		return 0, false
	}
	return off, true
}

// Stored calls fn with the pid hash and record offset of every pid the loaded journal records
// as in the store (its last record is a success or StatusGone), in hash order, until fn
// returns false.
func (j *Journal) Stored(fn func(pidHash uint64, off int64) bool) {
	for _, e := range j.index {
		if !fn(e.pid, e.offset) {
			return
		}
	}
}

// PendingDeleted returns the offsets of the StatusDeleted records that a run appended after
// the last compaction and that are the last record of their pid: deletions done by an
// interrupted run, which its resumed run must still report.
func (j *Journal) PendingDeleted() []int64 { return slices.Clone(j.pending) }

// isDone is the fast path of Done: whether line begins as Append writes the record of a
// success of pid, {"line":N,"pid":<pid>,"status":"ok". When it does not (another layout),
// Done decodes the line.
func (j *Journal) isDone(line []byte, pid string) bool {
	rest, ok := afterLineNumber(line)
	if !ok {
		return false
	}
	want, err := appendJSON(append(j.doneBuf[:0], `,"pid":`...), pid)
	if err != nil {
		return false
	}
	want = append(bytes.TrimSuffix(want, []byte("\n")), `,"status":"ok"`...)
	j.doneBuf = want
	return bytes.HasPrefix(rest, want)
}

// afterLineNumber returns what follows the line number of a record that begins as Append
// writes it, {"line":N, and whether it does.
func afterLineNumber(line []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"line":`))
	k := 0
	for ok && k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
		k++
	}
	return rest[k:], ok && k > 0
}

// HasDone reports whether the journal records any pid with the hash of pid as done (a fast
// pre-check for Done that needs no fingerprint).
func (j *Journal) HasDone(pid string) bool {
	_, found := j.find(pid)
	return found
}

// find returns the position in the index of the entry for pid's hash, and whether there is one.
func (j *Journal) find(pid string) (int, bool) {
	return slices.BinarySearchFunc(j.index, pidset.Hash(pid), func(e indexEntry, h uint64) int {
		return cmp.Compare(e.pid, h)
	})
}

// ReadAt returns the record line (with its newline) that starts at offset off. Records
// appended by this process are readable once Checkpoint (or Flush) has run.
func (j *Journal) ReadAt(off int64) ([]byte, error) {
	if off != j.pos || j.rd == nil {
		sr := io.NewSectionReader(j.rf, off, 1<<62)
		if j.rd == nil {
			j.rd = bufio.NewReaderSize(sr, 64<<10)
		} else {
			j.rd.Reset(sr)
		}
		j.pos = off
	}
	line, err := j.rd.ReadBytes('\n')
	j.pos += int64(len(line))
	if err != nil {
		j.pos = -1
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return line, nil
}

// Append adds a record and returns its offset. It is buffered: Checkpoint makes it durable.
func (j *Journal) Append(rec *Record) (int64, error) {
	var err error
	j.buf, err = appendJSON(j.buf[:0], rec)
	if err != nil {
		return 0, err
	}
	off := j.size
	if _, err := j.w.Write(j.buf); err != nil {
		return 0, err
	}
	j.size += int64(len(j.buf))
	return off, nil
}

// appendJSON appends rec as one line of JSON.
func appendJSON(dst []byte, v any) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return b.Bytes(), nil
}

// Flush writes the buffered records to the file (without fsync).
func (j *Journal) Flush() error { return j.w.Flush() }

// Checkpoint writes the buffered records and, with sync, fsyncs the journal: every record
// appended before it survives a crash.
func (j *Journal) Checkpoint() error {
	if err := j.w.Flush(); err != nil {
		return err
	}
	if j.opts.Sync {
		return j.f.Sync()
	}
	return nil
}

// Close checkpoints and closes the journal and releases its lock.
func (j *Journal) Close() error {
	var err error
	if j.w != nil {
		err = j.Checkpoint()
	}
	for _, f := range []afero.File{j.f, j.rf} {
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	j.f, j.rf, j.w = nil, nil, nil
	if j.lock != nil {
		j.lock.Unlock()
		j.lock = nil
	}
	return err
}

// Compact replaces the journal, atomically (temp file and rename), by the header (with the
// source's identity updated to source's) followed by the records at offsets, in that order,
// each with its line set to the matching entry of lines. emit, if not nil, is called with each
// record as it is written. Afterwards the journal holds exactly one record per entry of
// offsets and stays open for reading and appending.
func (j *Journal) Compact(source Header, offsets []int64, lines []uint32, emit func(*Record) error) error {
	if err := j.Flush(); err != nil {
		return err
	}
	h := j.header
	h.Source, h.SourceStamp = source.Source, source.SourceStamp
	if source.T0 != nil {
		h.T0 = source.T0
	}
	h.Compacted = int64(len(offsets))
	tmp, err := j.files.CreateTempBeside(j.path)
	if err != nil {
		return err
	}
	defer tmp.Discard()
	w := bufio.NewWriterSize(tmp, 256<<10)
	line, err := appendJSON(nil, h)
	if err != nil {
		return err
	}
	w.Write(line)
	for i, off := range offsets {
		raw, err := j.ReadAt(off)
		if err != nil {
			return fmt.Errorf("reading the record at offset %d: %w", off, err)
		}
		var rec Record
		if err := decodeRecord(raw, &rec); err != nil {
			return fmt.Errorf("the record at offset %d: %w", off, err)
		}
		if rec.Line != int64(lines[i]) {
			rec.Line = int64(lines[i])
			if raw, err = renumber(raw, rec.Line, &rec); err != nil {
				return err
			}
		}
		if _, err := w.Write(raw); err != nil {
			return err
		}
		if emit != nil {
			if err := emit(&rec); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Commit(j.path); err != nil {
		return err
	}
	j.header = h
	// Reopen on the new file.
	for _, f := range []afero.File{j.f, j.rf} {
		f.Close()
	}
	if j.f, err = j.fs.OpenFile(j.path, os.O_RDWR, 0); err != nil {
		return err
	}
	if j.size, err = j.f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	j.rd, j.pos = nil, -1
	j.pending = nil
	return j.openHandles()
}

// renumber returns the record line raw (whose decoding is rec, Line already changed) with its
// line number replaced. A sweep renumbers most records when pids are added or removed ahead
// of them, so the number is replaced in place when the line begins as Append writes it,
// rather than the record encoded again.
func renumber(raw []byte, line int64, rec *Record) ([]byte, error) {
	rest, ok := afterLineNumber(raw)
	if !ok || !bytes.HasPrefix(rest, []byte(",")) {
		return appendJSON(raw[:0], rec)
	}
	out := strconv.AppendInt(append(make([]byte, 0, len(raw)+8), `{"line":`...), line, 10)
	return append(out, rest...), nil
}

// FingerprintOf stats path (following symbolic links); nil when path is "" or cannot be
// stat'ed.
func FingerprintOf(path string) *Fingerprint {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return FileFingerprint(fi)
}

// FileFingerprint is the fingerprint of a file described by the OS.
func FileFingerprint(fi fs.FileInfo) *Fingerprint {
	fp := &Fingerprint{Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}
	fp.Dev, fp.Ino = devIno(fi)
	return fp
}

// ReadRecords reads the journal at path without changing it: fn receives its header first,
// then every complete record in file order (a torn last line is left out). The journal is
// locked while it is read, so a run using it makes ReadRecords fail with
// hashstore.ErrInProgress, and the reverse.
func ReadRecords(path string, header func(Header) error, fn func(*Record) error) error {
	lk := flock.New(path + ".lock")
	locked, err := lk.TryLock()
	if err != nil {
		return fmt.Errorf("journal %s: locking: %w", path, err)
	}
	if !locked {
		return fmt.Errorf("%w: journal %s is in use by another process (it is locked)", hashstore.ErrInProgress, path)
	}
	defer lk.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	line, err := readLine(r)
	if err != nil {
		return fmt.Errorf("journal %s: no header: %w", path, err)
	}
	var h Header
	if json.Unmarshal(line, &h) != nil || h.Version == 0 {
		return fmt.Errorf("journal %s: not a hashstore bulk journal (its first line is not a journal header)", path)
	}
	if err := header(h); err != nil {
		return err
	}
	for {
		line, err := readLine(r)
		if err == io.EOF || errors.Is(err, errTorn) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("journal %s: %w", path, err)
		}
		var rec Record
		if err := decodeRecord(line, &rec); err != nil {
			return fmt.Errorf("journal %s: a damaged record: %w", path, err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
}
