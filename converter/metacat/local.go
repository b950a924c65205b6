package metacat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hashstore-go/hashstore/converter"
)

// noIDRow and noSMRow are rows of noIdentifierQuery and noSysmetaQuery.
type noIDRow struct{ id string }

func (r *noIDRow) scanTargets() []any { return []any{&r.id} }

type noSMRow struct {
	guid  string
	docid pgtype.Text
	rev   pgtype.Int8
}

func (r *noSMRow) scanTargets() []any { return []any{&r.guid, &r.docid, &r.rev} }

// produceLocal streams the local documents Metacat's upgrader would still convert itself.
func (s *Source) produceLocal(ctx context.Context, send func(batch) bool) error {
	st := s.Stats()
	noID, err := declare(ctx, s.tx, "hs_no_identifier", noIdentifierQuery, s.batch, &st.NoIdentifier)
	if err != nil {
		return err
	}
	var ids []noIDRow
	for {
		if ids, err = next[noIDRow](ctx, noID, ids[:0]); err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		s.record(&st, len(ids))
		items := make([]item, 0, len(ids))
		for _, r := range ids {
			s.line++
			if !s.shard.Has(r.id) {
				items = append(items, item{e: converter.Entry{Line: s.line, Offset: s.line, PID: r.id}})
				continue
			}
			msg := fmt.Sprintf("local document %s has neither an identifier row nor system metadata: not converted; %s. "+
				"Metacat's upgrader would create both at its next start (pid %s)%s", r.id, s.files.describe(r.id), r.id, autogenNote(r.id))
			items = append(items, item{err: &converter.EntryError{Line: s.line, Offset: s.line, PID: r.id,
				Class: converter.ClassNoIdentifierRow, Err: errors.New(msg)}})
		}
		if !send(batch{items: items}) {
			return nil
		}
	}
	noSM, err := declare(ctx, s.tx, "hs_no_sysmeta", noSysmetaQuery, s.batch, &st.NoSysmeta)
	if err != nil {
		return err
	}
	var orphans []noSMRow
	for {
		if orphans, err = next[noSMRow](ctx, noSM, orphans[:0]); err != nil {
			return err
		}
		if len(orphans) == 0 {
			s.record(&st, 0)
			return nil
		}
		s.record(&st, len(orphans))
		items := make([]item, 0, len(orphans))
		for _, r := range orphans {
			s.line++
			if !s.shard.Has(r.guid) {
				items = append(items, item{e: converter.Entry{Line: s.line, Offset: s.line, PID: r.guid}})
				continue
			}
			id := localID(r.docid, r.rev)
			msg := fmt.Sprintf("the identifier row names local document %s but there is no system metadata: not converted; %s. "+
				"Metacat's upgrader would make up system metadata at its next start%s", id, s.files.describe(id), autogenNote(r.guid))
			items = append(items, item{err: &converter.EntryError{Line: s.line, Offset: s.line, PID: r.guid,
				Class: converter.ClassNoSystemMetadata, Err: errors.New(msg)}})
		}
		if !send(batch{items: items}) {
			return nil
		}
	}
}

// autogenNote adds that Metacat's upgrader refuses to make up system metadata for a pid that
// starts with "autogen.".
func autogenNote(pid string) string {
	if strings.HasPrefix(pid, "autogen.") {
		return ", but not for an autogen id: it refuses those (generalError)"
	}
	return ""
}
