package converter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashstore-go/hashstore/converter/internal/journal"
	"github.com/hashstore-go/hashstore/converter/internal/pidset"
	"github.com/hashstore-go/hashstore/hashstore"
)

// ErrNoCompletePass is returned (wrapped) by a sweep (BulkOptions.Sweep) over a journal that
// does not hold a complete pass of a snapshot source yet.
var ErrNoCompletePass = errors.New("the journal holds no complete pass to sweep from")

// ErrPassComplete is returned (wrapped) by a run of a snapshot source that is not a sweep over
// a journal that holds a complete pass: such a run must be a sweep, which also finds the pids
// deleted since.
var ErrPassComplete = errors.New("the journal already holds a complete pass")

// checkSweep refuses a sweep without a complete pass to start from, and a plain pass of a
// snapshot source over a journal that holds one.
func (r *bulkRun) checkSweep() error {
	h := r.journal.Header()
	_, snapshot := r.src.(Snapshot)
	switch {
	case r.opts.Sweep && h.T0 == nil:
		return fmt.Errorf("%w: %w (%s): run without the sweep first, or resume it, until it completes",
			hashstore.ErrInvalidArgument, ErrNoCompletePass, r.opts.Journal)
	case !r.opts.Sweep && snapshot && h.T0 != nil:
		return fmt.Errorf("%w: %w (T0 %s, %s): sweep it to convert what changed since, or use another journal for a new pass",
			hashstore.ErrInvalidArgument, ErrPassComplete, h.T0.UTC().Format(time.RFC3339Nano), r.opts.Journal)
	}
	return nil
}

// findsGone reports whether the run looks for gone pids: in a sweep, and in any run of a
// snapshot source (a resumed first pass too: what was deleted since its interrupted run must
// not be forgotten).
func (r *bulkRun) findsGone() bool {
	_, snapshot := r.src.(Snapshot)
	return r.opts.Sweep || snapshot
}

// seenElsewhere remembers, when the run looks for gone pids, the pids of entries that the
// reader did not put in r.dups (entries that could not be converted): they are still in the
// source, so not gone.
func (r *bulkRun) seenElsewhere(pid string) {
	if pid != "" && r.findsGone() {
		r.failedPIDs.LookupOrAdd(pidset.Hash(pid), 0)
	}
}

// sweepGone finds, at the end of a complete sweep (or pass of a snapshot source), every pid
// that the journal records as in the store but that the source no longer lists, records it as
// gone or, with DeleteGone, deletes it from the store and records it as deleted; it returns
// the offsets of those records (and of deletions recorded by an interrupted run of this
// sweep), sorted by pid.
// A pid is matched by hash: a pid whose hash equals that of a listed pid counts as listed,
// so a collision can keep a gone pid, never delete a listed one.
func (r *bulkRun) sweepGone(ctx context.Context) ([]int64, error) {
	if !r.findsGone() {
		return nil, nil
	}
	listed := func(h uint64) bool { return r.dups.Contains(h) || r.failedPIDs.Contains(h) }
	type goneRec struct {
		pid string
		off int64 // the earlier record
	}
	var gone []goneRec
	var readErr error
	read := func(off int64) (*journal.Record, error) {
		line, err := r.journal.ReadAt(off)
		if err != nil {
			return nil, err
		}
		var rec journal.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, err
		}
		return &rec, nil
	}
	if err := r.journal.Flush(); err != nil {
		return nil, err
	}
	r.journal.Stored(func(h uint64, off int64) bool {
		if listed(h) {
			return true
		}
		rec, err := read(off)
		if err != nil {
			readErr = err
			return false
		}
		gone = append(gone, goneRec{rec.PID, off})
		return true
	})
	if readErr != nil {
		return nil, readErr
	}
	var offsets []int64
	type done struct {
		pid string
		off int64
	}
	var out []done
	for _, off := range r.journal.PendingDeleted() {
		rec, err := read(off)
		if err != nil {
			return nil, err
		}
		if !listed(pidset.Hash(rec.PID)) {
			out = append(out, done{rec.PID, off})
		}
	}
	slices.SortFunc(gone, func(a, b goneRec) int { return strings.Compare(a.pid, b.pid) })
	for _, g := range gone {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%w)", ErrInterrupted, context.Cause(ctx))
		}
		rec := &journal.Record{PID: g.pid, Status: journal.StatusGone, Note: string(NoteGone),
			Message: "no longer in the source: converted by an earlier pass and still in the store"}
		if r.opts.DeleteGone {
			if err := r.deleteGone(ctx, g.pid); err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("%w (%w)", ErrInterrupted, context.Cause(ctx))
				}
				rec.Message = fmt.Sprintf("no longer in the source, and could not be deleted from the store (the next sweep tries again): %v", err)
			} else {
				rec.Status, rec.Note = journal.StatusDeleted, string(NoteDeleted)
				rec.Message = "no longer in the source: deleted from the store"
			}
		}
		off, err := r.journal.Append(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, done{g.pid, off})
	}
	if err := r.journal.Checkpoint(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b done) int { return strings.Compare(a.pid, b.pid) })
	for _, d := range out {
		offsets = append(offsets, d.off)
	}
	return offsets, nil
}

// deleteGone removes pid, its references and its metadata from the store; a pid stored with
// sysmeta only has no references, and a pid already gone is no error.
func (r *bulkRun) deleteGone(ctx context.Context, pid string) error {
	err := r.conv.store.DeleteObject(ctx, pid)
	if errors.Is(err, hashstore.ErrNotFound) {
		err = r.conv.store.DeleteAllMetadata(ctx, pid)
		if errors.Is(err, hashstore.ErrNotFound) {
			err = nil
		}
	}
	return err
}
