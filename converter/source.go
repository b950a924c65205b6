package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashstore-go/hashstore/converter/internal/journal"
	"github.com/hashstore-go/hashstore/converter/internal/manifest"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// Source is where a bulk run's objects come from: a manifest file (NewManifestSource), or
// another listing such as a repository's database. RunBulk calls its methods from one
// goroutine.
type Source interface {
	// Name identifies the source in the journal, the summary and messages (a manifest's
	// absolute path).
	Name() string
	// Stamp identifies the source's current state (a manifest's size and modification time):
	// a resumed run whose source has another stamp says so, and matches objects by pid and
	// fingerprint, never by position.
	Stamp() string
	// Len is the number of entries the source will give, counting the unreadable ones, or -1
	// when it cannot tell in advance (for progress).
	Len() int64
	// Next returns the next entry, and io.EOF after the last. An *EntryError is an entry that
	// cannot be read; the run records it as a failure (class malformedLine) and calls Next
	// again. Any other error ends the run.
	Next(ctx context.Context) (Entry, error)
}

// PIDRereader is implemented by sources in which one pid may appear twice (a manifest).
// RunBulk finds repeated pids by hash, keeping no pid in memory, and confirms a match by asking
// for the earlier entry's pid again. A source that does not implement it promises that its
// pids are distinct.
type PIDRereader interface {
	// PIDAt returns the pid of the entry whose Entry.Offset is offset.
	PIDAt(offset int64) (string, error)
}

// Entry is one object a Source lists.
type Entry struct {
	// Line is the entry's position in the source, counted from 1 (a manifest's line number;
	// reports quote it as "line N").
	Line int64
	// Offset is where the source finds the entry again (PIDRereader); a manifest's byte
	// offset.
	Offset int64
	// PID is the persistent identifier, exactly as given.
	PID string
	// Path is the data file ("" for none: store the sysmeta only), a path for the store's
	// StoreFile.
	Path string
	// PathInfo is Path's state when the source looked the file up, or nil: a source that
	// stats the file anyway passes it on, so that RunBulk does not stat it again.
	PathInfo fs.FileInfo
	// SysmetaPath is a system metadata file, or Sysmeta the document itself (a source that
	// builds documents); at most one of them is set, and neither means no sysmeta.
	SysmetaPath string
	Sysmeta     []byte
	// FormatID is the format id to store the sysmeta under ("" for the store's namespace).
	FormatID string
	// Checksum and ChecksumAlgorithm are an expected checksum ("" for none), the algorithm as
	// written (an unknown one fails the object with class noSuchAlgorithm).
	Checksum, ChecksumAlgorithm string
	// Size is the expected size in bytes when HasSize.
	Size    int64
	HasSize bool
	// Note, when its Class is set, lists the entry in the note's report if it succeeds (e.g.
	// NoteSysmetaOnly: a database row with system metadata but no data).
	Note Note
}

// Snapshot is implemented by sources read from one consistent state of a database: T0 is the
// database's clock when that state was taken. RunBulk keeps it in the journal (the T0 of the
// last complete pass), and a later pass over the same journal must be a sweep
// (BulkOptions.Sweep).
type Snapshot interface {
	T0() time.Time
}

// EntryError is an entry of a Source that cannot be converted: RunBulk records it as a
// failure of class Class (malformedLine when Class is empty: the entry cannot be read as one)
// and goes on.
type EntryError struct {
	Line int64
	// Offset is the entry's Offset, as for Entry.
	Offset int64
	// PID is the pid when it could still be read, else "" (such an entry belongs to shard 0).
	PID string
	// Class is the failure's class; empty means ClassMalformedLine.
	Class FailureClass
	Err   error
}

// Error reads "line N: cause".
func (e *EntryError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// record is the failure record of the entry: "line N: malformed: cause" for an unreadable
// entry, "line N: cause" for one of another class.
func (e *EntryError) record() *journal.Record {
	rec := &journal.Record{Line: e.Line, PID: e.PID, Status: journal.StatusFailed, Class: string(e.Class)}
	if e.Class == "" {
		rec.Class = string(ClassMalformedLine)
		rec.Message = fmt.Sprintf("line %d: malformed: %v", e.Line, e.Err)
	} else {
		rec.Message = fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return rec
}

// Unwrap returns the cause.
func (e *EntryError) Unwrap() error { return e.Err }

// ManifestSource reads the objects of a bulk run from a manifest file: JSON Lines or CSV with
// a header, one object per line (docs/CLI.md 5). It is streamed:
// memory does not grow with the manifest. Relative paths in it are relative to its directory.
type ManifestSource struct {
	path  string
	f     *os.File
	fi    os.FileInfo
	r     *manifest.Reader
	lines int64
}

// NewManifestSource opens the manifest at path; the file name's extension chooses the format
// (.jsonl or .ndjson for JSON Lines, .csv for CSV). Close it when the run is over.
func NewManifestSource(path string) (*ManifestSource, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	format, err := manifest.FormatOf(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", hashstore.ErrInvalidArgument, err)
	}
	f, err := safeopen.OpenInput(path)
	var nr *safeopen.NotRegularError
	if errors.As(err, &nr) {
		return nil, fmt.Errorf("%w: manifest %s is %s, not a regular file", hashstore.ErrInvalidArgument, path, nr.Found)
	}
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m := &ManifestSource{path: path, f: f, fi: fi}
	if m.lines, err = countLines(f, format); err != nil {
		f.Close()
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	m.r = manifest.NewReader(f, format, filepath.Dir(path))
	return m, nil
}

// Name implements Source: the manifest's absolute path.
func (m *ManifestSource) Name() string { return m.path }

// Stamp implements Source: the manifest's size and modification time (ns) when opened.
func (m *ManifestSource) Stamp() string {
	return strconv.FormatInt(m.fi.Size(), 10) + "@" + strconv.FormatInt(m.fi.ModTime().UnixNano(), 10)
}

// Len implements Source: the manifest's lines, less a CSV header.
func (m *ManifestSource) Len() int64 { return m.lines }

// Next implements Source.
func (m *ManifestSource) Next(ctx context.Context) (Entry, error) {
	e, err := m.r.Next()
	var le *manifest.LineError
	switch {
	case errors.As(err, &le):
		return Entry{}, &EntryError{Line: le.Line, Offset: le.Offset, PID: le.PID, Err: le.Err}
	case err == io.EOF:
		return Entry{}, io.EOF
	case err != nil:
		return Entry{}, fmt.Errorf("manifest %s: %w", m.path, err)
	}
	return Entry{Line: e.Line, Offset: e.Offset, PID: e.PID, Path: e.Path, SysmetaPath: e.Sysmeta,
		FormatID: e.FormatID, Checksum: e.Checksum, ChecksumAlgorithm: e.ChecksumAlgorithm,
		Size: e.Size, HasSize: e.HasSize}, nil
}

// PIDAt implements PIDRereader by reading the line at offset again.
func (m *ManifestSource) PIDAt(offset int64) (string, error) {
	e, err := m.r.EntryAt(m.f, offset)
	var le *manifest.LineError
	if errors.As(err, &le) {
		return le.PID, nil
	}
	return e.PID, err
}

// Close closes the manifest.
func (m *ManifestSource) Close() error { return m.f.Close() }

// countLines counts a manifest's lines (less a CSV header) by a fast scan, then rewinds.
func countLines(f *os.File, format manifest.Format) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	last := byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	if format == manifest.CSV && n > 0 {
		n--
	}
	_, err := f.Seek(0, io.SeekStart)
	return n, err
}
