package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/hashstore-go/hashstore/hashstore"
)

func init() { register(newAuditCmd) }

// auditFinding is one line of "audit --json": a finding and whether its class is an error.
type auditFinding struct {
	hashstore.Finding
	Error bool `json:"error"`
}

func newAuditCmd(a *App) *cobra.Command {
	var opts hashstore.AuditOptions
	untagged := durationValue{}
	grace := durationValue{d: hashstore.DefaultTempGrace}
	cmd := &cobra.Command{
		Use:   "audit [--rehash] [--repair [--untagged-older-than DURATION]] [--temp-grace DURATION]",
		Short: "Check the whole store for inconsistencies, and repair what is unambiguous",
		Long: `audit walks the whole store once and reports every inconsistency, one line per finding:

  CLASS  PATH  pid=PID  cid=CID  DETAIL  repaired: ACTION

PATH is relative to the store; pid and cid appear when known. The classes are
  orphan_pid_refs            a pid refs file whose cid refs file is missing
  pid_missing_from_cid_refs  a pid refs file whose cid refs file does not list the pid
  orphan_cid_refs_entry      a cid refs line whose pid has no pid refs file, or one naming another cid
  empty_cid_refs             a cid refs file listing no pid
  refs_to_missing_object     a cid refs file whose object is missing
  malformed_refs             a refs file (or line) that cannot be read as one
  unexpected_file            a name or place that does not fit the layout (also a locks/
                             that is not a directory)
  abandoned_temp             a temp entry (of any kind) no writer owns any more
  leftover_delete            a "_delete" file left by an interrupted deletion
  corrupt_object             an object whose content no longer hashes to its cid (--rehash)
  unreadable                 an entry that could not be read or checked: a pipe, socket,
                             device, link or directory where a file should be, a file the
                             store's user cannot open, one larger than the store reads
and two notices, which are not errors: untagged_object (stored without a pid, on purpose or
by an interrupted store) and metadata_without_pid (metadata is stored without needing a tagged
pid). A summary by class follows. Exit status 0 means no error was found (with --repair: every
error found was repaired), 1 that some remain.

--repair fixes, under the store's locks and after checking again, only what the order in which
the store writes and deletes makes unambiguous: it removes abandoned temp entries and
"_delete" leftovers of any kind (files, links, pipes, directories with what they hold; a link
is removed, never followed), the cid refs line of an interrupted tag, the refs files an
interrupted delete left behind, and empty cid refs files; with --untagged-older-than it also
removes untagged objects older than that. It never touches metadata, corrupt objects or
unreadable entries, and leaves ambiguous states alone (the detail says why). One odd entry
never stops the audit: it is reported and the walk goes on. Each action is printed with its finding. Without --repair the store is
opened read-only and nothing is written.

Temp and "_delete" files younger than --temp-grace may belong to a writer at work and are
ignored; 0 gives no grace (only when nothing is writing to the store). Durations are Go
durations (90m, 36h) or days (7d).

The audit reads each directory and checks each file by direct lookups, so memory stays small
whatever the store's size; it is safe while the store is in use. With --json each finding is
one JSON object per line, {"class", "error", "path", "pid", "cid", "detail", "repaired"}, and
the last line is {"summary": {"files", "findings", "counts", "repaired", "errors", "clean"}}
(with an "error" member too when errors remain). A progress indicator is shown on stderr when
it is a terminal (not with -q).`,
		Example: `  hashstore --store /var/metacat/hashstore audit
  hashstore audit --rehash --json > audit.jsonl
  hashstore audit --repair --untagged-older-than 7d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("untagged-older-than") && !opts.Repair {
				return UsageErrorf("--untagged-older-than removes objects and needs --repair")
			}
			opts.UntaggedOlderThan = untagged.d
			opts.TempGrace = grace.d
			if opts.TempGrace == 0 {
				opts.TempGrace = -1 // the library's "no grace"
			}
			var storeOpts []hashstore.Option
			if !opts.Repair {
				storeOpts = append(storeOpts, hashstore.WithReadOnly())
			}
			st, err := a.OpenStore(storeOpts...)
			if err != nil {
				return err
			}
			bar := a.auditProgress()
			if bar != nil {
				opts.Progress = func(p hashstore.AuditProgress) {
					bar.Describe(fmt.Sprintf("auditing %-12s %d findings", p.Area, p.Findings))
					bar.Set64(p.Files)
				}
			}
			sum, err := st.Audit(cmd.Context(), opts, func(f hashstore.Finding) error {
				if bar != nil {
					bar.Clear()
				}
				if a.Flags.JSON {
					return a.PrintJSON(auditFinding{Finding: f, Error: f.Class.IsError()})
				}
				return a.Printf("%s\n", findingLine(f))
			})
			if bar != nil {
				bar.Exit()
				bar.Clear()
			}
			if err != nil {
				return err
			}
			a.Logger.Info("audited the store", "files", sum.Files, "findings", sum.Findings, "repaired", sum.Repaired, "errors", sum.Errors)
			if !sum.Clean {
				fail := auditFailure(sum)
				if a.Flags.JSON {
					return WithDetails(fail, map[string]any{"summary": sum})
				}
				if err := a.Printf("%s", summaryText(sum)); err != nil {
					return err
				}
				return fail
			}
			if a.Flags.JSON {
				return a.PrintJSON(map[string]any{"summary": sum})
			}
			return a.Printf("%s", summaryText(sum))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Rehash, "rehash", false, "also read every object and check that its content still hashes to its cid")
	f.BoolVar(&opts.Repair, "repair", false, "fix what is unambiguous, printing each action (opens the store for writing)")
	f.Var(&untagged, "untagged-older-than", "with --repair, remove untagged objects last modified longer ago than `DURATION`")
	f.Var(&grace, "temp-grace", "ignore temp and _delete files changed less than `DURATION` ago")
	return cmd
}

// auditProgress returns a spinner with a file counter on stderr, or nil when stderr is not a
// terminal or --quiet is given.
func (a *App) auditProgress() *progressbar.ProgressBar {
	f, isFile := a.Stderr.(*os.File)
	if a.Flags.Quiet || !isFile || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(a.Stderr),
		progressbar.OptionSetDescription("auditing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("files"),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionThrottle(100*time.Millisecond),
		// No ticker goroutine: the bar is drawn from the audit's own goroutine only, so that
		// clearing it before a finding is printed cannot race with a redraw.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
}

// findingLine is the text form of a finding: CLASS  PATH  pid=...  cid=...  DETAIL  repaired: ...
func findingLine(f hashstore.Finding) string {
	parts := []string{string(f.Class), quoteIfNeeded(f.Path)}
	if f.PID != "" {
		parts = append(parts, "pid="+quoteIfNeeded(f.PID))
	}
	if f.CID != "" {
		parts = append(parts, "cid="+quoteIfNeeded(f.CID))
	}
	if f.Detail != "" {
		parts = append(parts, escapeControl(f.Detail))
	}
	if f.Repaired != "" {
		parts = append(parts, "repaired: "+escapeControl(f.Repaired))
	}
	return strings.Join(parts, "  ")
}

// summaryText is the summary printed after the findings: totals, then a line per class found.
func summaryText(sum hashstore.AuditSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "audited %d files: %d findings, %d repaired, %d errors remaining\n", sum.Files, sum.Findings, sum.Repaired, sum.Errors)
	for _, c := range hashstore.FindingClasses() {
		n := sum.Counts[c]
		if n == 0 {
			continue
		}
		kind := "error"
		if !c.IsError() {
			kind = "notice"
		}
		fmt.Fprintf(&b, "  %-27s %6d  %s\n", c, n, kind)
	}
	if sum.Clean {
		b.WriteString("the store is clean\n")
	} else {
		b.WriteString("the store has errors\n")
	}
	return b.String()
}

// auditFailure is the error an audit that left errors exits with. Its kind is corrupt when an
// object is corrupt, otherwise orphan_refs (the store's references or files are inconsistent).
func auditFailure(sum hashstore.AuditSummary) error {
	var classes []string
	for _, c := range hashstore.FindingClasses() {
		if c.IsError() && sum.Counts[c] > 0 {
			classes = append(classes, fmt.Sprintf("%s %d", c, sum.Counts[c]))
		}
	}
	kind := hashstore.ErrOrphanRefs
	if sum.Counts[hashstore.FindingCorruptObject] > 0 {
		kind = hashstore.ErrCorrupt
	}
	return &hashstore.OpError{Op: "audit", Err: fmt.Errorf("%w: %d error finding(s) not repaired (%s)",
		kind, sum.Errors, strings.Join(classes, ", "))}
}

// durationValue is a flag holding a non-negative duration, written as a Go duration (90m, 36h)
// or a number of days (7d).
type durationValue struct{ d time.Duration }

var _ pflag.Value = (*durationValue)(nil)

func (v *durationValue) String() string {
	if v.d != 0 && v.d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v.d/(24*time.Hour)), 10) + "d"
	}
	return v.d.String()
}

func (v *durationValue) Type() string { return "duration" }

func (v *durationValue) Set(s string) error {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || !(n >= 0 && n <= 100000) { // also rejects NaN
			return errors.New("not a number of days from 0 to 100000")
		}
		d = time.Duration(n * float64(24*time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return errors.New("not a duration such as 90m, 36h or 7d")
		}
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	v.d = d
	return nil
}
