package metacat

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
)

// LoadOptions says what Load writes.
type LoadOptions struct {
	// Checksums loads the digests of every converted object into the checksums table.
	Checksums bool
	// ApplyFixes writes the corrected checksum of every object converted after a checksum
	// correction (converter.CorrectMismatch) into systemmetadata.
	ApplyFixes bool
	// Batch is the number of pids per transaction (default 1000).
	Batch int
}

// LoadStats is what Load wrote.
type LoadStats struct {
	// PIDs is the number of pids whose checksums were loaded, Rows the rows inserted.
	PIDs, Rows int64
	// Fixes is the number of systemmetadata rows whose checksum was corrected.
	Fixes int64
	// Vanished counts the pids left out because their systemmetadata row is gone (deleted
	// since the pass's snapshot): the table's foreign key refuses their rows.
	Vanished int64
}

// extraChecksumAlgorithms are the algorithms that give a pid a sixth checksums row, as
// Metacat's HashStore computes them beside the five defaults when the sysmeta names them.
var extraChecksumAlgorithms = []hashstore.Algorithm{hashstore.MD2, hashstore.SHA512_224, hashstore.SHA512_256}

// Load writes the outcome of a complete pass, read from its journal (converter.Summary's
// Journal), into the database at dsn, one transaction per Batch pids:
//
//   - with Checksums, the digests of every object converted with data: one row per default
//     algorithm (MD5, SHA-1, SHA-256, SHA-384, SHA-512) plus one for MD2, SHA-512/224 or
//     SHA-512/256 when the sysmeta's algorithm is one of those, spelled as HashStore spells
//     them, lower-case hex. The rows go in with COPY (into a temporary table first); the pid's
//     earlier rows are deleted in the same transaction, so a second Load replaces rather than
//     duplicates them;
//   - with ApplyFixes, the corrected checksum and algorithm of every object whose checksum
//     the pass corrected, in its systemmetadata row; date_modified and serial_version are
//     left as they are, as Metacat's upgrader leaves them.
//
// A database without the checksums table (before Metacat 3.1) is refused with
// ErrNoChecksumsTable when Checksums is set. A failure leaves the batches before it written;
// Load can be run again.
func Load(ctx context.Context, dsn, journal string, opts LoadOptions) (LoadStats, error) {
	var st LoadStats
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return st, fmt.Errorf("%w: metacat DSN: %w", hashstore.ErrInvalidArgument, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	name := displayName(cfg)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return st, fmt.Errorf("%s: cannot connect: %w", name, err)
	}
	defer conn.Close(context.Background())
	if opts.Checksums {
		if err := requireChecksumsTable(ctx, conn); err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
	}
	var sums, fixes [][]any
	pids := 0
	flush := func() error {
		if pids == 0 {
			return nil
		}
		if err := loadBatch(ctx, conn, sums, fixes, &st); err != nil {
			return fmt.Errorf("%s: loading checksums: %w", name, err)
		}
		sums, fixes, pids = sums[:0], fixes[:0], 0
		return nil
	}
	err = converter.ReadOutcomes(journal, func(o *converter.Outcome) error {
		if o.Status != "ok" {
			return nil
		}
		added := false
		if opts.Checksums && o.CID != "" {
			for _, a := range append(hashstore.DefaultAlgorithms(), extraChecksumAlgorithms...) {
				if d := o.HexDigests[a]; d != "" {
					sums = append(sums, []any{o.PID, d, string(a)})
				}
			}
			added = true
		}
		if opts.ApplyFixes && o.Correction != nil {
			fixes = append(fixes, []any{o.PID, o.Correction.New, o.Correction.Algorithm})
			added = true
		}
		if added {
			pids++
		}
		if pids >= opts.Batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	return st, flush()
}

// requireChecksumsTable refuses a database without Metacat 3.1's checksums table.
func requireChecksumsTable(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('checksums') IS NOT NULL").Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return ErrNoChecksumsTable
	}
	return nil
}

// loadBatch writes one batch in one transaction: the checksums rows of its pids replace
// theirs (for pids whose systemmetadata row still exists), and the fixes are applied.
func loadBatch(ctx context.Context, conn *pgx.Conn, sums, fixes [][]any, st *LoadStats) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if len(sums) > 0 {
			if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE hs_checksums (guid text, checksum text, checksum_algorithm text) ON COMMIT DROP`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"hs_checksums"}, []string{"guid", "checksum", "checksum_algorithm"}, pgx.CopyFromRows(sums)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM checksums c USING (SELECT DISTINCT guid FROM hs_checksums) n WHERE c.guid = n.guid`); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO checksums (guid, checksum, checksum_algorithm)
				SELECT n.guid, n.checksum, n.checksum_algorithm FROM hs_checksums n
				WHERE EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = n.guid)`)
			if err != nil {
				return err
			}
			var loaded, vanished int64
			if err := tx.QueryRow(ctx, `SELECT count(DISTINCT guid) FILTER (WHERE EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = n.guid)),
				count(DISTINCT guid) FILTER (WHERE NOT EXISTS (SELECT 1 FROM systemmetadata s WHERE s.guid = n.guid)) FROM hs_checksums n`).Scan(&loaded, &vanished); err != nil {
				return err
			}
			st.Rows += tag.RowsAffected()
			st.PIDs += loaded
			st.Vanished += vanished
		}
		for _, f := range fixes {
			tag, err := tx.Exec(ctx, `UPDATE systemmetadata SET checksum = $2, checksum_algorithm = $3 WHERE guid = $1`, f...)
			if err != nil {
				return err
			}
			st.Fixes += tag.RowsAffected()
		}
		return nil
	})
}
