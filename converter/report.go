package converter

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashstore-go/hashstore/hashstore"
)

// ReportTimeLayout formats the timestamp in report file names, as Metacat does
// (nonMatchingChecksum_2024-11-20_22-55-18.txt). It is the journal's start time, in UTC.
const ReportTimeLayout = "2006-01-02_15-04-05"

// ReportName is the file name of the report of class for a run that started at started;
// shard is "" or the shard suffix (".shard-I-of-N").
func ReportName(class FailureClass, started time.Time, shard string) string {
	return string(class) + "_" + started.UTC().Format(ReportTimeLayout) + shard + ".txt"
}

// ChecksumsHeader is the header row of the --checksums-out CSV, the columns of Metacat's
// checksums table.
var ChecksumsHeader = []string{"guid", "checksum_algorithm", "checksum"}

// Summary is the outcome of a bulk run. The counts describe the whole manifest (this shard of
// it), from the journal, so a resumed run reports the same counts as an uninterrupted one;
// Run describes this run only.
type Summary struct {
	Mode     string `json:"mode"`
	Manifest string `json:"manifest"`
	Store    string `json:"store"`
	Shard    string `json:"shard"`
	Journal  string `json:"journal"`
	// Objects is the number of manifest entries (lines) of this shard, Succeeded and Failed
	// their outcomes; Bytes the total size of the objects stored.
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
		s.Mode, s.Manifest, s.Shard, s.Objects, s.Succeeded, s.Failed, s.Bytes)
	for _, c := range FailureClasses() {
		if n := s.Failures[c]; n > 0 {
			fmt.Fprintf(&b, "  %-20s %8d  %s\n", c, n, s.Reports[c])
		}
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

// atomicOut is an output file written under a temp name in its directory and renamed into
// place by commit.
type atomicOut struct {
	path string
	f    *os.File
	w    *bufio.Writer
	sync bool
}

// tmpPattern is the temp name pattern of an output: stale temps of the same output are
// recognised by it and removed at the next run.
func tmpPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

func createAtomic(path string, sync bool) (*atomicOut, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), tmpPattern(path))
	if err != nil {
		return nil, err
	}
	return &atomicOut{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10), sync: sync}, nil
}

func (o *atomicOut) commit() error {
	err := o.w.Flush()
	if err == nil && o.sync {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.Chmod(o.f.Name(), 0o644); err == nil {
			err = os.Rename(o.f.Name(), o.path)
		}
	}
	if err != nil {
		os.Remove(o.f.Name())
		return err
	}
	if o.sync {
		syncDir(filepath.Dir(o.path))
	}
	return nil
}

func (o *atomicOut) abort() {
	o.f.Close()
	os.Remove(o.f.Name())
}

// removeStaleTemps removes temp files of the output path left by an interrupted run.
func removeStaleTemps(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tmpPattern(path)))
	for _, m := range matches {
		os.Remove(m)
	}
}

// outputs derives the reports, the checksums CSV and the summary counts from the records of a
// compacted journal, in manifest order.
type outputs struct {
	reportDir, stamp, shard string
	started                 time.Time
	sync                    bool
	reports                 map[FailureClass]*atomicOut
	checksums               *atomicOut
	csv                     *csv.Writer
	sum                     *Summary
}

func newOutputs(reportDir string, started time.Time, shard, checksumsOut string, sync bool, sum *Summary) (*outputs, error) {
	o := &outputs{reportDir: reportDir, started: started, shard: shard, sync: sync, sum: sum,
		reports: map[FailureClass]*atomicOut{}}
	sum.Failures = map[FailureClass]int64{}
	sum.Reports = map[FailureClass]string{}
	if checksumsOut != "" {
		var err error
		if o.checksums, err = createAtomic(checksumsOut, sync); err != nil {
			return nil, err
		}
		o.csv = csv.NewWriter(o.checksums.w)
		o.csv.Write(ChecksumsHeader)
		sum.ChecksumsOut = checksumsOut
	}
	return o, nil
}

// checksumAlgorithms are the rows written per object, in this order.
var checksumAlgorithms = []hashstore.Algorithm{hashstore.MD5, hashstore.SHA1, hashstore.SHA256, hashstore.SHA384, hashstore.SHA512}

func (o *outputs) add(rec *JournalRecord) error {
	s := o.sum
	s.Objects++
	if rec.Status == StatusOK {
		s.Succeeded++
		s.Bytes += rec.Size
		if o.csv != nil && rec.CID != "" {
			for _, a := range checksumAlgorithms {
				if d := rec.HexDigests[string(a)]; d != "" {
					o.csv.Write([]string{rec.PID, string(a), d})
					s.ChecksumRows++
				}
			}
			return o.csv.Error()
		}
		return nil
	}
	s.Failed++
	class := rec.Class
	if class == "" {
		class = ClassGeneralError
	}
	s.Failures[class]++
	r := o.reports[class]
	if r == nil {
		var err error
		if r, err = createAtomic(filepath.Join(o.reportDir, ReportName(class, o.started, o.shard)), o.sync); err != nil {
			return err
		}
		o.reports[class] = r
		s.Reports[class] = r.path
	}
	pid := rec.PID
	if pid == "" {
		pid = "line " + strconv.FormatInt(rec.Line, 10)
	} else {
		pid = reportPID(pid)
	}
	_, err := fmt.Fprintf(r.w, "%s\t%s\n", pid, oneLine(rec.Message))
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
	for _, c := range FailureClasses() {
		if r := o.reports[c]; r != nil {
			if err := r.commit(); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		stale := filepath.Join(o.reportDir, ReportName(c, o.started, o.shard))
		if err := os.Remove(stale); err != nil && !errors.Is(err, fs.ErrNotExist) {
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
func writeSummary(path string, s *Summary, sync bool) error {
	out, err := createAtomic(path, sync)
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
