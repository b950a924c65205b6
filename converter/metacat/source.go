package metacat

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
)

// DefaultBatch is the number of systemmetadata rows fetched at a time; a side table's rows
// are fetched sideFactor times as many at a time (they are smaller, and a pid has a few). Each
// fetch is a round trip to the server, which bounds the rate when the server is far or busy;
// the rows fetched are what the source holds, which bounds its memory.
const DefaultBatch = 5000

// sideFactor is how many times Batch rows a side table's fetch takes.
const sideFactor = 4

// chunk is the number of entries built and handed on at a time: entries (with their system
// metadata) are what the pipeline holds between the source and the workers, so they go in
// pieces smaller than a fetch.
const chunk = 500

// Options configures Open.
type Options struct {
	// DSN is the database: a PostgreSQL URL or key=value string; "" takes everything from
	// the PG* environment variables, as libpq does.
	DSN string
	// DocumentsDir and DataDir are Metacat's legacy stores (application.documentfilepath and
	// application.datafilepath); a local document's file is looked up in DocumentsDir first.
	DocumentsDir, DataDir string
	// Location is the time zone in which timestamps without time zone are read: that of the
	// JVM that wrote them (default time.Local).
	Location *time.Location
	// Shard is the part of the pids the run takes; documents of other shards are passed over
	// without building their system metadata.
	Shard converter.Shard
	// Batch is the number of systemmetadata rows fetched per round trip (default
	// DefaultBatch).
	Batch int
}

// Stats counts the rows a Source read, per table, and the most rows it held at once.
type Stats struct {
	SystemMetadata, Access, Policies, Replicas, Properties, NoIdentifier, NoSysmeta int64
	// MaxBuffered is the largest number of rows held at once (all cursors together).
	MaxBuffered int
	// AccessIndexOrder is true when the access rules were read in the order of xml_access's
	// index on guid (as Metacat reads them), false when in physical order (no such index).
	AccessIndexOrder bool
}

// Source is a converter.Source that reads a Metacat database: every pid with system metadata,
// its document built from the rows as Metacat builds it (docs/METACAT.md), and the local
// documents Metacat's own upgrader would still convert (as failures of classes
// noIdentifierRow and noSystemMetadata). It reads one snapshot (a read-only REPEATABLE READ
// transaction, whose start is T0) through cursors in pid order, so that memory does not grow
// with the database. It implements converter.Snapshot. Next must be called from one goroutine;
// Close it when the run is over.
type Source struct {
	name         string
	t0           time.Time
	total        int64
	version      string
	hasChecksums bool
	loc          *time.Location
	files        files
	shard        converter.Shard
	batch        int

	conn   *pgx.Conn
	tx     pgx.Tx
	cancel context.CancelFunc
	wg     sync.WaitGroup
	out    chan batch

	cur  []item
	pos  int
	err  error
	line int64 // the producer's

	mu    sync.Mutex
	stats Stats
}

// item is one entry or the error of an entry that cannot be converted.
type item struct {
	e   converter.Entry
	err error
}

// batch is what the producer hands to Next: entries, or an error that ends the pass.
type batch struct {
	items []item
	err   error
}

// Open connects to the database, starts the snapshot, checks that the schema is Metacat's
// (ErrNotMetacat names what is missing) and counts the entries. Errors name the database
// (host, port, user, database; never a password).
func Open(ctx context.Context, opts Options) (*Source, error) {
	cfg, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: metacat DSN: %w", hashstore.ErrInvalidArgument, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "hashstore convert"
	}
	s := &Source{name: displayName(cfg), loc: opts.Location, shard: opts.Shard, batch: opts.Batch,
		files: files{documents: opts.DocumentsDir, data: opts.DataDir}}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.batch <= 0 {
		s.batch = DefaultBatch
	}
	if s.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("%s: cannot connect: %w", s.name, err)
	}
	if err := s.begin(ctx); err != nil {
		s.conn.Close(context.Background())
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	pctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.out = make(chan batch, 2)
	s.wg.Go(func() { s.produce(pctx) })
	return s, nil
}

// begin starts the snapshot transaction, takes T0, checks the schema, counts the entries and
// declares the cursors.
func (s *Source) begin(ctx context.Context) error {
	tx, err := s.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("starting the snapshot: %w", err)
	}
	s.tx = tx
	// The pass may wait on its workers (a large file) between two fetches for as long as it
	// takes: the server must not end the transaction meanwhile. Compiling the cursors' plans
	// (JIT) would only cost time.
	if _, err := tx.Exec(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL statement_timeout = 0; SET LOCAL jit = off"); err != nil {
		return fmt.Errorf("starting the snapshot: %w", err)
	}
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&s.t0); err != nil {
		return fmt.Errorf("starting the snapshot: %w", err)
	}
	if s.hasChecksums, err = checkSchema(ctx, tx); err != nil {
		return err
	}
	s.version = schemaVersion(ctx, tx)
	var sm, noID, noSM int64
	if err := tx.QueryRow(ctx, countQuery).Scan(&sm, &noID, &noSM); err != nil {
		return fmt.Errorf("counting the candidates: %w", err)
	}
	s.total = sm + noID + noSM
	return nil
}

// displayName names the database in messages and in the journal, without its password.
func displayName(cfg *pgx.ConnConfig) string {
	u := url.URL{Scheme: "postgres", User: url.User(cfg.User), Host: cfg.Host + ":" + strconv.Itoa(int(cfg.Port)), Path: "/" + cfg.Database}
	if strings.HasPrefix(cfg.Host, "/") {
		u.Host, u.RawQuery = "", "host="+url.QueryEscape(cfg.Host)
	}
	return "metacat " + u.String()
}

// Name implements converter.Source: "metacat postgres://user@host:port/database".
func (s *Source) Name() string { return s.name }

// Stamp implements converter.Source: T0.
func (s *Source) Stamp() string { return s.t0.UTC().Format(time.RFC3339Nano) }

// T0 implements converter.Snapshot: the database's clock when the snapshot was taken.
func (s *Source) T0() time.Time { return s.t0 }

// Len implements converter.Source: the number of entries of the pass (all shards).
func (s *Source) Len() int64 { return s.total }

// HasChecksumsTable reports whether the database has Metacat 3.1's checksums table.
func (s *Source) HasChecksumsTable() bool { return s.hasChecksums }

// Version is the schema version Metacat's version table marks as current ("" if unknown).
func (s *Source) Version() string { return s.version }

// Stats returns what was read so far.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Next implements converter.Source. An entry that cannot be converted is a
// *converter.EntryError of its class; an error reading the database ends the pass.
func (s *Source) Next(ctx context.Context) (converter.Entry, error) {
	for s.pos >= len(s.cur) {
		if s.err != nil {
			return converter.Entry{}, s.err
		}
		select {
		case b, ok := <-s.out:
			if !ok {
				return converter.Entry{}, io.EOF
			}
			if b.err != nil {
				s.err = fmt.Errorf("%s: %w (the pass stopped; run it again to resume)", s.name, b.err)
				return converter.Entry{}, s.err
			}
			s.cur, s.pos = b.items, 0
		case <-ctx.Done():
			return converter.Entry{}, ctx.Err()
		}
	}
	it := s.cur[s.pos]
	s.cur[s.pos] = item{}
	s.pos++
	return it.e, it.err
}

// Close ends the snapshot and the connection.
func (s *Source) Close() error {
	s.cancel()
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.tx.Rollback(ctx)
	return s.conn.Close(ctx)
}
