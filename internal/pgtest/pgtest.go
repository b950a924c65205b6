// Package pgtest gives tests a fresh PostgreSQL database of their own, optionally loaded with
// the Metacat-shaped schema and the rows of the sample repository (testdata/metacat/db).
//
// The server is the one named by $HASHSTORE_TEST_PG (default DefaultDSN). Each call of DB
// creates a database with a name no other call uses, so tests may run in parallel, and drops
// it when the test ends. When the server cannot be reached the test is skipped, so that the
// suite still runs on a machine without PostgreSQL; set HASHSTORE_REQUIRE_PG=1 where a skip
// would hide a broken setup (CI with a database), and the test fails instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// EnvDSN names the environment variable holding the DSN of the server's maintenance
	// database (a PostgreSQL URL or key=value string); its user must be allowed to create
	// and drop databases.
	EnvDSN = "HASHSTORE_TEST_PG"
	// EnvRequire names the environment variable that, set to "1", turns the skip for an
	// unreachable server into a test failure.
	EnvRequire = "HASHSTORE_REQUIRE_PG"
	// DefaultDSN is used when EnvDSN is unset or empty: the local server, user postgres.
	DefaultDSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable"
)

// setupTimeout bounds connecting, creating the database and applying the SQL files; connecting
// alone gives up sooner (connectTimeout) so that an unreachable server is noticed quickly.
const (
	setupTimeout   = 2 * time.Minute
	connectTimeout = 10 * time.Second
)

// dbSeq numbers the databases of this process; with the process id and a random suffix it
// makes names unique across parallel tests and concurrent test binaries.
var dbSeq atomic.Int64

// DB creates an empty database on the test server, applies sqlFiles to it in order (each one as
// a single multi-statement script, see applyFile), and returns the database's DSN: the server
// DSN with the database name replaced. The database, and any connection still open to it, is
// dropped when t's test ends. If the server cannot be reached, DB skips t (or fails it, when
// HASHSTORE_REQUIRE_PG=1) with one line saying why; any later error fails t.
func DB(t testing.TB, sqlFiles ...string) string {
	t.Helper()
	server := serverDSN()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin, err := connect(ctx, server)
	if err != nil {
		unreachable(t, server, err)
		return ""
	}
	defer admin.Close(ctx)

	name := newName()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, server, name) })

	dsn := withDatabase(server, name)
	conn, err := connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect to new database %s: %v", name, err)
	}
	defer conn.Close(ctx)
	for _, f := range sqlFiles {
		if err := applyFile(ctx, conn, f); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	return dsn
}

// SampleDB is DB with the schema and the sample repository's rows applied: a Metacat 3.1+
// database holding testdata/metacat.
func SampleDB(t testing.TB) string {
	t.Helper()
	return DB(t, SchemaPath(), SamplePath())
}

// serverDSN is $HASHSTORE_TEST_PG, or DefaultDSN when that is unset or empty.
func serverDSN() string {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// connect opens one connection, giving up after connectTimeout unless dsn sets its own
// connect_timeout.
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// unreachable skips t, or fails it when HASHSTORE_REQUIRE_PG=1, saying on one line which
// server could not be reached and why. It names the server by host, port and user only: the
// DSN may hold a password.
func unreachable(t testing.TB, server string, err error) {
	t.Helper()
	where := "an unparsable DSN"
	if cfg, perr := pgx.ParseConfig(server); perr == nil {
		where = fmt.Sprintf("%s:%d as %s", cfg.Host, cfg.Port, cfg.User)
	}
	msg := strings.Join(strings.Fields(fmt.Sprintf("pgtest: no PostgreSQL at %s (from $%s): %v", where, EnvDSN, err)), " ")
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s; $%s=1 requires one", msg, EnvRequire)
	}
	t.Skipf("%s; set $%s=1 to fail instead", msg, EnvRequire)
}

// newName returns a database name (a plain lower-case identifier, no quoting needed) that no
// other call, in this process or another, returns.
func newName() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails
	return "hashstore_test_" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatInt(dbSeq.Add(1), 10) + "_" + hex.EncodeToString(b[:])
}

// drop removes database name, terminating the connections a test left open to it (WITH FORCE).
// A failure is reported on t, since it leaves a database behind on the server.
func drop(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := connect(ctx, server)
	if err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}
