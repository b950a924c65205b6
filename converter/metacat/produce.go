package metacat

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/hashstore"
)

// produce reads the cursors and builds the entries, in batches, until the pass is read.
func (s *Source) produce(ctx context.Context) {
	defer close(s.out)
	send := func(b batch) bool {
		select {
		case s.out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if err := s.produceSysmeta(ctx, send); err != nil {
		send(batch{err: err})
		return
	}
	if err := s.produceLocal(ctx, send); err != nil {
		send(batch{err: err})
	}
}

// produceSysmeta streams the systemmetadata rows, merging the side tables' rows into them.
func (s *Source) produceSysmeta(ctx context.Context, send func(batch) bool) error {
	var st Stats
	main, err := declare(ctx, s.tx, "hs_systemmetadata", smQuery, s.batch, &st.SystemMetadata)
	if err != nil {
		return err
	}
	var sides sideTables
	if sides.access.c, st.AccessIndexOrder, err = accessCursor(ctx, s.tx, sideFactor*s.batch, &st.Access); err != nil {
		return err
	}
	for _, c := range []struct {
		dst   **cursor
		name  string
		query string
		count *int64
	}{
		{&sides.policies.c, "hs_smreplicationpolicy", policyQuery, &st.Policies},
		{&sides.replicas.c, "hs_smreplicationstatus", replicaQuery, &st.Replicas},
		{&sides.props.c, "hs_smmediatypeproperties", propertyQuery, &st.Properties},
	} {
		if *c.dst, err = declare(ctx, s.tx, c.name, c.query, sideFactor*s.batch, c.count); err != nil {
			return err
		}
	}
	// The rows are fetched here and built into entries by a goroutine of their own, so that
	// encoding one batch overlaps the database's work on the next.
	raw := make(chan rawBatch, 1)
	built := make(chan struct{})
	go func() {
		defer close(built)
		for rb := range raw {
			if ctx.Err() == nil {
				send(batch{items: s.buildBatch(rb)})
			}
		}
	}()
	err = s.fetchSysmeta(ctx, &st, main, &sides, raw)
	close(raw)
	<-built
	return err
}

// rawBatch is a batch of systemmetadata rows with each pid's side rows (copies, owned by the
// batch), the first of them on line first.
type rawBatch struct {
	first int64
	rows  []smRow
	sides []sideRows
}

// sideTables are the side tables' cursors and buffers.
type sideTables struct {
	access   side[accessRow, *accessRow]
	policies side[policyRow, *policyRow]
	replicas side[replicaRow, *replicaRow]
	props    side[propertyRow, *propertyRow]
}

// fill reads every side table until it holds the rows of the batch's pids.
func (t *sideTables) fill(ctx context.Context, inBatch map[string]struct{}) error {
	for _, f := range []func(context.Context, map[string]struct{}) error{t.access.fill, t.policies.fill, t.replicas.fill, t.props.fill} {
		if err := f(ctx, inBatch); err != nil {
			return err
		}
	}
	return nil
}

// strays names a side table that still holds rows of the batch's pids after takeAll, or "".
func (t *sideTables) strays(inBatch map[string]struct{}) string {
	switch {
	case t.access.strays(inBatch):
		return "xml_access"
	case t.policies.strays(inBatch):
		return "smreplicationpolicy"
	case t.replicas.strays(inBatch):
		return "smreplicationstatus"
	case t.props.strays(inBatch):
		return "smmediatypeproperties"
	}
	return ""
}

// buffered is the number of rows the side tables hold.
func (t *sideTables) buffered() int {
	return t.access.buffered() + t.policies.buffered() + t.replicas.buffered() + t.props.buffered()
}

// takeAll returns, for each row of a batch in order, copies of its side rows: the buffers are
// refilled while the batch is still being built.
func (t *sideTables) takeAll(rows []smRow) []sideRows {
	var acc []accessRow
	var pol []policyRow
	var rep []replicaRow
	var prop []propertyRow
	ends := make([][4]int, len(rows))
	for i := range rows {
		g := rows[i].guid
		acc = append(acc, t.access.take(g)...)
		pol = append(pol, t.policies.take(g)...)
		rep = append(rep, t.replicas.take(g)...)
		prop = append(prop, t.props.take(g)...)
		ends[i] = [4]int{len(acc), len(pol), len(rep), len(prop)}
	}
	out := make([]sideRows, len(rows))
	var from [4]int
	for i, to := range ends {
		out[i] = sideRows{access: acc[from[0]:to[0]:to[0]], policies: pol[from[1]:to[1]:to[1]],
			replicas: rep[from[2]:to[2]:to[2]], properties: prop[from[3]:to[3]:to[3]]}
		from = to
	}
	return out
}

// fetchSysmeta reads the systemmetadata rows a fetch at a time, with the side rows of their
// pids, and hands them to raw in chunks.
func (s *Source) fetchSysmeta(ctx context.Context, st *Stats, main *cursor, sides *sideTables, raw chan<- rawBatch) error {
	for {
		rows, err := next[smRow](ctx, main, nil)
		if err != nil || len(rows) == 0 {
			return err
		}
		inBatch := make(map[string]struct{}, len(rows))
		for i := range rows {
			inBatch[rows[i].guid] = struct{}{}
		}
		if err := sides.fill(ctx, inBatch); err != nil {
			return err
		}
		s.record(st, len(rows)+sides.buffered())
		first, side := s.line+1, sides.takeAll(rows)
		if name := sides.strays(inBatch); name != "" {
			return fmt.Errorf("the rows of %s do not come in the order of the systemmetadata rows (do their guid columns have different collations?)", name)
		}
		s.line += int64(len(rows))
		for lo := 0; lo < len(rows); lo += chunk {
			hi := min(lo+chunk, len(rows))
			select {
			case raw <- rawBatch{first: first + int64(lo), rows: rows[lo:hi], sides: side[lo:hi]}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// buildBatch builds the entries of a batch.
func (s *Source) buildBatch(rb rawBatch) []item {
	items := make([]item, len(rb.rows))
	for i := range rb.rows {
		items[i] = s.entry(rb.first+int64(i), &rb.rows[i], &rb.sides[i])
	}
	return items
}

// record publishes the counters.
func (s *Source) record(st *Stats, buffered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.MaxBuffered = max(s.stats.MaxBuffered, buffered)
	s.stats = *st
}

// entry is the entry of a systemmetadata row.
func (s *Source) entry(line int64, r *smRow, side *sideRows) item {
	e := converter.Entry{Line: line, Offset: line, PID: r.guid}
	if !s.shard.Has(r.guid) || hashstore.CheckIdentifier("pid", r.guid) != nil {
		return item{e: e} // passed over as another shard's, or reported as an invalid pid
	}
	sm, err := encode(r, side, s.loc)
	if err != nil {
		class := converter.ClassInvalidSysmeta
		var re *rowError
		if errors.As(err, &re) {
			class = re.class
		}
		return item{err: &converter.EntryError{Line: line, Offset: line, PID: r.guid, Class: class, Err: err}}
	}
	e.Sysmeta = sm
	if !r.hasIdentifier {
		e.Note = converter.Note{Class: converter.NoteSysmetaOnly,
			Message: "system metadata without an identifier row (no local data: an entry of a replica or a coordinating node): stored without data"}
		return item{e: e}
	}
	if e.Path, e.PathInfo, err = s.files.path(localID(r.docid, r.rev)); err != nil {
		return item{err: &converter.EntryError{Line: line, Offset: line, PID: r.guid, Class: converter.ClassGeneralError, Err: err}}
	}
	return item{e: e}
}
