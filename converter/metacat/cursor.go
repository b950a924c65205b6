package metacat

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// scanner is a row type that knows its columns' destinations.
type scanner interface{ scanTargets() []any }

// keyed is a side-table row: it belongs to the pid key() returns.
type keyed interface {
	scanner
	key() string
}

// cursor is a server-side cursor of the snapshot transaction, read in batches of n rows, so
// that neither the server nor this process holds a table's rows at once.
type cursor struct {
	tx    pgx.Tx
	name  string // also what error messages call the rows
	fetch string
	done  bool   // the cursor is exhausted
	rows  *int64 // counts the rows read, for Stats
}

// declare opens a cursor over query (whose ORDER BY decides the order rows come in).
func declare(ctx context.Context, tx pgx.Tx, name, query string, n int, rows *int64) (*cursor, error) {
	if _, err := tx.Exec(ctx, "DECLARE "+name+" NO SCROLL CURSOR FOR "+query); err != nil {
		return nil, fmt.Errorf("opening the cursor %s: %w", name, err)
	}
	return &cursor{tx: tx, name: name, fetch: "FETCH FORWARD " + strconv.Itoa(n) + " FROM " + name, rows: rows}, nil
}

// next appends the cursor's next batch to buf; after the last row it marks the cursor done.
func next[T any, PT interface {
	*T
	scanner
}](ctx context.Context, c *cursor, buf []T) ([]T, error) {
	if c.done {
		return buf, nil
	}
	rows, err := c.tx.Query(ctx, c.fetch)
	if err != nil {
		return buf, fmt.Errorf("reading %s: %w", c.name, err)
	}
	before := len(buf)
	for rows.Next() {
		buf = append(buf, *new(T))
		if err := rows.Scan(PT(&buf[len(buf)-1]).scanTargets()...); err != nil {
			rows.Close()
			return buf, fmt.Errorf("reading %s: %w", c.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return buf, fmt.Errorf("reading %s: %w", c.name, err)
	}
	*c.rows += int64(len(buf) - before)
	if len(buf) == before {
		c.done = true
	}
	return buf, nil
}

// side buffers the rows of a side table, read in pid order beside the systemmetadata rows.
type side[T any, PT interface {
	*T
	keyed
}] struct {
	c   *cursor
	buf []T
	pos int // rows before pos were taken
}

// fill reads until every row of the pids of the current batch (those inBatch holds) is
// buffered, or the table is read: rows come grouped by pid in the order of the batch, so
// the first row of a pid outside the batch ends the batch's rows. Taken rows are dropped
// first, so the buffer holds the rows of the current batch of pids and at most one fetch more.
func (s *side[T, PT]) fill(ctx context.Context, inBatch map[string]struct{}) error {
	for !s.c.done && (s.pos == len(s.buf) || has(inBatch, PT(&s.buf[len(s.buf)-1]).key())) {
		if s.pos > 0 {
			n := copy(s.buf, s.buf[s.pos:])
			clear(s.buf[n:])
			s.buf, s.pos = s.buf[:n], 0
		}
		var err error
		if s.buf, err = next[T, PT](ctx, s.c, s.buf); err != nil {
			return err
		}
	}
	return nil
}

func has(set map[string]struct{}, k string) bool {
	_, ok := set[k]
	return ok
}

// take returns the buffered rows of pid k, the next pid of the batch, in the order read. The
// slice is valid until the next fill.
func (s *side[T, PT]) take(k string) []T {
	start := s.pos
	for s.pos < len(s.buf) && PT(&s.buf[s.pos]).key() == k {
		s.pos++
	}
	return s.buf[start:s.pos]
}

// strays reports whether a row of a pid of the batch is still buffered once the batch's rows
// were taken: the table's rows did not come in the order of the systemmetadata rows (a column
// with another collation, say), and some would be lost.
func (s *side[T, PT]) strays(inBatch map[string]struct{}) bool {
	for k := s.pos; k < len(s.buf); k++ {
		if has(inBatch, PT(&s.buf[k]).key()) {
			return true
		}
	}
	return false
}

// buffered is the number of rows held.
func (s *side[T, PT]) buffered() int { return len(s.buf) }
