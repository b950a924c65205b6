package converter

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/converter/internal/journal"
	"github.com/hashstore-go/hashstore/converter/internal/pidset"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/safeopen"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// DefaultLargeThreshold is the size from which a data file goes to the large-file lane.
const DefaultLargeThreshold = 256 << 20

// BulkOptions configures RunBulk. Source and Journal are required; the zero value of
// everything else is a sensible default.
type BulkOptions struct {
	// Source lists the objects (NewManifestSource for a manifest file).
	Source Source
	// Journal is the journal file (the command line uses <manifest>.journal). With a shard,
	// the shard's suffix is inserted before the extension of this and of every other output
	// name (Shard.Name).
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
	// Shard selects the part of the source this run takes.
	Shard Shard
	// Sync fsyncs the journal at checkpoints and the outputs before they are renamed into
	// place (use the store's own durability setting).
	Sync bool
	// CheckpointRecords and CheckpointInterval bound the objects and the time between two
	// commits (defaults 4096 and 250ms): at each, the store's writes are made durable (Sync,
	// with a store opened hashstore.WithGroupCommit), then the journal records of the objects
	// they cover.
	CheckpointRecords  int
	CheckpointInterval time.Duration
	// Progress, if set, is called from the writer goroutine at most every ProgressInterval
	// (default 200ms), and once at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// Logger receives notices (a torn journal, a changed source); default: discarded.
	Logger *slog.Logger
	// Started names the reports of a new journal (default: now).
	Started time.Time
	// Fs is where the journal and the outputs are written (default: the OS's filesystem;
	// tests run whole bulk runs on a simulated disk through it).
	Fs afero.Fs

	// OnChecksumMismatch is what is done with an object whose data does not match its
	// sysmeta's checksum (default ReportMismatch).
	OnChecksumMismatch MismatchPolicy
	// Sweep makes the run a sweep of a Snapshot source: the journal must hold a complete pass
	// (whose T0 the summary reports as SweptSince); what changed is converted as in any
	// resumed run, and the pids the journal records as stored that the source no longer lists
	// are reported (NoteGone) or, with DeleteGone, deleted from the store (NoteDeleted). A
	// resumed pass of a Snapshot source reports them too.
	Sweep, DeleteGone bool
}

// Progress is the state of a run, for progress bars and log lines.
type Progress struct {
	// Lines is the number of source entries dealt with (entries finished, entries of other
	// shards passed over); TotalLines the source's Len, or -1 when unknown.
	Lines, TotalLines int64
	// Read counts the entries of this shard read from the source; Done those finished
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
	e     Entry
	data  *journal.Fingerprint // the data file's state, nil if absent or unreadable
	fp    uint64
	large bool
}

// outcome is what the writer receives per entry: a record to append, or the offset of the
// record of an earlier run (skipped).
type outcome struct {
	ord, line int64
	rec       *journal.Record
	skipOff   int64
	bytes     int64
}

// RunBulk converts every object of a source into the store, placing data files as the
// Converter's LinkPolicy says (a bulk "import" when it is hashstore.CopyFile).
//
// # Pipeline
//
// One reader goroutine streams the source, classifies what needs no disk (unreadable entries,
// invalid and duplicate pids), skips what the journal records as done, stats the data and
// sysmeta files (the fingerprint) and queues the rest. Workers (Workers, default GOMAXPROCS)
// convert; one writer goroutine appends each outcome to the journal, checkpoints it and
// reports progress. Every queue between them is bounded (a few entries per worker), so a slow
// writer or slow workers stop the reader instead of growing memory.
//
// # The large-file lane
//
// A data file of at least LargeThreshold bytes (by the reader's stat) goes to a queue of its
// own (4 entries per large worker), served by LargeWorkers dedicated workers (default 1), so
// large files are hashed alongside the small ones from the moment they are read instead of
// holding a small-file worker for minutes. When that queue is full, the reader puts the
// large file in the ordinary queue instead: it never waits for the large lane while ordinary
// workers could take work, so a run of large files cannot stall the small ones. Once the
// ordinary queue is closed and empty (the source is read), the ordinary workers help with
// the large files left, so the end of a run does not wait for one lane while the others idle.
//
// # Journal and resume
//
// Each outcome is a journal record: the pid, the line, the status and failure class, the
// fingerprint (the entry's fields and the data and sysmeta files' device, inode, size and
// modification time, or the sysmeta's bytes), the cid, size and digests. A run with an
// existing journal skips a pid whose last record is a success with the same fingerprint, and
// does everything else again (failures included). After a crash the journal is cut after its
// last complete record.
//
// # Outputs
//
// At the end of a complete run, the journal is compacted (atomically) to exactly one record per
// source entry, the last outcome, in source order, and the reports, the checksums CSV and the
// summary are derived from it in the same pass and renamed into place; report names carry the
// journal's start time. Interrupted at any moment and run again, a run therefore ends with the
// same store, journal (but for timings) and outputs as an uninterrupted one.
//
// RunBulk returns the summary and a nil error when every entry was dealt with, even if some
// failed (Summary.Failed); an error means the run could not go on (the source or journal
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
	conv    *Converter
	mode    string
	src     Source
	rereads PIDRereader // nil: the source's pids are distinct
	log     *slog.Logger
	started time.Time
	journal *journal.Journal
	header  journal.Header
	// recovering: the journal was resumed, so what is redone may have been interrupted by a
	// power cut before it was durable (WithRecovery).
	recovering bool

	// Set by the reader: per ordinal, the entry's line and its offset in the source.
	lines     []uint32
	offsets   []int64
	otherRows atomic.Int64 // entries of other shards
	dups      pidset.Set   // the pids of this shard seen so far (the reader's)
	// failedPIDs holds, in a sweep, the pids of this shard's entries not in dups (sweep.go).
	failedPIDs pidset.Set
	nread      atomic.Int64 // entries of this shard read
	readErr    error

	// Set by the writer: per ordinal, the offset of its record in the journal.
	records  []int64
	writeErr error

	done, skipped, failed, bytes atomic.Int64
}

// mode names what a Converter does in a bulk run: "import" (copies) or "convert" (links).
func (c *Converter) mode() string {
	if c.link == hashstore.CopyFile {
		return "import"
	}
	return "convert"
}

func (c *Converter) newBulkRun(opts BulkOptions) (*bulkRun, error) {
	if opts.Source == nil {
		return nil, fmt.Errorf("%w: no source given", hashstore.ErrInvalidArgument)
	}
	if opts.Journal == "" {
		return nil, fmt.Errorf("%w: no journal given", hashstore.ErrInvalidArgument)
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
		opts.CheckpointInterval = 250 * time.Millisecond
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 200 * time.Millisecond
	}
	if opts.Shard.Count <= 0 {
		opts.Shard = Shard{0, 1}
	}
	if opts.Fs == nil {
		opts.Fs = afero.NewOsFs()
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
	opts.Journal = opts.Shard.Name(abs(opts.Journal))
	if opts.ReportDir == "" {
		opts.ReportDir = filepath.Dir(opts.Journal)
	}
	opts.ReportDir = abs(opts.ReportDir)
	opts.ChecksumsOut = opts.Shard.Name(abs(opts.ChecksumsOut))
	opts.SummaryOut = opts.Shard.Name(abs(opts.SummaryOut))
	r := &bulkRun{opts: opts, conv: c, mode: c.mode(), src: opts.Source, log: opts.Logger, started: time.Now()}
	r.rereads, _ = opts.Source.(PIDRereader)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	root := c.store.Root()
	if p, err := filepath.Abs(root); err == nil {
		root = p
	}
	r.header = journal.Header{
		Mode: r.mode, Store: root, Shard: opts.Shard.String(),
		Source: r.src.Name(), SourceStamp: r.src.Stamp(), Started: opts.Started,
	}
	if s, ok := r.src.(Snapshot); ok {
		t0 := s.T0().UTC()
		r.header.T0 = &t0
	}
	// Durably (with Sync): a journal whose directory a power cut takes away would take the
	// record of every commit with it, and the re-run would trust what it finds in the store.
	if err := outputFiles(opts.Fs, opts.Sync).MkdirAll(filepath.Dir(opts.Journal)); err != nil {
		return nil, err
	}
	var err error
	if r.journal, err = journal.Open(opts.Journal, r.header, journal.Options{Sync: opts.Sync, IgnoredClass: string(ClassDuplicatePID), Fs: opts.Fs}); err != nil {
		return nil, err
	}
	if err := r.checkSweep(); err != nil {
		r.journal.Close()
		return nil, err
	}
	// A resumed journal, even one without records, means an earlier run may have left writes
	// that a power cut interrupted: everything redone is checked (WithRecovery).
	r.recovering = r.journal.Resumed()
	if recs, done, cut := r.journal.Loaded(); recs > 0 || cut > 0 {
		r.log.Info("resuming from the journal", "journal", opts.Journal, "records", recs, "done", done)
		if cut > 0 {
			r.log.Warn("the journal ended in an incomplete record (an interrupted run); it was cut off and its object will be done again",
				"journal", opts.Journal, "bytes", cut)
		}
		if _, snapshot := r.src.(Snapshot); r.journal.SourceChanged() && !snapshot { // a snapshot is new every pass
			r.log.Warn("the source changed since the journal was written; objects are matched by pid and fingerprint",
				"source", r.src.Name())
		}
	}
	return r, nil
}

func (r *bulkRun) close() {
	if r.journal != nil {
		r.journal.Close()
		r.journal = nil
	}
}

func (r *bulkRun) run(ctx context.Context) (*Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := r.opts
	// Size the per-entry arrays once (a shard takes about its share).
	if total := r.src.Len(); total > 0 {
		if est := total/int64(o.Shard.Count) + total/int64(o.Shard.Count)/16 + 16; est < 1<<32 {
			r.lines = make([]uint32, 0, est)
			r.offsets = make([]int64, 0, est)
			r.records = make([]int64, 0, est)
			r.dups.Reserve(int(est))
		}
	}
	small := make(chan *work, 4*o.Workers)
	large := make(chan *work, 4*o.LargeWorkers)
	results := make(chan outcome, 8*(o.Workers+o.LargeWorkers))

	var producers sync.WaitGroup
	producers.Go(func() {
		defer close(small)
		defer close(large)
		r.readErr = r.read(ctx, small, large, results)
		if r.readErr != nil && ctx.Err() != nil && errors.Is(r.readErr, ctx.Err()) {
			// A source that honours ctx reports its cancellation: not a failure of its own.
			// The cause (a failed commit, or the caller's cancel) is reported instead.
			r.readErr = nil
		}
		if r.readErr != nil {
			cancel()
		}
	})
	for range o.Workers {
		producers.Go(func() { r.work(ctx, small, large, results) })
	}
	for range o.LargeWorkers {
		producers.Go(func() { r.work(ctx, nil, large, results) })
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
	return r.finish(ctx)
}

// read is the reader goroutine.
func (r *bulkRun) read(ctx context.Context, small, large chan<- *work, results chan<- outcome) error {
	shard := r.opts.Shard
	send := func(o outcome) bool {
		select {
		case results <- o:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		e, err := r.src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		var ee *EntryError
		if errors.As(err, &ee) {
			// An entry without a readable pid belongs to shard 0, one with a pid to its shard.
			if (ee.PID == "" && shard.Index != 0) || (ee.PID != "" && !shard.Has(ee.PID)) {
				r.otherRows.Add(1)
				continue
			}
			ord, err := r.addOrd(ee.Line, ee.Offset)
			if err != nil {
				return err
			}
			r.seenElsewhere(ee.PID)
			if !send(outcome{ord: ord, line: ee.Line, rec: ee.record()}) {
				return nil
			}
			continue
		}
		if err != nil {
			return err
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
			rec := &journal.Record{Line: e.Line, PID: e.PID, Status: journal.StatusFailed, Class: string(class),
				Message: fmt.Sprintf("line %d: %s", e.Line, msg)}
			return send(outcome{ord: ord, line: e.Line, rec: rec})
		}
		if err := hashstore.CheckIdentifier("pid", e.PID); err != nil {
			if !fail(ClassInvalidPID, err.Error()) {
				return nil
			}
			continue
		}
		if firstLine, dup := r.duplicate(ord, e.PID); dup {
			if !fail(ClassDuplicatePID, fmt.Sprintf("duplicate pid: already on line %d", firstLine)) {
				return nil
			}
			continue
		}
		if e.Path == "" && e.SysmetaPath == "" && e.Sysmeta == nil {
			if !fail(ClassMalformedLine, "malformed: neither path nor sysmeta: nothing to store") {
				return nil
			}
			continue
		}
		w := &work{ord: ord, e: e}
		if e.PathInfo != nil {
			w.data = journal.FileFingerprint(e.PathInfo)
		} else {
			w.data = journal.FingerprintOf(e.Path)
		}
		w.fp = fingerprint(&e, w.data, journal.FingerprintOf(e.SysmetaPath))
		if r.journal.HasDone(e.PID) {
			if off, ok := r.journal.Done(e.PID, w.fp); ok {
				if !send(outcome{ord: ord, line: e.Line, skipOff: off, rec: nil}) {
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
		return 0, fmt.Errorf("%s: more than %d entries: split it", r.src.Name(), uint32(math.MaxUint32))
	}
	r.lines = append(r.lines, uint32(line))
	r.offsets = append(r.offsets, offset)
	r.nread.Add(1)
	return int64(len(r.lines) - 1), nil
}

// duplicate reports whether pid was seen on an earlier entry of this shard, and that entry's
// line. Pids are remembered by hash; a match is confirmed by the source (PIDRereader), so a
// collision of hashes never rejects an entry.
func (r *bulkRun) duplicate(ord int64, pid string) (int64, bool) {
	first, seen := r.dups.LookupOrAdd(pidset.Hash(pid), uint32(ord))
	if !seen || r.rereads == nil {
		return 0, false
	}
	earlier, err := r.rereads.PIDAt(r.offsets[first])
	return int64(r.lines[first]), err == nil && earlier == pid
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
func (r *bulkRun) process(ctx context.Context, w *work) (*journal.Record, int64) {
	if testHookProcess != nil {
		testHookProcess(w)
	}
	start := time.Now()
	e := &w.e
	rec := &journal.Record{Line: e.Line, PID: e.PID, FP: fmt.Sprintf("%016x", w.fp), Source: w.data}
	res, err := r.convert(ctx, e)
	if err != nil {
		res, rec.Correction, err = r.correct(ctx, e, err)
	}
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil, 0
	}
	if err != nil {
		rec.Status, rec.Class = journal.StatusFailed, string(classify(err))
		rec.Message = fmt.Sprintf("line %d: %v", e.Line, err)
	} else {
		rec.Status = journal.StatusOK
		rec.CID, rec.Size, rec.HexDigests = res.Object.CID, res.Object.Size, res.Object.HexDigests
		if e.Note.Class != "" {
			rec.Note, rec.Message = string(e.Note.Class), fmt.Sprintf("line %d: %s", e.Line, e.Note.Message)
		}
	}
	rec.Time = &journal.RecordTime{Finished: time.Now().UTC(), Millis: float64(time.Since(start).Microseconds()) / 1000}
	return rec, res.Object.Size
}

// convert does the work of one entry.
func (r *bulkRun) convert(ctx context.Context, e *Entry) (Result, error) {
	sm := e.Sysmeta
	if e.SysmetaPath != "" {
		var err error
		// Read through a limit, and never block on (or read without end from) what is not a
		// regular file: a sysmeta path may name anything.
		if sm, err = safeopen.ReadInput(e.SysmetaPath, sysmeta.MaxDocumentSize); err != nil {
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return Result{}, fmt.Errorf("system metadata file %s: %w", e.SysmetaPath, fs.ErrNotExist)
			case errors.Is(err, safeopen.ErrNotRegular), errors.Is(err, safeopen.ErrTooLarge):
				return Result{}, fmt.Errorf("system metadata file: %w: %w", sysmeta.ErrMalformed, err)
			}
			return Result{}, fmt.Errorf("system metadata file: %w", err)
		}
	}
	c := r.conv
	if sm == nil {
		// No sysmeta: place and tag the data with the entry's expectations only.
		opts := []hashstore.StoreOption{hashstore.WithPID(e.PID), hashstore.WithLink(c.link)}
		if r.recovering {
			opts = append(opts, hashstore.WithRecovery())
		}
		if e.Checksum != "" {
			opts = append(opts, hashstore.WithChecksum(e.Checksum, hashstore.Algorithm(e.ChecksumAlgorithm)))
		}
		if e.HasSize {
			opts = append(opts, hashstore.WithExpectedSize(e.Size))
		}
		var res Result
		var err error
		res.Object, res.Placement, err = c.store.StoreFile(ctx, e.Path, opts...)
		if errors.Is(err, hashstore.ErrAlreadyTagged) {
			err = nil
		}
		return res, err
	}
	var opts []Option
	if r.recovering {
		opts = append(opts, WithRecovery())
	}
	if e.Checksum != "" {
		opts = append(opts, WithChecksum(e.Checksum, hashstore.Algorithm(e.ChecksumAlgorithm)))
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

// fingerprint is the fingerprint of an entry: its fields, the state of its data file and of
// its sysmeta file (nil: absent or not given), and the sysmeta's bytes when the source gave
// them.
func fingerprint(e *Entry, data, sm *journal.Fingerprint) uint64 {
	h := fnv.New64a()
	var num [8]byte
	addInt := func(v uint64) {
		binary.LittleEndian.PutUint64(num[:], v)
		h.Write(num[:])
	}
	for _, s := range []string{e.PID, e.Path, e.SysmetaPath, e.FormatID, e.Checksum, e.ChecksumAlgorithm} {
		addInt(uint64(len(s)))
		h.Write([]byte(s))
	}
	if e.HasSize {
		addInt(1)
		addInt(uint64(e.Size))
	} else {
		addInt(0)
	}
	for _, fp := range []*journal.Fingerprint{data, sm} {
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
	if e.Sysmeta != nil {
		addInt(uint64(len(e.Sysmeta)))
		h.Write(e.Sysmeta)
	}
	return h.Sum64()
}

// write is the writer goroutine. It collects the outcomes into batches, a batch ending when it
// holds CheckpointRecords outcomes or CheckpointInterval after its first, and hands each batch
// to a committer goroutine (commit) while it collects the next: the store's group commit and
// the journal's flush of one batch overlap the work of the next. After a failed commit it
// cancels the run and drains the results.
func (r *bulkRun) write(ctx context.Context, cancel context.CancelFunc, results <-chan outcome) {
	o := r.opts
	batches := make(chan []outcome, 1)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		lastProgress := time.Time{}
		for b := range batches {
			if r.writeErr != nil {
				continue
			}
			if err := r.commit(ctx, b); err != nil {
				r.writeErr = err
				cancel()
				continue
			}
			if o.Progress != nil && time.Since(lastProgress) >= o.ProgressInterval {
				o.Progress(r.progress(false))
				lastProgress = time.Now()
			}
		}
	}()
	var batch []outcome
	timer := time.NewTimer(o.CheckpointInterval)
	timer.Stop()
	send := func() {
		timer.Stop()
		if len(batch) > 0 {
			batches <- batch
			batch = nil
		}
	}
	for open := true; open; {
		select {
		case res, ok := <-results:
			if !ok {
				open = false
				break
			}
			if len(batch) == 0 {
				timer.Reset(o.CheckpointInterval)
			}
			batch = append(batch, res)
			if len(batch) >= o.CheckpointRecords {
				send()
			}
		case <-timer.C:
			send()
		}
	}
	send()
	close(batches)
	<-committed
	if o.Progress != nil {
		o.Progress(r.progress(true))
	}
}

// commit makes one batch of outcomes durable, in this order: the store's writes for them (its
// group commit, Sync; a no-op for a store that synced every call or syncs nothing), then their
// journal records, appended and flushed. So the journal never claims an object that a power
// cut could still take away. It runs even after the run was cancelled, so that what was done
// is kept.
func (r *bulkRun) commit(ctx context.Context, batch []outcome) error {
	if err := r.conv.store.Sync(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	for _, res := range batch {
		off := res.skipOff
		if res.rec != nil {
			var err error
			if off, err = r.journal.Append(res.rec); err != nil {
				return err
			}
			if res.rec.Status == journal.StatusFailed {
				r.failed.Add(1)
			}
		} else {
			r.skipped.Add(1)
		}
		for int64(len(r.records)) <= res.ord {
			r.records = append(r.records, -1)
		}
		r.records[res.ord] = off
		r.done.Add(1)
		r.bytes.Add(res.bytes)
	}
	return r.journal.Checkpoint()
}

func (r *bulkRun) progress(final bool) Progress {
	done := r.done.Load()
	return Progress{
		Lines: done + r.otherRows.Load(), TotalLines: r.src.Len(),
		Read: r.nread.Load(), Done: done, Skipped: r.skipped.Load(), Failed: r.failed.Load(),
		Bytes: r.bytes.Load(), Elapsed: time.Since(r.started), Final: final,
	}
}

// finish compacts the journal and derives the outputs from it.
func (r *bulkRun) finish(ctx context.Context) (*Summary, error) {
	o := r.opts
	n := len(r.lines)
	if len(r.records) != n {
		return nil, fmt.Errorf("internal error: %d entries read but %d recorded", n, len(r.records))
	}
	for i, off := range r.records {
		if off < 0 {
			return nil, fmt.Errorf("internal error: line %d was not recorded", r.lines[i])
		}
	}
	h := r.journal.Header()
	sum := &Summary{Mode: r.mode, Source: r.src.Name(), Store: h.Store, Shard: o.Shard.String(), Journal: o.Journal, ReportDir: o.ReportDir,
		T0: r.header.T0}
	if o.Sweep {
		sum.SweptSince = h.T0
	}
	records, lines := r.records, r.lines
	gone, err := r.sweepGone(ctx)
	if err != nil {
		return nil, err
	}
	if len(gone) > 0 {
		records, lines = append(slices.Clip(records), gone...), append(slices.Clip(lines), make([]uint32, len(gone))...)
	}
	out, err := newOutputs(outputFiles(o.Fs, o.Sync), o.ReportDir, h.Started, o.Shard.Suffix(), o.ChecksumsOut, sum)
	if err != nil {
		return nil, err
	}
	if err := r.journal.Compact(r.header, records, lines, out.add); err != nil {
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
		if err := writeSummary(outputFiles(o.Fs, o.Sync), o.SummaryOut, sum); err != nil {
			return sum, err
		}
	}
	return sum, nil
}
