package converter

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/gofrs/flock"

	"github.com/hashstore-go/hashstore/hashstore"
)

// JournalVersion is the format version written in every journal header.
const JournalVersion = 1

// JournalHeader is the first line of a journal: it identifies the run the journal belongs to.
// A journal is reused only by a run with the same Mode, Store and Shard; the manifest may have
// changed in between (its records are matched by pid and fingerprint, not by position).
type JournalHeader struct {
	Version int    `json:"hashstore_bulk_journal"`
	Mode    string `json:"mode"`  // "convert" or "import"
	Store   string `json:"store"` // the store's root, absolute
	Shard   string `json:"shard"` // "I/N"
	// Manifest is the manifest's absolute path, ManifestSize and ManifestMtimeNS its size and
	// modification time when the journal was last compacted.
	Manifest        string `json:"manifest"`
	ManifestSize    int64  `json:"manifest_size"`
	ManifestMtimeNS int64  `json:"manifest_mtime_ns"`
	// Started is when the first run of this journal started (UTC). It names the report files,
	// so that every resumed run writes the same names.
	Started time.Time `json:"started"`
}

// Record statuses.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
)

// FileFingerprint identifies a source file's state: a change of any field means the file was
// replaced or modified.
type FileFingerprint struct {
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

// JournalRecord is the outcome of one manifest line.
type JournalRecord struct {
	Line   int64        `json:"line"`
	PID    string       `json:"pid,omitempty"`
	Status string       `json:"status"`
	Class  FailureClass `json:"class,omitempty"`
	// Message says what failed ("" on success).
	Message string `json:"message,omitempty"`
	// FP is the fingerprint (16 hex digits) of the entry's fields, its data file and its
	// sysmeta file when the object was processed; a re-run skips a successful object only if
	// its fingerprint is unchanged.
	FP string `json:"fp,omitempty"`
	// Source is the data file's state when it was converted.
	Source *FileFingerprint `json:"source,omitempty"`
	// CID, Size and HexDigests describe the object (on success with a data file).
	CID        string            `json:"cid,omitempty"`
	Size       int64             `json:"size,omitempty"`
	HexDigests map[string]string `json:"hex_digests,omitempty"`
	// Time is the record's timing (nil in records compared across runs).
	Time *RecordTime `json:"time,omitempty"`
}

// indexEntry is what a loaded journal keeps per successful pid: 24 bytes.
type indexEntry struct {
	pid    uint64 // PIDHash
	fp     uint64
	offset int64
}

// Journal is an append-only journal file of a bulk run (see RunBulk). One process at a time
// uses a journal: it is locked (flock on <journal>.lock) from OpenJournal to Close.
type Journal struct {
	path   string
	header JournalHeader
	sync   bool

	lock *flock.Flock
	f    *os.File // appends
	w    *bufio.Writer
	size int64 // offset of the end, buffered bytes included

	rf  *os.File // reads of earlier records
	rd  *bufio.Reader
	pos int64 // offset rd is at, or -1

	index    []indexEntry // successful pids, sorted by pid hash
	records  int64        // records loaded
	cut      int64        // bytes cut from a torn end, if any
	manifest bool         // the manifest changed since the journal was last compacted
	buf      []byte
}

// OpenJournal opens the journal at path for a run described by want (whose Started is used
// only for a new journal), creating it if it does not exist or is empty. An existing journal
// must have the same Mode, Store and Shard. It is read up to its first line that is not a
// complete record, and cut there: a record torn by a crash, and anything after it, is
// discarded (those objects are simply done again). With sync, appends are fsynced at each
// Checkpoint.
func OpenJournal(path string, want JournalHeader, sync bool) (*Journal, error) {
	lk := flock.New(path + ".lock")
	locked, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("journal %s: locking: %w", path, err)
	}
	if !locked {
		return nil, fmt.Errorf("%w: journal %s is in use by another process (it is locked)", hashstore.ErrInProgress, path)
	}
	j := &Journal{path: path, sync: sync, lock: lk, pos: -1}
	if err := j.load(want); err != nil {
		j.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

func (j *Journal) load(want JournalHeader) error {
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	j.f = f
	r := bufio.NewReaderSize(f, 256<<10)
	var off int64
	line, err := readJournalLine(r)
	if err == io.EOF || (err == nil && len(bytes.TrimSpace(line)) == 0) {
		return j.create(want)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(line, &j.header); err != nil || j.header.Version == 0 {
		return errors.New("not a hashstore bulk journal (its first line is not a journal header)")
	}
	if j.header.Version != JournalVersion {
		return fmt.Errorf("journal format version %d, this program writes %d", j.header.Version, JournalVersion)
	}
	h := j.header
	if h.Mode != want.Mode || h.Store != want.Store || h.Shard != want.Shard {
		return fmt.Errorf("%w: it belongs to another run (%s into %s, shard %s), not this one (%s into %s, shard %s): use another --journal",
			hashstore.ErrInvalidArgument, h.Mode, h.Store, h.Shard, want.Mode, want.Store, want.Shard)
	}
	j.manifest = h.Manifest != want.Manifest || h.ManifestSize != want.ManifestSize || h.ManifestMtimeNS != want.ManifestMtimeNS
	off += int64(len(line))
	// Every record with a pid, in file order: offset >= 0 for a success, -1-offset for a
	// failure (24 bytes a record while loading; only the successes are kept).
	var all []indexEntry
	for {
		line, err := readJournalLine(r)
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, errTorn) {
			return err
		}
		var rec struct {
			PID    string       `json:"pid"`
			Status string       `json:"status"`
			Class  FailureClass `json:"class"`
			FP     string       `json:"fp"`
		}
		if err != nil || json.Unmarshal(line, &rec) != nil || rec.Status == "" {
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
		j.records++
		if rec.PID != "" && rec.Class != ClassDuplicatePid {
			e := indexEntry{pid: PIDHash(rec.PID), offset: off}
			if rec.Status == StatusOK {
				e.fp, _ = strconv.ParseUint(rec.FP, 16, 64)
			} else {
				e.offset = -1 - off
			}
			all = append(all, e)
		}
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
		if (k+1 < len(all) && all[k+1].pid == e.pid) || e.offset < 0 {
			continue // a later record of the same pid follows, or a failure
		}
		all[n] = e
		n++
	}
	j.index = slices.Clone(all[:n])
	all = nil
	j.size = off
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	return j.openHandles()
}

// create writes a new journal holding only the header.
func (j *Journal) create(want JournalHeader) error {
	want.Version = JournalVersion
	if want.Started.IsZero() {
		want.Started = time.Now()
	}
	want.Started = want.Started.UTC().Truncate(time.Second)
	j.header = want
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	line, err := json.Marshal(want)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if _, err := j.f.Write(line); err != nil {
		return err
	}
	j.size = int64(len(line))
	if j.sync {
		if err := j.f.Sync(); err != nil {
			return err
		}
		syncDir(filepath.Dir(j.path))
	}
	return j.openHandles()
}

func (j *Journal) openHandles() error {
	rf, err := os.Open(j.path)
	if err != nil {
		return err
	}
	j.rf = rf
	j.w = bufio.NewWriterSize(j.f, 256<<10)
	return nil
}

var errTorn = errors.New("torn journal line")

// readJournalLine returns the next line with its newline; a last line without one is errTorn.
func readJournalLine(r *bufio.Reader) ([]byte, error) {
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
func (j *Journal) Header() JournalHeader { return j.header }

// Path returns the journal's path.
func (j *Journal) Path() string { return j.path }

// Loaded returns how many records were read when the journal was opened, how many pids it
// records as done, and how many bytes of a torn end were cut away.
func (j *Journal) Loaded() (records, done int64, cut int64) {
	return j.records, int64(len(j.index)), j.cut
}

// ManifestChanged reports whether the manifest's path, size or modification time differ from
// those recorded when the journal was last compacted.
func (j *Journal) ManifestChanged() bool { return j.manifest }

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
	var rec struct {
		PID    string `json:"pid"`
		Status string `json:"status"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.PID != pid || rec.Status != StatusOK {
		return 0, false
	}
	return off, true
}

// HasDone reports whether the journal records any pid with the hash of pid as done (a fast
// pre-check for Done that needs no fingerprint).
func (j *Journal) HasDone(pid string) bool {
	_, found := j.find(pid)
	return found
}

// find returns the position in the index of the entry for pid's hash, and whether there is one.
func (j *Journal) find(pid string) (int, bool) {
	return slices.BinarySearchFunc(j.index, PIDHash(pid), func(e indexEntry, h uint64) int {
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
func (j *Journal) Append(rec *JournalRecord) (int64, error) {
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
	if j.sync {
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
	for _, f := range []*os.File{j.f, j.rf} {
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
// manifest's identity updated to manifest) followed by the records at offsets, in that order,
// each with its line set to the matching entry of lines. emit, if not nil, is called with each
// record as it is written. Afterwards the journal holds exactly one record per entry of
// offsets and stays open for reading and appending.
func (j *Journal) Compact(manifest JournalHeader, offsets []int64, lines []uint32, emit func(*JournalRecord) error) error {
	if err := j.Flush(); err != nil {
		return err
	}
	h := j.header
	h.Manifest, h.ManifestSize, h.ManifestMtimeNS = manifest.Manifest, manifest.ManifestSize, manifest.ManifestMtimeNS
	tmp, err := os.CreateTemp(filepath.Dir(j.path), "."+filepath.Base(j.path)+".compact-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
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
		var rec JournalRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("the record at offset %d: %w", off, err)
		}
		if rec.Line != int64(lines[i]) {
			rec.Line = int64(lines[i])
			if raw, err = appendJSON(raw[:0], &rec); err != nil {
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
	if j.sync {
		if err := tmp.Sync(); err != nil {
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), j.path); err != nil {
		return err
	}
	if j.sync {
		syncDir(filepath.Dir(j.path))
	}
	j.header = h
	// Reopen on the new file.
	for _, f := range []*os.File{j.f, j.rf} {
		f.Close()
	}
	if j.f, err = os.OpenFile(j.path, os.O_RDWR, 0); err != nil {
		return err
	}
	if j.size, err = j.f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	j.rd, j.pos = nil, -1
	return j.openHandles()
}

// syncDir fsyncs a directory, best effort (some filesystems refuse).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// fingerprintHash is the fingerprint of an entry: its fields, and the states of its data file
// and sysmeta file (nil: absent or not given).
func fingerprintHash(e *ManifestEntry, data, sm *FileFingerprint) uint64 {
	h := uint64(14695981039346656037)
	add := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	var num [8]byte
	addInt := func(v uint64) {
		binary.LittleEndian.PutUint64(num[:], v)
		add(num[:])
	}
	for _, s := range []string{e.PID, e.Path, e.Sysmeta, e.FormatID, e.Checksum, e.ChecksumAlgorithm} {
		addInt(uint64(len(s)))
		add([]byte(s))
	}
	if e.HasSize {
		addInt(1)
		addInt(uint64(e.Size))
	} else {
		addInt(0)
	}
	for _, fp := range []*FileFingerprint{data, sm} {
		if fp == nil {
			addInt(0)
			continue
		}
		addInt(1)
		addInt(fp.Dev)
		addInt(fp.Ino)
		addInt(uint64(fp.Size))
		addInt(uint64(fp.MtimeNS))
	}
	return h
}

// fingerprintOf stats path (following symbolic links); nil when path is "" or cannot be
// stat'ed.
func fingerprintOf(path string) *FileFingerprint {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return fileFingerprint(fi)
}

func fileFingerprint(fi fs.FileInfo) *FileFingerprint {
	fp := &FileFingerprint{Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}
	fp.Dev, fp.Ino = devIno(fi)
	return fp
}
