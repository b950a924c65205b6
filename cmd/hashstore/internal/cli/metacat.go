package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/converter/metacat"
)

// metacatHelp is the part of convert's help that describes --metacat.
const metacatHelp = `
With --metacat DSN, the objects and their system metadata come from a Metacat database (DSN:
a PostgreSQL URL or key=value string; "" takes the PG* environment variables) instead of a
manifest; every bulk flag above applies, and the journal defaults to metacat.journal. Each
pid's system metadata is built from its rows exactly as Metacat builds and writes it, its data
file found under --documents-dir, else --data-dir (by default DIR/documents and DIR/data of
--metacat-dir, default /var/metacat), named docid.rev. A pid without identifier row is stored
with its system metadata alone (listed as sysmetaOnly); local documents Metacat would still
convert itself are reported (noIdentifierRow, noSystemMetadata). Timestamps are read in
--metacat-timezone (default: this machine's zone), which must be the zone of the Metacat that
wrote them.

The pass reads one snapshot of the database, whose time T0 it prints and keeps in the journal.
A later run with the same journal must be --sweep: it converts what changed since (new pids,
pids whose rebuilt system metadata differs from the one stored, whatever date_modified says),
takes a new T0, and lists the pids deleted from the database since (gone), or with
--delete-gone deletes them from the store (deleted).

--on-checksum-mismatch correct converts an object whose data does not match its checksum with
the checksum corrected, as Metacat's upgrader does, and lists it in nonMatchingChecksum_<time>.txt
in Metacat's words (the default, report, fails it). The database is only read, unless
--checksums-to-db (load the checksums of every converted pid into the checksums table,
replacing earlier rows) or --apply-checksum-fixes (write the corrected checksums into
systemmetadata) is given. docs/METACAT.md has the whole procedure.`

// metacatFlags are the flags of convert --metacat.
type metacatFlags struct {
	dsn, dir, documents, data, timezone string
	mismatch                            mismatchPolicy
	checksumsToDB, applyFixes           bool
	sweep, deleteGone                   bool
}

// metacatOnlyFlags are the flags that need --metacat.
var metacatOnlyFlags = []string{"metacat-dir", "documents-dir", "data-dir", "metacat-timezone", "on-checksum-mismatch",
	"checksums-to-db", "apply-checksum-fixes", "sweep", "delete-gone"}

func (m *metacatFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&m.dsn, "metacat", "", "convert every object of the Metacat database `DSN` (a PostgreSQL URL or key=value string)")
	f.StringVar(&m.dir, "metacat-dir", "/var/metacat", "Metacat's data `DIR`, holding documents/ and data/")
	f.StringVar(&m.documents, "documents-dir", "", "Metacat's documents `DIR` (default: METACAT-DIR/documents)")
	f.StringVar(&m.data, "data-dir", "", "Metacat's data files `DIR` (default: METACAT-DIR/data)")
	f.StringVar(&m.timezone, "metacat-timezone", "Local", "the time `ZONE` of the Metacat that wrote the database's timestamps (e.g. America/Los_Angeles, UTC)")
	f.Var(&m.mismatch, "on-checksum-mismatch", "when the data does not match its sysmeta's checksum: report (fail it) or correct the sysmeta, as Metacat does")
	f.BoolVar(&m.checksumsToDB, "checksums-to-db", false, "load the checksums of the converted pids into the database's checksums table")
	f.BoolVar(&m.applyFixes, "apply-checksum-fixes", false, "write corrected checksums into the database's systemmetadata (with --on-checksum-mismatch correct)")
	f.BoolVar(&m.sweep, "sweep", false, "convert what changed since the journal's last complete pass")
	f.BoolVar(&m.deleteGone, "delete-gone", false, "with --sweep: delete from the store the pids no longer in the database")
}

// changedOnly returns the first metacat-only flag given, or "".
func (m *metacatFlags) changedOnly(cmd *cobra.Command) string {
	for _, name := range metacatOnlyFlags {
		if cmd.Flags().Changed(name) {
			return name
		}
	}
	return ""
}

// runMetacat runs convert --metacat: a bulk run whose source is the database, then the loads
// into the database that were asked for.
func (a *App) runMetacat(cmd *cobra.Command, b *bulkFlags, m *metacatFlags) error {
	switch {
	case m.applyFixes && m.mismatch != mismatchPolicy(converter.CorrectMismatch):
		return UsageErrorf("--apply-checksum-fixes needs --on-checksum-mismatch correct")
	case m.deleteGone && !m.sweep:
		return UsageErrorf("--delete-gone needs --sweep")
	}
	loc, err := time.LoadLocation(m.timezone)
	if err != nil {
		return UsageErrorf("--metacat-timezone: %v", err)
	}
	documents, data := m.documents, m.data
	if documents == "" {
		documents = filepath.Join(m.dir, "documents")
	}
	if data == "" {
		data = filepath.Join(m.dir, "data")
	}
	opts, err := a.bulkOptions(b, "metacat.journal")
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	src, err := metacat.Open(ctx, metacat.Options{DSN: m.dsn, DocumentsDir: documents, DataDir: data, Location: loc, Shard: opts.Shard})
	if err != nil {
		return err
	}
	defer src.Close()
	load := metacat.LoadOptions{Checksums: m.checksumsToDB, ApplyFixes: m.applyFixes}
	version := src.Version()
	if version == "" {
		version = "unknown"
	}
	if m.checksumsToDB && !src.HasChecksumsTable() {
		return fmt.Errorf("--checksums-to-db: %w (schema version %s); convert without it, and let Metacat's own upgrade create the table",
			metacat.ErrNoChecksumsTable, version)
	}
	a.Noticef("metacat: %s, schema %s: snapshot T0 %s (%s in %s), %d candidates", src.Name(), version,
		src.T0().UTC().Format(time.RFC3339Nano), src.T0().In(loc).Format("2006-01-02 15:04:05.000"), loc, src.Len())
	opts.Source = src
	opts.Sweep, opts.DeleteGone = m.sweep, m.deleteGone
	opts.OnChecksumMismatch = converter.MismatchPolicy(m.mismatch)
	var after func(*converter.Summary) error
	if load.Checksums || load.ApplyFixes {
		after = func(sum *converter.Summary) error {
			st, err := metacat.Load(ctx, m.dsn, sum.Journal, load)
			if err != nil {
				return fmt.Errorf("%w (the conversion itself is complete: run the same command with --sweep to load again)", err)
			}
			a.Noticef("metacat: loaded %d checksums rows for %d pids, applied %d checksum fixes; %d pids left out (no longer in systemmetadata)",
				st.Rows, st.PIDs, st.Fixes, st.Vanished)
			return nil
		}
	}
	err = a.runBulkSource(cmd, b.crossDevice.linkPolicy(), b, opts, after)
	if errors.Is(err, converter.ErrPassComplete) || errors.Is(err, converter.ErrNoCompletePass) {
		return UsageErrorf("%v", err)
	}
	return err
}

// mismatchPolicy is --on-checksum-mismatch: report (converter.ReportMismatch, the default) or
// correct (converter.CorrectMismatch).
type mismatchPolicy converter.MismatchPolicy

var _ pflag.Value = (*mismatchPolicy)(nil)

// String, Type and Set make the policy a flag value.
func (p *mismatchPolicy) String() string {
	if converter.MismatchPolicy(*p) == converter.CorrectMismatch {
		return "correct"
	}
	return "report"
}

func (p *mismatchPolicy) Type() string { return "report|correct" }

func (p *mismatchPolicy) Set(s string) error {
	switch s {
	case "report":
		*p = mismatchPolicy(converter.ReportMismatch)
	case "correct":
		*p = mismatchPolicy(converter.CorrectMismatch)
	default:
		return fmt.Errorf("%q: want report or correct", s)
	}
	return nil
}
