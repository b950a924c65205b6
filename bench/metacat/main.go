// Command metacat makes and measures the inputs of the Metacat database benchmarks (issue 13;
// bench/metacat.sh runs them):
//
//	metacat gen -db NAME -n N [-files DIR]    a Metacat database of N generated pids (and, with
//	                                          -files, their files, sysmeta files and a manifest)
//	metacat read -db NAME [-naive M]          reads and builds every pid's sysmeta with the
//	                                          metacat source, then M pids with Metacat's per-pid
//	                                          queries; prints both rates and the peak RSS
//	metacat mutate -db NAME -files DIR -n N   changes 1% of the pids: new, modified (half of
//	                                          them without touching date_modified), deleted
//	metacat compare STORE STORE               exits 1 unless both stores hold the same files
//
// The server is $HASHSTORE_TEST_PG (default the local PostgreSQL as postgres); -db names a
// database on it.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hashstore-go/hashstore/converter/metacat"
	"github.com/hashstore-go/hashstore/converter/metacat/metacattest"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: metacat gen|read|mutate|compare ARGS"))
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	case "mutate":
		err = mutate(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "metacat bench:", err)
	os.Exit(1)
}

// server is the maintenance DSN of the test server.
func server() string {
	if dsn := os.Getenv("HASHSTORE_TEST_PG"); dsn != "" {
		return dsn
	}
	return "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable"
}

// dsnOf is the DSN of database name on the test server.
func dsnOf(name string) string { return server() + " dbname=" + name }

// docID is the local document of generated pid i.
func docID(i int) string { return fmt.Sprintf("autogen.%08d", i) }

func gen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ExitOnError)
	db := fl.String("db", "", "database to (re)create")
	n := fl.Int("n", 200000, "pids")
	files := fl.String("files", "", "also write the data files, sysmeta files and manifest.csv under this directory")
	fl.Parse(args)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+*db+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+*db+" TEMPLATE template0"); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsnOf(*db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	schema, err := os.ReadFile(filepath.Join("testdata", "metacat", "db", "schema.sql"))
	if err != nil {
		return err
	}
	if err := conn.PgConn().Exec(ctx, string(schema)).Close(); err != nil {
		return err
	}
	var manifest *csv.Writer
	if *files != "" {
		for _, d := range []string{"documents", "data", "sysmeta"} {
			if err := os.MkdirAll(filepath.Join(*files, d), 0o755); err != nil {
				return err
			}
		}
		f, err := os.Create(filepath.Join(*files, "manifest.csv"))
		if err != nil {
			return err
		}
		defer f.Close()
		manifest = csv.NewWriter(f)
		manifest.Write([]string{"pid", "path", "sysmeta"})
		defer manifest.Flush()
	}
	if err := insert(ctx, conn, 0, *n, *files, manifest); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ANALYZE")
	return err
}

// insert writes generated pids from to to-1 in chunks, with their files under dir (if set).
func insert(ctx context.Context, conn *pgx.Conn, from, to int, dir string, manifest *csv.Writer) error {
	const chunk = 10000
	for lo := from; lo < to; lo += chunk {
		var objs []metacattest.Object
		for i := lo; i < min(lo+chunk, to); i++ {
			d := metacattest.Generate(i)
			objs = append(objs, metacattest.Object{Doc: d, DocID: docID(i), Rev: 1})
			if dir == "" {
				continue
			}
			sub := "data"
			if i%5 == 0 {
				sub = "documents"
			}
			path := filepath.Join(dir, sub, docID(i)+".1")
			if err := os.WriteFile(path, metacattest.Data(i), 0o644); err != nil {
				return err
			}
			sm, err := d.Encode()
			if err != nil {
				return err
			}
			smPath := filepath.Join(dir, "sysmeta", docID(i)+".1.xml")
			if err := os.WriteFile(smPath, sm, 0o644); err != nil {
				return err
			}
			if manifest != nil {
				manifest.Write([]string{d.Identifier, path, smPath})
			}
		}
		if err := metacattest.Insert(ctx, conn, time.UTC, objs); err != nil {
			return err
		}
	}
	return nil
}

// peakRSS is the process's peak resident set size in KiB (VmHWM).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "VmHWM:"), "kB"))
		}
	}
	return "?"
}

func read(args []string) error {
	fl := flag.NewFlagSet("read", flag.ExitOnError)
	db := fl.String("db", "", "database")
	naive := fl.Int("naive", 5000, "pids read with Metacat's per-pid queries (0: none)")
	profile := fl.String("cpuprofile", "", "write a CPU profile of the source's pass to this file")
	batch := fl.Int("batch", 0, "rows per fetch (0: the source's default)")
	fl.Parse(args)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	ctx := context.Background()
	start := time.Now()
	src, err := metacat.Open(ctx, metacat.Options{DSN: dsnOf(*db), Location: time.UTC, DocumentsDir: "/nonexistent", DataDir: "/nonexistent", Batch: *batch})
	if err != nil {
		return err
	}
	n, bytes := 0, 0
	for {
		e, err := src.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
		bytes += len(e.Sysmeta)
	}
	src.Close()
	elapsed := time.Since(start)
	pprof.StopCPUProfile()
	if !src.Stats().AccessIndexOrder {
		return fmt.Errorf("the access rules were not read in index order")
	}
	rss := peakRSS()
	fmt.Printf("source %d %.3f %s %d\n", n, elapsed.Seconds(), rss, bytes)
	if *naive == 0 {
		return nil
	}
	conn, err := pgx.Connect(ctx, dsnOf(*db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// Metacat's candidate list, then one pid after another.
	start = time.Now()
	rows, err := conn.Query(ctx, "SELECT guid FROM systemmetadata LIMIT $1", *naive)
	if err != nil {
		return err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if _, err := metacat.BuildOne(ctx, conn, pid, time.UTC); err != nil {
			return err
		}
	}
	fmt.Printf("perpid %d %.3f\n", len(pids), time.Since(start).Seconds())
	return nil
}

func mutate(args []string) error {
	fl := flag.NewFlagSet("mutate", flag.ExitOnError)
	db := fl.String("db", "", "database")
	files := fl.String("files", "", "the files' directory (as gen -files)")
	n := fl.Int("n", 20000, "pids gen made")
	fl.Parse(args)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsnOf(*db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	k := max(*n/300, 1) // a third of 1% each: new, modified, deleted
	if err := insert(ctx, conn, *n, *n+k, *files, nil); err != nil {
		return err
	}
	pid := func(i int) string { return metacattest.Generate(i).Identifier }
	for j := range k {
		i := 7 + 97*j%(*n-10)
		sql := `UPDATE systemmetadata SET rights_holder = 'CN=new owner', date_modified = date_modified + interval '1 day' WHERE guid = $1`
		if j%2 == 1 { // a change Metacat makes without touching date_modified
			sql = `UPDATE systemmetadata SET archived = NOT coalesce(archived, false) WHERE guid = $1`
		}
		if _, err := conn.Exec(ctx, sql, pid(i)); err != nil {
			return err
		}
	}
	for j := range k {
		i := 11 + 89*j%(*n-20)
		for _, table := range []string{"xml_access", "smreplicationpolicy", "smreplicationstatus", "smmediatypeproperties", "systemmetadata", "identifier"} {
			if _, err := conn.Exec(ctx, "DELETE FROM "+table+" WHERE guid = $1", pid(i)); err != nil {
				return err
			}
		}
		if _, err := conn.Exec(ctx, "DELETE FROM xml_documents WHERE docid = $1", docID(i)); err != nil {
			return err
		}
	}
	fmt.Printf("mutate %d new %d modified %d deleted\n", k, k, k)
	return nil
}

// storeFiles maps every file of a store, but lock and temp files, to its content; cid refs
// lines are sorted.
func storeFiles(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == "locks" || d.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(filepath.ToSlash(rel), "refs/cids/") {
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			sort.Strings(lines)
			b = []byte(strings.Join(lines, "\n"))
		}
		out[rel] = b
		return nil
	})
	return out, err
}

func compare(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: compare STORE STORE")
	}
	a, err := storeFiles(args[0])
	if err != nil {
		return err
	}
	b, err := storeFiles(args[1])
	if err != nil {
		return err
	}
	diff := 0
	for p, x := range a {
		if y, ok := b[p]; !ok || !bytes.Equal(x, y) {
			diff++
			if diff <= 5 {
				fmt.Fprintln(os.Stderr, "differs or only in the first:", p)
			}
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diff++
			if diff <= 5 {
				fmt.Fprintln(os.Stderr, "only in the second:", p)
			}
		}
	}
	if diff > 0 {
		return fmt.Errorf("%d files differ", diff)
	}
	fmt.Printf("same %d files\n", len(a))
	return nil
}
