package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/internal/gctune"
)

// gcFloor is gctune.Floor (a variable so that tests can see the bulk commands call it).
var gcFloor = gctune.Floor

func init() { register(newImportCmd) }

// bulkHelp is the part of the help of convert and import that describes --manifest.
const bulkHelp = `
With --manifest FILE, every object of the manifest is done, in parallel. The manifest is JSON
Lines (.jsonl) or CSV with a header row (.csv); one object per line with the fields pid
(required), path (the data file; absent: store the sysmeta only), sysmeta (its system
metadata file), format_id, checksum and checksum_algorithm, size. Relative paths are relative
to the manifest's directory. Other fields are ignored.

A run never stops for one object: each failure is classified and recorded, and the exit
status is 1 if any object failed (kind objects_failed). Failures are listed per class in
--report-dir, one "pid<TAB>message" line each, in files named as Metacat names them:
nonMatchingChecksum_<time>.txt, noSuchAlgorithm_..., noChecksumInSysmeta_..., sizeMismatch_...,
fileNotFound_..., invalidSysmeta_..., invalidPid_..., duplicatePid_..., malformedLine_...,
pidTaggedElsewhere_..., crossDevice_..., sourceChanged_..., generalError_... (a malformed line
without a pid is listed as "line N").

The journal (--journal, default MANIFEST.journal beside the manifest) records every outcome as
it happens. Running the same command again skips the objects it records as done whose data
and sysmeta files are unchanged (same device, inode, size and modification time) and does the
rest again, failures included: after an interruption (Ctrl-C, a crash, a kill) just run the
command again. At the end of a complete run the journal is compacted to one record per line
and the reports, the --checksums-out CSV (guid,checksum_algorithm,checksum: five rows per
object, ready for PostgreSQL's COPY checksums(guid, checksum_algorithm, checksum) FROM ...
WITH (FORMAT csv, HEADER)) and the --summary JSON are written from it, so they are the same
whether or not the run was interrupted. The summary is printed on stdout (JSON with --json).

--shard I/N takes only the objects whose pid hashes to I of N (FNV-1a 64 of the pid, mod N),
so that N processes on N hosts sharing the store's filesystem split a repository; each
inserts ".shard-I-of-N" into the names of its journal, reports, checksums and summary (shard
0 also reports the manifest lines whose pid cannot be read).
Files of at least --large-threshold bytes get a lane (--large-workers) of their own.

A progress bar (lines, objects, bytes, rate, ETA) is drawn on stderr when it is a terminal;
otherwise a progress log line is written every few seconds. -q silences both.`

// bulkFlags are the flags of a manifest run.
type bulkFlags struct {
	manifest, journal, reportDir, checksumsOut, summary, shard string
	workers, largeWorkers, shardCount                          int
	largeThreshold                                             sizeValue
	crossDevice                                                crossDevicePolicy
	progressInterval                                           time.Duration
}

var bulkOnlyFlags = []string{"workers", "journal", "report-dir", "checksums-out", "summary", "shard", "shard-count", "large-threshold", "large-workers"}

func (b *bulkFlags) add(cmd *cobra.Command, crossDevice bool) {
	f := cmd.Flags()
	f.StringVar(&b.manifest, "manifest", "", "convert every object of this manifest (`FILE`, .jsonl or .csv)")
	f.IntVar(&b.workers, "workers", runtime.GOMAXPROCS(0), "objects converted at once (`N`)")
	f.StringVar(&b.journal, "journal", "", "the journal `FILE` (default: MANIFEST.journal; metacat.journal with --metacat)")
	f.StringVar(&b.reportDir, "report-dir", "", "write the failure reports into `DIR` (default: the journal's directory)")
	f.StringVar(&b.checksumsOut, "checksums-out", "", "write the checksums CSV to `FILE`")
	f.StringVar(&b.summary, "summary", "", "also write the summary as JSON to `FILE`")
	f.StringVar(&b.shard, "shard", "", "take only the objects whose pid hashes to I of N (`I/N`)")
	f.IntVar(&b.shardCount, "shard-count", 0, "take shard $"+shardIndexEnv+" of `N` (a Kubernetes Indexed Job's index)")
	b.largeThreshold = sizeValue(converter.DefaultLargeThreshold)
	f.Var(&b.largeThreshold, "large-threshold", "data files from this `SIZE` on (bytes, or 512MiB, 1GiB) go to the large-file lane")
	f.IntVar(&b.largeWorkers, "large-workers", 1, "workers dedicated to the large-file lane (`N`)")
	f.DurationVar(&b.progressInterval, "progress-interval", 5*time.Second, "time between progress log lines when stderr is not a terminal")
	f.MarkHidden("progress-interval")
	if crossDevice {
		f.Var(&b.crossDevice, "on-cross-device", "when a data file is on another filesystem than the store: fail, or copy it in")
	}
}

func (b *bulkFlags) changedAny(cmd *cobra.Command) bool {
	for _, name := range bulkOnlyFlags {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

// errObjectsFailed marks a bulk run that completed with failed objects (kind objects_failed).
var errObjectsFailed = errors.New("some objects failed")

// runBulk runs a manifest, placing data files as policy says (hashstore.CopyFile: import).
func (a *App) runBulk(cmd *cobra.Command, policy hashstore.LinkPolicy, b *bulkFlags) error {
	opts, err := a.bulkOptions(b, b.manifest+".journal")
	if err != nil {
		return err
	}
	src, err := converter.NewManifestSource(b.manifest)
	if errors.Is(err, hashstore.ErrInvalidArgument) {
		return UsageErrorf("--manifest: %v", err)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	opts.Source = src
	return a.runBulkSource(cmd, policy, b, opts, nil)
}

// bulkOptions are the options of a bulk run from its flags (but for the source); the
// journal is defaultJournal unless --journal is given.
func (a *App) bulkOptions(b *bulkFlags, defaultJournal string) (converter.BulkOptions, error) {
	journal := b.journal
	if journal == "" {
		journal = defaultJournal
	}
	opts := converter.BulkOptions{
		Journal: journal, ReportDir: b.reportDir,
		ChecksumsOut: b.checksumsOut, SummaryOut: b.summary, Workers: b.workers,
		LargeWorkers: b.largeWorkers, LargeThreshold: int64(b.largeThreshold),
		Sync: !a.Flags.NoSync, Logger: a.Logger,
	}
	if b.workers < 1 || b.largeWorkers < 1 {
		return opts, UsageErrorf("--workers and --large-workers must be at least 1")
	}
	s, err := b.resolveShard(a.Getenv)
	opts.Shard = s
	return opts, err
}

// runBulkSource runs a bulk conversion of opts.Source and prints its summary; after, if not
// nil, is called with the summary of a run that went through (failed objects or not) before
// the summary is printed.
func (a *App) runBulkSource(cmd *cobra.Command, policy hashstore.LinkPolicy, b *bulkFlags, opts converter.BulkOptions,
	after func(*converter.Summary) error) error {
	// Durable by default, in groups: the run makes a batch of objects durable at once, then
	// records them in the journal (see RunBulk). --no-sync flushes nothing at all.
	var durability []hashstore.Option
	if !a.Flags.NoSync {
		durability = append(durability, hashstore.WithGroupCommit())
	}
	c, err := a.openConverter(policy, durability...)
	if err != nil {
		return err
	}
	mode := "convert"
	if policy == hashstore.CopyFile {
		mode = "import"
	}
	if a.Getenv("GOGC") == "" {
		// The run's memory is a few arrays and a hash set of about 36 bytes per manifest line
		// plus ~40 KiB of short-lived garbage per object. Collect at 1.5x the live heap
		// instead of 2x, so that a 1,000,000-line manifest stays within 128 MiB of RSS, but
		// never before 16 MiB of garbage: at 1.5x of the few MiB a small manifest keeps live,
		// collecting took a quarter of a 20,000-object run (see internal/gctune).
		defer gcFloor(16<<20, 50)()
	}
	stop := a.bulkProgress(mode, b, &opts)
	sum, err := c.RunBulk(cmd.Context(), opts)
	stop()
	if err != nil {
		return err
	}
	a.Logger.Info("bulk run finished", "mode", mode, "objects", sum.Objects, "failed", sum.Failed)
	if after != nil {
		if err := after(sum); err != nil {
			return err
		}
	}
	if sum.Failed > 0 {
		fail := fmt.Errorf("%s: %d of %d objects failed (the reports in %s list them): %w",
			mode, sum.Failed, sum.Objects, sum.ReportDir, errObjectsFailed)
		if a.Flags.JSON {
			return WithDetails(fail, map[string]any{"summary": sum})
		}
		if err := a.Printf("%s", sum.Text()); err != nil {
			return err
		}
		return WithDetails(fail, nil)
	}
	if a.Flags.JSON {
		return a.PrintJSON(map[string]any{"summary": sum})
	}
	return a.Printf("%s", sum.Text())
}

// bulkProgress sets opts.Progress: a progress bar on a terminal, periodic log lines
// otherwise, nothing with -q. The returned function ends the bar.
func (a *App) bulkProgress(mode string, b *bulkFlags, opts *converter.BulkOptions) func() {
	if a.Flags.Quiet {
		return func() {}
	}
	if f, isFile := a.Stderr.(*os.File); isFile && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		opts.Progress = func(p converter.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions64(p.TotalLines,
					progressbar.OptionSetWriter(a.Stderr),
					progressbar.OptionShowCount(),
					progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("lines"),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionSetWidth(20),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionSetSpinnerChangeInterval(0),
				)
			}
			rate := 0.0
			if s := p.Elapsed.Seconds(); s > 0 {
				rate = float64(p.Bytes) / 1e6 / s
			}
			bar.Describe(fmt.Sprintf("%s: %d objects (%d skipped, %d failed), %s, %.1f MB/s", mode, p.Done, p.Skipped, p.Failed, humanBytes(p.Bytes), rate))
			bar.Set64(p.Lines)
		}
		return func() {
			if bar != nil {
				bar.Finish()
				fmt.Fprintln(a.Stderr)
			}
		}
	}
	hopts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(a.Stderr, hopts)
	if a.Flags.LogFormat == "json" {
		h = slog.NewJSONHandler(a.Stderr, hopts)
	}
	log := slog.New(h)
	last := time.Now()
	opts.ProgressInterval = b.progressInterval
	opts.Progress = func(p converter.Progress) {
		if !p.Final && time.Since(last) < b.progressInterval {
			return
		}
		last = time.Now()
		s := p.Elapsed.Seconds()
		attrs := []any{"mode", mode, "lines", p.Lines, "total_lines", p.TotalLines, "objects", p.Done,
			"skipped", p.Skipped, "failed", p.Failed, "bytes", p.Bytes}
		if s > 0 {
			attrs = append(attrs, "objects_per_second", round1(float64(p.Done-p.Skipped)/s), "mb_per_second", round1(float64(p.Bytes)/1e6/s))
			if p.TotalLines > 0 && p.Lines > 0 && p.Lines < p.TotalLines {
				eta := time.Duration(float64(p.Elapsed) * float64(p.TotalLines-p.Lines) / float64(p.Lines))
				attrs = append(attrs, "eta", eta.Round(time.Second).String())
			}
		}
		log.Info("progress", attrs...)
	}
	return func() {}
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func newImportCmd(a *App) *cobra.Command {
	var bulk bulkFlags
	cmd := &cobra.Command{
		Use:   "import --manifest FILE [--workers N] [--journal FILE] [--report-dir DIR] [--checksums-out FILE] [--summary FILE] [--shard I/N]",
		Short: "Copy the objects of a manifest into the store with their system metadata",
		Long: `import takes the same manifest and flags as "convert --manifest" but copies each data file
into the store (storeObject) instead of hard-linking it: use it when the repository is on
another filesystem, or must stay independent of the store. The checks, the journal, the
reports, the checksums CSV and the summary are the same; the store ends up identical except
that its objects are new files.
` + bulkHelp,
		Example: `  hashstore --store /var/metacat/hashstore import --manifest manifest.jsonl --checksums-out checksums.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("manifest") {
				return UsageErrorf("import needs --manifest FILE")
			}
			return a.runBulk(cmd, hashstore.CopyFile, &bulk)
		},
	}
	bulk.add(cmd, false)
	return cmd
}

// sizeValue is a flag holding a size in bytes: a number, or a number with a unit (K, KB, KiB,
// M, MiB, G, GiB, T, TiB; all binary).
type sizeValue int64

var _ pflag.Value = (*sizeValue)(nil)

func (v *sizeValue) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *sizeValue) Type() string   { return "size" }

func (v *sizeValue) Set(s string) error {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"TB", 1 << 40}, {"GB", 1 << 30},
		{"MB", 1 << 20}, {"KB", 1 << 10}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/mult {
		return errors.New("not a size such as 268435456, 256MiB or 1GiB")
	}
	*v = sizeValue(n * mult)
	return nil
}

// crossDevicePolicy is --on-cross-device: what convert does with a data file on another
// filesystem than the store, "fail" (hashstore.LinkFile, the default) or "copy"
// (hashstore.LinkOrCopyFile).
type crossDevicePolicy hashstore.LinkPolicy

var _ pflag.Value = (*crossDevicePolicy)(nil)

// linkPolicy is the store's policy for the flag's value.
func (p crossDevicePolicy) linkPolicy() hashstore.LinkPolicy {
	if hashstore.LinkPolicy(p) == hashstore.LinkOrCopyFile {
		return hashstore.LinkOrCopyFile
	}
	return hashstore.LinkFile
}

func (p *crossDevicePolicy) String() string {
	if p.linkPolicy() == hashstore.LinkOrCopyFile {
		return "copy"
	}
	return "fail"
}

func (p *crossDevicePolicy) Type() string { return "fail|copy" }

func (p *crossDevicePolicy) Set(s string) error {
	switch s {
	case "fail":
		*p = crossDevicePolicy(hashstore.LinkFile)
	case "copy":
		*p = crossDevicePolicy(hashstore.LinkOrCopyFile)
	default:
		return fmt.Errorf("%q: want fail or copy", s)
	}
	return nil
}
