package metacat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/converter"
	"github.com/hashstore-go/hashstore/converter/metacat/metacattest"
	"github.com/hashstore-go/hashstore/internal/pgtest"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// marshallerHead starts every document Metacat's marshaller writes.
const marshallerHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<ns3:systemMetadata xmlns:ns2="http://ns.dataone.org/service/types/v1" xmlns:ns3="http://ns.dataone.org/service/types/v2.0">`

// marshallerFiles returns every file of the repository that Metacat's marshaller wrote, keyed
// by path, with duplicate contents dropped: the files that begin as the marshaller begins and
// that package sysmeta writes again byte for byte (a hand-written fixture may copy the first
// lines, not the rest: dates without milliseconds, say).
func marshallerFiles(t *testing.T) map[string][]byte {
	t.Helper()
	root := filepath.Dir(pgtest.SampleDir()) // testdata
	root = filepath.Dir(root)                // the repository
	out := map[string][]byte{}
	seen := map[string]bool{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".xml") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte(marshallerHead)) || seen[string(b)] {
			return nil
		}
		seen[string(b)] = true
		if d, err := sysmeta.DecodeDocument(b); err == nil {
			if again, err := d.Encode(); err == nil && bytes.Equal(again, b) {
				out[p] = b
				return nil
			}
		}
		t.Logf("%s begins as the marshaller's output but is not: left out", p)
		return nil
	}))
	return out
}

// readAll reads a whole pass of the source: the entries by pid, and the entry errors.
func readAll(t *testing.T, s *Source) (map[string]converter.Entry, []*converter.EntryError) {
	t.Helper()
	entries := map[string]converter.Entry{}
	var errs []*converter.EntryError
	for {
		e, err := s.Next(context.Background())
		if err == io.EOF {
			return entries, errs
		}
		var ee *converter.EntryError
		if errors.As(err, &ee) {
			errs = append(errs, ee)
			continue
		}
		require.NoError(t, err)
		require.NotContains(t, entries, e.PID, "a pid twice")
		entries[e.PID] = e
	}
}

// connect opens a connection to dsn for the rest of the test.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestMarshallerDocumentsThroughTheDatabase is the byte-for-byte test: every document in the
// repository that Metacat's marshaller wrote is decoded, stored as Metacat's rows, read back
// through the source, and must come out as the very same bytes; in two time zones, since the
// rows hold wall clock time.
func TestMarshallerDocumentsThroughTheDatabase(t *testing.T) {
	files := marshallerFiles(t)
	var names []string
	for p := range files {
		names = append(names, filepath.Base(p))
	}
	for _, want := range []string{"jtao.1700.1.xml", "doi_10.18739_A2901ZH2M.xml", "urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a.xml"} {
		require.Contains(t, names, want, "the reference documents are among the files")
	}
	// Documents of one pid go to different databases.
	var rounds []map[string]string // pid -> path
	for p, b := range files {
		d, err := sysmeta.DecodeDocument(b)
		require.NoError(t, err, p)
		placed := false
		for _, r := range rounds {
			if _, dup := r[d.Identifier]; !dup {
				r[d.Identifier], placed = p, true
				break
			}
		}
		if !placed {
			rounds = append(rounds, map[string]string{d.Identifier: p})
		}
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	for _, loc := range []*time.Location{time.UTC, kolkata} {
		for _, round := range rounds {
			dsn := pgtest.DB(t, pgtest.SchemaPath())
			var objs []metacattest.Object
			for _, p := range round {
				d, err := sysmeta.DecodeDocument(files[p])
				require.NoError(t, err)
				objs = append(objs, metacattest.Object{Doc: d})
			}
			require.NoError(t, metacattest.Insert(context.Background(), connect(t, dsn), loc, objs))
			s, err := Open(context.Background(), Options{DSN: dsn, Location: loc})
			require.NoError(t, err)
			entries, errs := readAll(t, s)
			require.NoError(t, s.Close())
			require.Empty(t, errs)
			require.Len(t, entries, len(round))
			for pid, p := range round {
				require.Equal(t, string(files[p]), string(entries[pid].Sysmeta), "%s (%s)", p, loc)
			}
		}
	}
}

// TestGeneratedDocumentsThroughTheDatabase sends documents that vary every field the tables
// hold (metacattest.Generate) through the rows and the source, in a zone with daylight saving
// time, with a batch small enough that pids and their side rows straddle fetches: each must
// come back exactly as the encoder writes it.
func TestGeneratedDocumentsThroughTheDatabase(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	dsn := pgtest.DB(t, pgtest.SchemaPath())
	const n = 700
	var objs []metacattest.Object
	want := map[string][]byte{}
	for i := range n {
		d := metacattest.Generate(i)
		b, err := d.Encode()
		require.NoError(t, err)
		want[d.Identifier] = b
		objs = append(objs, metacattest.Object{Doc: d})
	}
	require.NoError(t, metacattest.Insert(context.Background(), connect(t, dsn), la, objs))
	s, err := Open(context.Background(), Options{DSN: dsn, Location: la, Batch: 7})
	require.NoError(t, err)
	defer s.Close()
	entries, errs := readAll(t, s)
	require.Empty(t, errs)
	require.Len(t, entries, n)
	for pid, b := range want {
		require.Equal(t, string(b), string(entries[pid].Sysmeta), pid)
	}
}

// TestPassEqualsMetacatsPerPIDQueries: the pass gives every pid the bytes Metacat's own
// per-pid queries (no ORDER BY) give it, after rows were updated (in place, so that a row's
// physical position and its index entry disagree), deleted and added again. Metacat's access
// query reads xml_access through its index on guid, as the planner does for a table of any
// real size (held to it here, the test tables being small); without that index both read the
// table in physical order.
func TestPassEqualsMetacatsPerPIDQueries(t *testing.T) {
	for _, index := range []bool{true, false} {
		r := newRepo(t, 0)
		r.exec(t, `ALTER TABLE xml_access SET (fillfactor = 50)`) // room for updates in place
		r.add(t, 0, 200)
		r.exec(t, `UPDATE xml_access SET permission = 6 WHERE principal_name = 'public' AND guid IN (SELECT guid FROM systemmetadata WHERE guid LIKE '%3')`)
		r.exec(t, `DELETE FROM smmediatypeproperties WHERE name = 'header'`)
		r.exec(t, `INSERT INTO smmediatypeproperties (guid, name, value) SELECT guid, 'header', 'present' FROM systemmetadata WHERE media_type IS NOT NULL`)
		r.exec(t, `UPDATE smreplicationpolicy SET policy_id = 1000 - policy_id WHERE policy = 'preferred'`)
		r.exec(t, `UPDATE smreplicationstatus SET member_node = member_node || '.moved' WHERE status = 'COMPLETED'`)
		conn := connect(t, r.dsn)
		if index {
			r.exec(t, `ANALYZE`)
			_, err := conn.Exec(context.Background(), `SET enable_seqscan = off`)
			require.NoError(t, err)
		} else {
			r.exec(t, `DROP INDEX xml_access_idx6`)
		}
		s := r.open(t, Options{Batch: 9})
		entries, errs := readAll(t, s)
		require.NoError(t, s.Close())
		require.Empty(t, errs)
		assert.Equal(t, index, s.Stats().AccessIndexOrder)
		moved := 0
		for i := range 200 {
			one, err := BuildOne(context.Background(), conn, pid(i), time.UTC)
			require.NoError(t, err)
			require.Equal(t, string(one), string(entries[pid(i)].Sysmeta), "%s (index %v)", pid(i), index)
			if strings.Index(string(one), "<subject>public</subject>") > strings.Index(string(one), "<subject>uid=") &&
				strings.Contains(string(one), "<subject>uid=") {
				moved++
			}
		}
		if index {
			assert.Zero(t, moved, "in index order, an updated rule keeps its place")
		} else {
			assert.Positive(t, moved, "in physical order, an updated rule moves to the end")
		}
		_, err := BuildOne(context.Background(), conn, "nobody", time.UTC)
		require.ErrorIs(t, err, ErrNoSystemMetadata)
	}
}
