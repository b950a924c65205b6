package converter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/links"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// BulkMode is how a bulk run places data: by hard link (convert) or by copy (import).
type BulkMode int

const (
	// BulkConvert hard-links each data file into the store (Converter.Convert).
	BulkConvert BulkMode = iota
	// BulkImport copies each data file into the store (the store's StoreObject), with the same
	// checks as BulkConvert.
	BulkImport
)

// String returns "convert" or "import".
func (m BulkMode) String() string {
	if m == BulkImport {
		return "import"
	}
	return "convert"
}

// Shard selects part of a manifest: the entries whose PIDHash(pid) % Count == Index. The zero
// value (or Count 1) selects everything.
type Shard struct{ Index, Count int }

// ParseShard parses "I/N" with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return Shard{}, fmt.Errorf("%w: shard %q: want I/N with 0 <= I < N, e.g. 0/4", hashstore.ErrInvalidArgument, s)
	}
	return Shard{a, b}, nil
}

// String returns "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, max(s.Count, 1)) }

// Suffix is what a sharded run inserts before the extension of its file names
// (".shard-I-of-N"), and "" for an unsharded run.
func (s Shard) Suffix() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf(".shard-%d-of-%d", s.Index, s.Count)
}

// Has reports whether pid belongs to the shard.
func (s Shard) Has(pid string) bool {
	return s.Count <= 1 || PIDHash(pid)%uint64(s.Count) == uint64(s.Index)
}

// WithShardSuffix inserts shard.Suffix() before path's extension: "c.csv" -> "c.shard-0-of-4.csv".
func WithShardSuffix(path string, shard Shard) string {
	suf := shard.Suffix()
	if suf == "" || path == "" {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + suf + ext
}

// DefaultLargeThreshold is the size from which a data file goes to the large-file lane.
const DefaultLargeThreshold = 256 << 20

// BulkOptions configures RunBulk. Manifest is required; the zero value of everything else is
// a sensible default.
type BulkOptions struct {
	Mode BulkMode
	// Manifest is the manifest file (.jsonl or .csv).
	Manifest string
	// Journal is the journal file; default <manifest>.journal beside the manifest. With a
	// shard, the shard suffix is inserted before the extension of this and of every other
	// output name (see WithShardSuffix, ReportName).
	Journal string
	// ReportDir receives the failure reports; default the journal's directory.
	ReportDir string
	// ChecksumsOut, if set, receives the checksums CSV.
	ChecksumsOut string
	// SummaryOut, if set, receives the summary as JSON.
	SummaryOut string
	// Workers is the number of workers for files below LargeThreshold (default GOMAXPROCS);
	// LargeWorkers those dedicated to the large-file lane (default 1).
	Workers, LargeWorkers int
	// LargeThreshold is the size in bytes from which a data file goes to the large-file lane
	// (default DefaultLargeThreshold).
	LargeThreshold int64
	// Shard selects the part of the manifest this run takes.
	Shard Shard
	// Sync fsyncs the journal at checkpoints and the outputs before they are renamed into
	// place (use the store's own durability setting).
	Sync bool
	// CheckpointRecords and CheckpointInterval bound the records and time between two
	// checkpoints of the journal (defaults 4096 and 1s).
	CheckpointRecords  int
	CheckpointInterval time.Duration
	// Progress, if set, is called from the writer goroutine at most every ProgressInterval
	// (default 200ms), and once at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// Logger receives notices (a torn journal, a changed manifest); default: discarded.
	Logger *slog.Logger
	// Started names the reports of a new journal (default: now).
	Started time.Time
	// CrossDevice is what convert does with a data file on another filesystem than the store
	// (links.OnCrossDevice); it is ignored by import.
	CrossDevice links.CrossDevicePolicy
}

// Progress is the state of a run, for progress bars and log lines.
type Progress struct {
	// Lines is the number of manifest lines dealt with (entries finished, lines of other
	// shards passed over); TotalLines the manifest's line count (excluding a CSV header), or
	// -1 when unknown.
	Lines, TotalLines int64
	// Read counts the entries of this shard read from the manifest; Done those finished
	// (processed or skipped), Skipped those done by an earlier run, Failed those that failed.
	// Read - Done is bounded by the queues (backpressure).
	Read, Done, Skipped, Failed int64
	// Bytes is the data read by this run.
	Bytes   int64
	Elapsed time.Duration
	// Final is true in the last call.
	Final bool
}

// ErrInterrupted is returned (wrapped) by RunBulk when its context was cancelled: the journal
// holds what was done, and a run with the same journal resumes.
var ErrInterrupted = errors.New("interrupted; run the same command again to resume")

// work is one entry on its way to a worker.
type work struct {
	ord   int64
	e     ManifestEntry
	data  *FileFingerprint // the data file's state, nil if absent or unreadable
	sm    *FileFingerprint
	fp    uint64
	large bool
}

// outcome is what the writer receives per entry: a record to append, or the offset of the
// record of an earlier run (skipped).
type outcome struct {
	ord, line int64
	rec       *JournalRecord
	skipOff   int64
	bytes     int64
}

// RunBulk converts (or imports) every object of a manifest into the store behind c.
//
// # Pipeline
//
// One reader goroutine streams the manifest (ManifestReader), classifies what needs no disk
// (malformed lines, invalid and duplicate pids), skips what the journal records as done, stats
// the data and sysmeta files (the fingerprint) and queues the rest. Workers (Workers, default
// GOMAXPROCS) convert; one writer goroutine appends each outcome to the journal, checkpoints it
// and reports progress. Every queue between them is bounded (a few entries per worker), so a
// slow writer or slow workers stop the reader instead of growing memory.
//
// # The large-file lane
//
// A data file of at least LargeThreshold bytes (by the reader's stat) goes to a queue of its
// own (4 entries per large worker), served by LargeWorkers dedicated workers (default 1), so
// large files are hashed alongside the small ones from the moment they are read instead of
// holding a small-file worker for minutes. When that queue is full, the reader puts the
// large file in the ordinary queue instead: it never waits for the large lane while ordinary
// workers could take work, so a run of large files cannot stall the small ones. Once the
// ordinary queue is closed and empty (the manifest is read), the ordinary workers help with
// the large files left, so the end of a run does not wait for one lane while the others idle.
//
// # Journal and resume
//
// Each outcome is a JournalRecord: the pid, the line, the status and failure class, the
// fingerprint (the entry's fields and the data and sysmeta files' device, inode, size and
// modification time), the cid, size and digests. A run with an existing journal skips a pid
// whose last record is a success with the same fingerprint, and does everything else again
// (failures included). After a crash the journal is cut after its last complete record.
//
// # Outputs
//
// At the end of a complete run, the journal is compacted (atomically) to exactly one record per
// manifest entry, the last outcome, in manifest order, and the reports, the checksums CSV and
// the summary are derived from it in the same pass and renamed into place; report names carry
// the journal's start time. Interrupted at any moment and run again, a run therefore ends with
// the same store, journal (but for timings) and outputs as an uninterrupted one.
//
// RunBulk returns the summary and a nil error when every entry was dealt with, even if some
// failed (Summary.Failed); an error means the run could not go on (the manifest or journal
// cannot be read or written, ErrInterrupted when ctx was cancelled).
func (c *Converter) RunBulk(ctx context.Context, opts BulkOptions) (*Summary, error) {
	r, err := c.newBulkRun(opts)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.run(ctx)
}

type bulkRun struct {
	opts    BulkOptions
	conv    *Converter // convert or import
	log     *slog.Logger
	started time.Time

	manifest *os.File
	format   ManifestFormat
	mfi      fs.FileInfo
	journal  *Journal
	header   JournalHeader

	// Set by the reader: per ordinal, the entry's line and the byte offset of the line.
	lines     []uint32
	mOffsets  []int64
	otherRows atomic.Int64 // lines of other shards
	dups      pidSet       // the pids of this shard seen so far (the reader's)
	nread     atomic.Int64 // entries of this shard read
	readErr   error

	// Set by the writer: per ordinal, the offset of its record in the journal.
	offsets  []int64
	writeErr error

	done, skipped, failed, bytes atomic.Int64
	totalLines                   int64
}

func (c *Converter) newBulkRun(opts BulkOptions) (*bulkRun, error) {
	if opts.Manifest == "" {
		return nil, fmt.Errorf("%w: no manifest given", hashstore.ErrInvalidArgument)
	}
	format, err := ManifestFormatOf(opts.Manifest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", hashstore.ErrInvalidArgument, err)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.LargeWorkers <= 0 {
		opts.LargeWorkers = 1
	}
	if opts.LargeThreshold <= 0 {
		opts.LargeThreshold = DefaultLargeThreshold
	}
	if opts.CheckpointRecords <= 0 {
		opts.CheckpointRecords = 4096
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Second
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 200 * time.Millisecond
	}
	if opts.Shard.Count <= 0 {
		opts.Shard = Shard{0, 1}
	}
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	opts.Manifest = abs(opts.Manifest)
	if opts.Journal == "" {
		opts.Journal = opts.Manifest + ".journal"
	}
	opts.Journal = WithShardSuffix(abs(opts.Journal), opts.Shard)
	if opts.ReportDir == "" {
		opts.ReportDir = filepath.Dir(opts.Journal)
	}
	opts.ReportDir = abs(opts.ReportDir)
	opts.ChecksumsOut = WithShardSuffix(abs(opts.ChecksumsOut), opts.Shard)
	opts.SummaryOut = WithShardSuffix(abs(opts.SummaryOut), opts.Shard)
	r := &bulkRun{opts: opts, conv: c, log: opts.Logger, format: format, started: time.Now()}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if opts.Mode == BulkImport {
		ls, err := links.New(c.links.FileHashStore, links.WithLinker(copyLinker{c.links.Linker()}), links.OnCrossDevice(links.CrossDeviceCopy))
		if err != nil {
			return nil, err
		}
		r.conv = New(ls)
	} else if opts.CrossDevice != links.CrossDeviceFail {
		ls, err := links.New(c.links.FileHashStore, links.WithLinker(c.links.Linker()), links.OnCrossDevice(opts.CrossDevice))
		if err != nil {
			return nil, err
		}
		r.conv = New(ls)
	}
	if r.manifest, err = os.Open(opts.Manifest); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if r.mfi, err = r.manifest.Stat(); err != nil {
		r.close()
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if r.mfi.IsDir() {
		r.close()
		return nil, fmt.Errorf("%w: manifest %s is a directory", hashstore.ErrInvalidArgument, opts.Manifest)
	}
	root := c.links.Root()
	if p, err := filepath.Abs(root); err == nil {
		root = p
	}
	r.header = JournalHeader{
		Mode: opts.Mode.String(), Store: root, Shard: opts.Shard.String(),
		Manifest: opts.Manifest, ManifestSize: r.mfi.Size(), ManifestMtimeNS: r.mfi.ModTime().UnixNano(),
		Started: opts.Started,
	}
	if err := os.MkdirAll(filepath.Dir(opts.Journal), 0o755); err != nil {
		r.close()
		return nil, err
	}
	if r.journal, err = OpenJournal(opts.Journal, r.header, opts.Sync); err != nil {
		r.close()
		return nil, err
	}
	// Temp files of a compaction that was interrupted (never a live file: the journal is locked).
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(opts.Journal), "."+filepath.Base(opts.Journal)+".compact-*")); len(stale) > 0 {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	if recs, done, cut := r.journal.Loaded(); recs > 0 || cut > 0 {
		r.log.Info("resuming from the journal", "journal", opts.Journal, "records", recs, "done", done)
		if cut > 0 {
			r.log.Warn("the journal ended in an incomplete record (an interrupted run); it was cut off and its object will be done again",
				"journal", opts.Journal, "bytes", cut)
		}
		if r.journal.ManifestChanged() {
			r.log.Warn("the manifest changed since the journal was written; objects are matched by pid and fingerprint",
				"manifest", opts.Manifest)
		}
	}
	return r, nil
}

func (r *bulkRun) close() {
	if r.journal != nil {
		r.journal.Close()
		r.journal = nil
	}
	if r.manifest != nil {
		r.manifest.Close()
		r.manifest = nil
	}
}

// copyLinker makes a links.Store copy instead of link: its CheckLink reports every source as
// on another filesystem, and the store is set to copy such sources in (CrossDeviceCopy),
// through StoreObject with the same expectations.
type copyLinker struct{ links.Linker }

// CheckLink implements links.LinkChecker.
func (copyLinker) CheckLink(source, dir string) error {
	return &os.LinkError{Op: "link", Old: source, New: dir, Err: syscall.EXDEV}
}

func (r *bulkRun) run(ctx context.Context) (*Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := r.opts
	r.totalLines = countLines(r.manifest, r.format)
	// Size the per-entry arrays once (a shard takes about its share).
	if est := r.totalLines/int64(o.Shard.Count) + r.totalLines/int64(o.Shard.Count)/16 + 16; est < 1<<32 {
		r.lines = make([]uint32, 0, est)
		r.mOffsets = make([]int64, 0, est)
		r.offsets = make([]int64, 0, est)
		r.dups.reserve(int(est))
	}
	small := make(chan *work, 4*o.Workers)
	large := make(chan *work, 4*o.LargeWorkers)
	results := make(chan outcome, 8*(o.Workers+o.LargeWorkers))

	var producers sync.WaitGroup
	producers.Add(1)
	go func() {
		defer producers.Done()
		defer close(small)
		defer close(large)
		r.readErr = r.read(ctx, small, large, results)
		if r.readErr != nil {
			cancel()
		}
	}()
	for range o.Workers {
		producers.Add(1)
		go func() {
			defer producers.Done()
			r.work(ctx, small, large, results)
		}()
	}
	for range o.LargeWorkers {
		producers.Add(1)
		go func() {
			defer producers.Done()
			r.work(ctx, nil, large, results)
		}()
	}
	go func() {
		producers.Wait()
		close(results)
	}()
	r.write(ctx, cancel, results)

	if r.readErr != nil {
		return nil, r.readErr
	}
	if r.writeErr != nil {
		return nil, fmt.Errorf("journal %s: %w", o.Journal, r.writeErr)
	}
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w (%w)", ErrInterrupted, err)
	}
	return r.finish()
}

// countLines counts the manifest's lines (less a CSV header) by a fast scan, then rewinds.
func countLines(f *os.File, format ManifestFormat) int64 {
	defer f.Seek(0, io.SeekStart)
	buf := make([]byte, 1<<20)
	var n int64
	last := byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		n++
	}
	if format == ManifestCSV && n > 0 {
		n--
	}
	return n
}

// read is the reader goroutine.
func (r *bulkRun) read(ctx context.Context, small, large chan<- *work, results chan<- outcome) error {
	mr := NewManifestReader(r.manifest, r.format, filepath.Dir(r.opts.Manifest))
	at := r.manifest // for re-reading a line to confirm a duplicate
	dups := &r.dups
	shard := r.opts.Shard
	send := func(ch chan<- outcome, o outcome) bool {
		select {
		case ch <- o:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		e, err := mr.Next()
		if err == io.EOF {
			return nil
		}
		var mle *ManifestLineError
		if errors.As(err, &mle) {
			// A line without a readable pid belongs to shard 0, one with a pid to its shard.
			if (mle.PID == "" && shard.Index != 0) || (mle.PID != "" && !shard.Has(mle.PID)) {
				r.otherRows.Add(1)
				continue
			}
			ord, err := r.addOrd(mle.Line, mle.Offset)
			if err != nil {
				return err
			}
			rec := &JournalRecord{Line: mle.Line, PID: mle.PID, Status: StatusFailed, Class: ClassMalformedLine,
				Message: fmt.Sprintf("line %d: malformed: %v", mle.Line, mle.Err)}
			if !send(results, outcome{ord: ord, line: mle.Line, rec: rec}) {
				return nil
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("manifest %s: %w", r.opts.Manifest, err)
		}
		if !shard.Has(e.PID) {
			r.otherRows.Add(1)
			continue
		}
		ord, err := r.addOrd(e.Line, e.Offset)
		if err != nil {
			return err
		}
		fail := func(class FailureClass, msg string) bool {
			rec := &JournalRecord{Line: e.Line, PID: e.PID, Status: StatusFailed, Class: class,
				Message: fmt.Sprintf("line %d: %s", e.Line, msg)}
			return send(results, outcome{ord: ord, line: e.Line, rec: rec})
		}
		if err := checkPID(e.PID); err != nil {
			if !fail(ClassInvalidPid, err.Error()) {
				return nil
			}
			continue
		}
		if first, seen := dups.lookupOrAdd(PIDHash(e.PID), uint32(ord)); seen {
			if firstLine, same := r.samePID(at, int64(first), e.PID); same {
				if !fail(ClassDuplicatePid, fmt.Sprintf("duplicate pid: already on line %d", firstLine)) {
					return nil
				}
				continue
			}
		}
		if e.Path == "" && e.Sysmeta == "" {
			if !fail(ClassMalformedLine, "malformed: neither path nor sysmeta: nothing to store") {
				return nil
			}
			continue
		}
		w := &work{ord: ord, e: e, data: fingerprintOf(e.Path), sm: fingerprintOf(e.Sysmeta)}
		w.fp = fingerprintHash(&e, w.data, w.sm)
		if r.journal.HasDone(e.PID) {
			if off, ok := r.journal.Done(e.PID, w.fp); ok {
				if !send(results, outcome{ord: ord, line: e.Line, skipOff: off, rec: nil}) {
					return nil
				}
				continue
			}
		}
		if w.data != nil && w.data.Size >= r.opts.LargeThreshold {
			w.large = true
			select {
			case large <- w:
				continue
			default: // the large lane is full: an ordinary worker takes it
			}
		}
		select {
		case small <- w:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// addOrd gives the next entry of this shard its ordinal.
func (r *bulkRun) addOrd(line, offset int64) (int64, error) {
	if line > math.MaxUint32 {
		return 0, fmt.Errorf("manifest %s: more than %d lines: split it", r.opts.Manifest, uint32(math.MaxUint32))
	}
	r.lines = append(r.lines, uint32(line))
	r.mOffsets = append(r.mOffsets, offset)
	r.nread.Add(1)
	return int64(len(r.lines) - 1), nil
}

// samePID confirms a duplicate found by pid hash: it rereads the line of ordinal first and
// compares its pid. It returns that line's number.
func (r *bulkRun) samePID(at io.ReaderAt, first int64, pid string) (int64, bool) {
	line := int64(r.lines[first])
	sr := io.NewSectionReader(at, r.mOffsets[first], MaxManifestLine+2)
	mr := NewManifestReader(sr, r.format, "")
	if r.format == ManifestCSV {
		// Give the reader the header it needs.
		mr.cols, mr.ncols, mr.header = r.csvCols()
	}
	e, err := mr.Next()
	if err != nil {
		var mle *ManifestLineError
		if errors.As(err, &mle) {
			return line, mle.PID == pid
		}
		return line, false
	}
	return line, e.PID == pid
}

// csvCols reads the CSV header again (for samePID).
func (r *bulkRun) csvCols() (map[string]int, int, bool) {
	mr := NewManifestReader(io.NewSectionReader(r.manifest, 0, 1<<62), ManifestCSV, "")
	for {
		line, _, err := mr.readLine()
		if err != nil {
			return nil, 0, false
		}
		if line != nil && len(bytes.TrimSpace(line)) > 0 {
			if mr.readHeader(line) != nil {
				return nil, 0, false
			}
			return mr.cols, mr.ncols, true
		}
	}
}

// work is a worker goroutine: it works through small, then through large (a dedicated
// large-lane worker has small == nil).
func (r *bulkRun) work(ctx context.Context, small, large <-chan *work, results chan<- outcome) {
	for _, ch := range []<-chan *work{small, large} {
		if ch == nil {
			continue
		}
		for w := range ch {
			if ctx.Err() != nil {
				continue // interrupted: drain without working
			}
			rec, n := r.process(ctx, w)
			if rec == nil {
				continue // interrupted during the work: nothing to record
			}
			select {
			case results <- outcome{ord: w.ord, line: w.e.Line, rec: rec, bytes: n}:
			case <-ctx.Done():
			}
		}
	}
}

// testHookProcess, if set, is called by a worker before it processes w (tests).
var testHookProcess func(w *work)

// process converts one entry and returns its record, or nil if ctx ended it.
func (r *bulkRun) process(ctx context.Context, w *work) (*JournalRecord, int64) {
	if testHookProcess != nil {
		testHookProcess(w)
	}
	start := time.Now()
	e := &w.e
	rec := &JournalRecord{Line: e.Line, PID: e.PID, FP: fmt.Sprintf("%016x", w.fp), Source: w.data}
	res, err := r.convert(ctx, e)
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil, 0
	}
	if err != nil {
		rec.Status, rec.Class = StatusFailed, Classify(err)
		rec.Message = fmt.Sprintf("line %d: %v", e.Line, err)
	} else {
		rec.Status = StatusOK
		rec.CID, rec.Size, rec.HexDigests = res.Object.CID, res.Object.Size, res.Object.HexDigests
	}
	rec.Time = &RecordTime{Finished: time.Now().UTC(), Millis: float64(time.Since(start).Microseconds()) / 1000}
	return rec, res.Object.Size
}

// convert does the work of one entry.
func (r *bulkRun) convert(ctx context.Context, e *ManifestEntry) (Result, error) {
	var sm []byte
	if e.Sysmeta != "" {
		var err error
		if sm, err = os.ReadFile(e.Sysmeta); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return Result{}, fmt.Errorf("system metadata file %s: %w", e.Sysmeta, fs.ErrNotExist)
			}
			return Result{}, fmt.Errorf("system metadata file: %w", err)
		}
	}
	c := r.conv
	if sm == nil {
		// No sysmeta: place and tag the data with the manifest's expectations only.
		lopts := []links.LinkOption{links.StoreOptions(hashstore.WithPID(e.PID))}
		if e.Checksum != "" {
			lopts = append(lopts, links.AlsoChecksum(e.Checksum, e.ChecksumAlgorithm))
		}
		if e.HasSize {
			lopts = append(lopts, links.ExpectSize(e.Size))
		}
		res, err := c.links.Link(ctx, e.Path, lopts...)
		if errors.Is(err, hashstore.ErrAlreadyTagged) {
			err = nil
		}
		return Result{Result: res}, err
	}
	var opts []Option
	if e.Checksum != "" {
		opts = append(opts, WithChecksum(e.Checksum, e.ChecksumAlgorithm))
	}
	if e.HasSize {
		opts = append(opts, WithExpectedSize(e.Size))
	}
	if e.FormatID != "" {
		opts = append(opts, WithFormatID(e.FormatID))
	}
	res, err := c.Convert(ctx, e.Path, e.PID, sm, opts...)
	if err != nil && errors.Is(err, hashstore.ErrInvalidArgument) && !errors.Is(err, sysmeta.ErrMalformed) &&
		!errors.Is(err, sysmeta.ErrMissingField) && !errors.Is(err, sysmeta.ErrInvalidField) {
		// Say precisely what is wrong with the sysmeta, if that is it (error path only).
		if doc, perr := sysmeta.Parse(sm); perr == nil {
			switch {
			case doc.Identifier != e.PID:
				err = fmt.Errorf("%w: %w", errSysmetaIdentifier, err)
			case e.HasSize && doc.Size != e.Size:
				err = &hashstore.OpError{Op: "convert", ID: e.PID, Err: fmt.Errorf("%w: the manifest's size %d contradicts the system metadata's size %d",
					hashstore.ErrSizeMismatch, e.Size, doc.Size)}
			}
		}
	}
	return res, err
}

// write is the writer goroutine: it appends outcomes to the journal, checkpoints it and
// reports progress. After a journal error it cancels the run and drains the results.
func (r *bulkRun) write(ctx context.Context, cancel context.CancelFunc, results <-chan outcome) {
	o := r.opts
	j := r.journal
	lastCP, lastProgress := time.Now(), time.Time{}
	sinceCP := 0
	for res := range results {
		if r.writeErr != nil {
			continue
		}
		off := res.skipOff
		if res.rec != nil {
			var err error
			if off, err = j.Append(res.rec); err != nil {
				r.writeErr = err
				cancel()
				continue
			}
			if res.rec.Status == StatusFailed {
				r.failed.Add(1)
			}
		} else {
			r.skipped.Add(1)
		}
		for int64(len(r.offsets)) <= res.ord {
			r.offsets = append(r.offsets, -1)
		}
		r.offsets[res.ord] = off
		r.done.Add(1)
		r.bytes.Add(res.bytes)
		sinceCP++
		now := time.Now()
		if sinceCP >= o.CheckpointRecords || now.Sub(lastCP) >= o.CheckpointInterval {
			if err := j.Checkpoint(); err != nil {
				r.writeErr = err
				cancel()
				continue
			}
			sinceCP, lastCP = 0, now
		}
		if o.Progress != nil && now.Sub(lastProgress) >= o.ProgressInterval {
			o.Progress(r.progress(false))
			lastProgress = now
		}
	}
	if r.writeErr == nil {
		if err := j.Checkpoint(); err != nil {
			r.writeErr = err
		}
	}
	if o.Progress != nil {
		o.Progress(r.progress(true))
	}
}

func (r *bulkRun) progress(final bool) Progress {
	done := r.done.Load()
	return Progress{
		Lines: done + r.otherRows.Load(), TotalLines: r.totalLines,
		Read: r.nread.Load(), Done: done, Skipped: r.skipped.Load(), Failed: r.failed.Load(),
		Bytes: r.bytes.Load(), Elapsed: time.Since(r.started), Final: final,
	}
}

// finish compacts the journal and derives the outputs from it.
func (r *bulkRun) finish() (*Summary, error) {
	o := r.opts
	n := len(r.lines)
	if len(r.offsets) != n {
		return nil, fmt.Errorf("internal error: %d entries read but %d recorded", n, len(r.offsets))
	}
	for i, off := range r.offsets {
		if off < 0 {
			return nil, fmt.Errorf("internal error: line %d was not recorded", r.lines[i])
		}
	}
	h := r.journal.Header()
	sum := &Summary{Mode: o.Mode.String(), Manifest: o.Manifest, Store: h.Store, Shard: o.Shard.String(), Journal: o.Journal, ReportDir: o.ReportDir}
	removeStaleTemps(o.ChecksumsOut)
	for _, c := range FailureClasses() {
		removeStaleTemps(filepath.Join(o.ReportDir, ReportName(c, h.Started, o.Shard.Suffix())))
	}
	out, err := newOutputs(o.ReportDir, h.Started, o.Shard.Suffix(), o.ChecksumsOut, o.Sync, sum)
	if err != nil {
		return nil, err
	}
	if err := r.journal.Compact(r.header, r.offsets, r.lines, out.add); err != nil {
		out.abort()
		return nil, fmt.Errorf("journal %s: compacting: %w", o.Journal, err)
	}
	if err := out.commit(); err != nil {
		return nil, err
	}
	elapsed := time.Since(r.started)
	run := RunStats{Skipped: r.skipped.Load(), Bytes: r.bytes.Load(), ElapsedSeconds: elapsed.Seconds()}
	run.Processed = r.done.Load() - run.Skipped
	if s := elapsed.Seconds(); s > 0 {
		run.ObjectsPerSecond = float64(run.Processed) / s
		run.MBPerSecond = float64(run.Bytes) / 1e6 / s
	}
	sum.Run = run
	if o.SummaryOut != "" {
		removeStaleTemps(o.SummaryOut)
		if err := writeSummary(o.SummaryOut, sum, o.Sync); err != nil {
			return sum, err
		}
	}
	return sum, nil
}
