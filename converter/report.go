package converter

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/hashstore-go/hashstore/converter/internal/journal"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/atomicfile"
)

// reportTimeLayout formats the timestamp in report file names, as Metacat does
// (nonMatchingChecksum_2024-11-20_22-55-18.txt). It is the journal's start time, in UTC.
const reportTimeLayout = "2006-01-02_15-04-05"

// reportName is the file name of the report of class (a FailureClass or a NoteClass) for a
// run that started at started; shard is "" or the shard suffix (".shard-I-of-N").
func reportName[C ~string](class C, started time.Time, shard string) string {
	return string(class) + "_" + started.UTC().Format(reportTimeLayout) + shard + ".txt"
}

// checksumsHeader is the header row of the checksums CSV, the columns of Metacat's checksums
// table.
var checksumsHeader = []string{"guid", "checksum_algorithm", "checksum"}

// Summary is the outcome of a bulk run. The counts describe the whole source (this shard of
// it), from the journal, so a resumed run reports the same counts as an uninterrupted one;
// Run describes this run only.
type Summary struct {
	Mode    string `json:"mode"`
	Source  string `json:"source"`
	Store   string `json:"store"`
	Shard   string `json:"shard"`
	Journal string `json:"journal"`
	// Objects is the number of source entries of this shard, Succeeded and Failed their
	// outcomes; Bytes the total size of the objects stored.
	Objects   int64 `json:"objects"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Bytes     int64 `json:"bytes"`
	// Failures counts the failures by class (classes without failures are absent).
	Failures map[FailureClass]int64 `json:"failures"`
	// ReportDir is where the reports are; Reports names the report file of each class with
	// failures.
	ReportDir string                  `json:"report_dir"`
	Reports   map[FailureClass]string `json:"reports,omitempty"`
	// ChecksumsOut is the checksums CSV written ("" for none), ChecksumRows its data rows.
	ChecksumsOut string `json:"checksums_out,omitempty"`
	ChecksumRows int64  `json:"checksum_rows,omitempty"`
	// Corrected counts the objects converted after their sysmeta's checksum was corrected
	// (CorrectMismatch); the nonMatchingChecksum report lists them in Metacat's words.
	Corrected         int64  `json:"corrected,omitempty"`
	CorrectionsReport string `json:"corrections_report,omitempty"`
	// Notes counts the objects listed by note class (e.g. sysmetaOnly, gone, deleted) and
	// NoteReports names each class's report; gone and deleted pids are not among Objects.
	Notes       map[NoteClass]int64  `json:"notes,omitempty"`
	NoteReports map[NoteClass]string `json:"note_reports,omitempty"`
	// T0 is the time of the database snapshot this pass read (snapshot sources only), and
	// SweptSince, for a sweep, the T0 of the pass it swept from.
	T0         *time.Time `json:"t0,omitempty"`
	SweptSince *time.Time `json:"swept_since,omitempty"`
	// Run is what this run did.
	Run RunStats `json:"run"`
}

// RunStats is what one run did: objects processed (converted or failed), skipped as done by an
// earlier run, bytes read, and the rates over the run's elapsed time.
type RunStats struct {
	Processed        int64   `json:"processed"`
	Skipped          int64   `json:"skipped"`
	Bytes            int64   `json:"bytes"`
	ElapsedSeconds   float64 `json:"elapsed_seconds"`
	ObjectsPerSecond float64 `json:"objects_per_second"`
	MBPerSecond      float64 `json:"mb_per_second"`
}

// Text is the summary for people: totals, one line per failure class with its report, and
// the run's rates.
func (s *Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %s (shard %s): %d objects, %d succeeded, %d failed, %d bytes\n",
		s.Mode, s.Source, s.Shard, s.Objects, s.Succeeded, s.Failed, s.Bytes)
	for _, c := range FailureClasses() {
		if n := s.Failures[c]; n > 0 {
			fmt.Fprintf(&b, "  %-20s %8d  %s\n", c, n, s.Reports[c])
		}
	}
	if s.Corrected > 0 {
		fmt.Fprintf(&b, "corrected checksums: %d (listed in %s)\n", s.Corrected, s.CorrectionsReport)
	}
	for _, c := range NoteClasses() {
		if n := s.Notes[c]; n > 0 {
			fmt.Fprintf(&b, "listed %-13s %8d  %s\n", c, n, s.NoteReports[c])
		}
	}
	if s.T0 != nil {
		fmt.Fprintf(&b, "snapshot T0: %s", s.T0.UTC().Format(time.RFC3339Nano))
		if s.SweptSince != nil {
			fmt.Fprintf(&b, " (swept since %s)", s.SweptSince.UTC().Format(time.RFC3339Nano))
		}
		b.WriteString("\n")
	}
	if s.ChecksumsOut != "" {
		fmt.Fprintf(&b, "checksums: %s (%d rows)\n", s.ChecksumsOut, s.ChecksumRows)
	}
	fmt.Fprintf(&b, "journal: %s\n", s.Journal)
	r := s.Run
	fmt.Fprintf(&b, "this run: %d processed, %d skipped (done before), %.1f s, %.0f objects/s, %.1f MB/s\n",
		r.Processed, r.Skipped, r.ElapsedSeconds, r.ObjectsPerSecond, r.MBPerSecond)
	return b.String()
}

// atomicOut is an output file written under a temp name beside it and renamed into place by
// commit; temps that an interrupted run left for the same output are removed when it is
// created.
type atomicOut struct {
	path string
	t    *atomicfile.Temp
	w    *bufio.Writer
}

// outputFiles writes the outputs (reports, checksums, summary) with mode 0644.
func outputFiles(fsys afero.Fs, sync bool) *atomicfile.Writer {
	return &atomicfile.Writer{Fs: fsys, Sync: sync, FileMode: 0o644, DirMode: 0o755}
}

func createAtomic(files *atomicfile.Writer, path string) (*atomicOut, error) {
	if err := files.MkdirAll(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := files.RemoveStaleTemps(path); err != nil {
		return nil, err
	}
	t, err := files.CreateTempBeside(path)
	if err != nil {
		return nil, err
	}
	return &atomicOut{path: path, t: t, w: bufio.NewWriterSize(t, 64<<10)}, nil
}

func (o *atomicOut) commit() error {
	if err := o.w.Flush(); err != nil {
		o.t.Discard()
		return err
	}
	return o.t.Commit(o.path)
}

func (o *atomicOut) abort() { o.t.Discard() }

// outputs derives the reports, the checksums CSV and the summary counts from the records of a
// compacted journal, in manifest order.
type outputs struct {
	reportDir, shard string
	started          time.Time
	files            *atomicfile.Writer
	reports          map[string]*atomicOut // by class name, failure and note classes
	checksums        *atomicOut
	csv              *csv.Writer
	sum              *Summary
}

func newOutputs(files *atomicfile.Writer, reportDir string, started time.Time, shard, checksumsOut string, sum *Summary) (*outputs, error) {
	o := &outputs{reportDir: reportDir, started: started, shard: shard, files: files, sum: sum,
		reports: map[string]*atomicOut{}}
	sum.Failures = map[FailureClass]int64{}
	sum.Reports = map[FailureClass]string{}
	if checksumsOut != "" {
		var err error
		if o.checksums, err = createAtomic(o.files, checksumsOut); err != nil {
			return nil, err
		}
		o.csv = csv.NewWriter(o.checksums.w)
		o.csv.Write(checksumsHeader)
		sum.ChecksumsOut = checksumsOut
	}
	return o, nil
}

// checksumAlgorithms are the rows written per object, in this order.
var checksumAlgorithms = hashstore.DefaultAlgorithms()

func (o *outputs) add(rec *journal.Record) error {
	s := o.sum
	if rec.Status == journal.StatusGone || rec.Status == journal.StatusDeleted {
		return o.note(rec) // not an entry of the source
	}
	s.Objects++
	if rec.Status == journal.StatusOK {
		s.Succeeded++
		s.Bytes += rec.Size
		if rec.Correction != nil {
			if err := o.correction(rec); err != nil {
				return err
			}
		}
		if rec.Note != "" {
			if err := o.note(rec); err != nil {
				return err
			}
		}
		if o.csv != nil && rec.CID != "" {
			for _, a := range checksumAlgorithms {
				if d := rec.HexDigests[a]; d != "" {
					o.csv.Write([]string{rec.PID, string(a), d})
					s.ChecksumRows++
				}
			}
			return o.csv.Error()
		}
		return nil
	}
	s.Failed++
	class := FailureClass(rec.Class)
	if class == "" {
		class = ClassGeneralError
	}
	s.Failures[class]++
	r, err := o.report(reportName(class, o.started, o.shard), string(class))
	if err != nil {
		return err
	}
	s.Reports[class] = r.path
	return o.line(r, rec)
}

// report returns the report file of class (a failure or note class), creating it on first
// use.
func (o *outputs) report(name, class string) (*atomicOut, error) {
	if r := o.reports[class]; r != nil {
		return r, nil
	}
	r, err := createAtomic(o.files, filepath.Join(o.reportDir, name))
	if err != nil {
		return nil, err
	}
	o.reports[class] = r
	return r, nil
}

// line writes rec to a report as "pid<TAB>message".
func (o *outputs) line(r *atomicOut, rec *journal.Record) error {
	pid := rec.PID
	if pid == "" {
		pid = "line " + strconv.FormatInt(rec.Line, 10)
	} else {
		pid = reportPID(pid)
	}
	_, err := fmt.Fprintf(r.w, "%s\t%s\n", pid, oneLine(rec.Message))
	return err
}

// note lists rec in the report of its note class.
func (o *outputs) note(rec *journal.Record) error {
	class := NoteClass(rec.Note)
	if o.sum.Notes == nil {
		o.sum.Notes, o.sum.NoteReports = map[NoteClass]int64{}, map[NoteClass]string{}
	}
	o.sum.Notes[class]++
	r, err := o.report(reportName(class, o.started, o.shard), string(class))
	if err != nil {
		return err
	}
	o.sum.NoteReports[class] = r.path
	return o.line(r, rec)
}

// correction lists a corrected object in the nonMatchingChecksum report, in Metacat's words.
func (o *outputs) correction(rec *journal.Record) error {
	class := ClassNonMatchingChecksum
	r, err := o.report(reportName(class, o.started, o.shard), string(class))
	if err != nil {
		return err
	}
	o.sum.Corrected++
	o.sum.CorrectionsReport = r.path
	c := rec.Correction
	_, err = fmt.Fprintln(r.w, oneLine(CorrectionLine(rec.PID, Correction{Algorithm: c.Algorithm, Old: c.Old,
		New: c.New, Path: c.Path, AlsoMatches: c.AlsoMatches})))
	return err
}

// commit renames every output into place and removes the reports of this run's name that
// an earlier run wrote for classes that have no failures now.
func (o *outputs) commit() error {
	var errs []error
	if o.csv != nil {
		o.csv.Flush()
		if err := o.csv.Error(); err != nil {
			errs = append(errs, err)
		} else if err := o.checksums.commit(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.sum.Corrected > 0 {
		r := o.reports[string(ClassNonMatchingChecksum)]
		if _, err := fmt.Fprintln(r.w, correctionTrailer); err != nil {
			errs = append(errs, err)
		}
	}
	var names []string
	for _, c := range FailureClasses() {
		names = append(names, string(c))
	}
	for _, c := range NoteClasses() {
		names = append(names, string(c))
	}
	for _, c := range names {
		if r := o.reports[c]; r != nil {
			if err := r.commit(); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		stale := filepath.Join(o.reportDir, reportName(c, o.started, o.shard))
		if err := o.files.Fs.Remove(stale); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		if err := o.files.RemoveStaleTemps(stale); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o *outputs) abort() {
	if o.checksums != nil {
		o.checksums.abort()
	}
	for _, r := range o.reports {
		r.abort()
	}
}

// writeSummary writes s as indented JSON to path, atomically.
func writeSummary(files *atomicfile.Writer, path string, s *Summary) error {
	out, err := createAtomic(files, path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out.w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		out.abort()
		return err
	}
	return out.commit()
}
