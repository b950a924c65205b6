package pgtest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// open connects to dsn for the rest of the test.
func open(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := connect(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// databaseExists reports whether the test server has a database called name.
func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	require.NoError(t, open(t, serverDSN()).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	return n == 1
}

func databaseOf(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	return cfg.Database
}

func TestDBIsFreshAndDroppedAtCleanup(t *testing.T) {
	var dsn string
	var leftover *pgx.Conn
	t.Run("use", func(t *testing.T) {
		dsn = DB(t)
		name := databaseOf(t, dsn)
		require.True(t, strings.HasPrefix(name, "hashstore_test_"), name)
		require.True(t, databaseExists(t, name))
		// A connection the test forgets to close must not stop the drop.
		var err error
		leftover, err = connect(context.Background(), dsn)
		require.NoError(t, err)
		var tables int
		require.NoError(t, leftover.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables))
		require.Zero(t, tables, "a new database has no tables")
	})
	if dsn == "" {
		t.Skip("no PostgreSQL (see the subtest)")
	}
	assert.False(t, databaseExists(t, databaseOf(t, dsn)), "dropped when the subtest ended")
	assert.Error(t, leftover.Ping(context.Background()), "the leftover connection was terminated")
}

func TestDBGivesEachCallItsOwnDatabase(t *testing.T) {
	t.Parallel()
	a, b := DB(t), DB(t)
	require.NotEqual(t, databaseOf(t, a), databaseOf(t, b))
	_, err := open(t, a).Exec(context.Background(), "CREATE TABLE only_in_a (x int)")
	require.NoError(t, err)
	var reg *string
	require.NoError(t, open(t, b).QueryRow(context.Background(), "SELECT to_regclass('only_in_a')::text").Scan(&reg))
	assert.Nil(t, reg)
}

func TestDBAppliesFilesInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, second := filepath.Join(dir, "1.sql"), filepath.Join(dir, "2.sql")
	require.NoError(t, os.WriteFile(first, []byte("CREATE TABLE t (n int);\nINSERT INTO t VALUES (1);\n"), 0o644))
	require.NoError(t, os.WriteFile(second, []byte("INSERT INTO t SELECT n + 1 FROM t;\nINSERT INTO t VALUES (10);"), 0o644))
	var ns []int
	rows, err := open(t, DB(t, first, second)).Query(context.Background(), "SELECT n FROM t ORDER BY n")
	require.NoError(t, err)
	ns, err = pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 10}, ns)
}

func TestApplyFileReportsTheFailingLineAndRollsBack(t *testing.T) {
	t.Parallel()
	conn := open(t, DB(t))
	path := filepath.Join(t.TempDir(), "bad.sql")
	// Line 2 has 40 two-byte characters: counting bytes instead of characters would put the
	// error on line 2.
	script := "CREATE TABLE kept (n int);\n-- " + strings.Repeat("é", 40) + "\nINSERT INTO missing VALUES (1);\n"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o644))
	err := applyFile(context.Background(), conn, path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+":3: ")
	assert.Contains(t, err.Error(), `relation "missing" does not exist`)
	var reg *string
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT to_regclass('kept')::text").Scan(&reg))
	assert.Nil(t, reg, "a script without BEGIN/COMMIT runs as one transaction")

	assert.ErrorIs(t, applyFile(context.Background(), conn, filepath.Join(t.TempDir(), "none.sql")), os.ErrNotExist)
}

func TestLineAt(t *testing.T) {
	s := "ab\nçd\n\nx"
	for pos, line := range map[int]int{1: 1, 3: 1, 4: 2, 6: 2, 7: 3, 8: 4, 100: 4} {
		assert.Equal(t, line, lineAt(s, pos), "position %d", pos)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, dsn := range []string{
		DefaultDSN,
		"host=db.example port=6543 user=u password=p dbname=postgres ",
		"postgres://u:p@db.example:6543/postgres?sslmode=disable",
		"postgresql://u@db.example:6543",
	} {
		cfg, err := pgx.ParseConfig(withDatabase(dsn, "hashstore_test_x"))
		require.NoError(t, err, dsn)
		assert.Equal(t, "hashstore_test_x", cfg.Database, dsn)
		orig, err := pgx.ParseConfig(dsn)
		require.NoError(t, err)
		assert.Equal(t, [3]any{orig.Host, orig.Port, orig.User}, [3]any{cfg.Host, cfg.Port, cfg.User}, dsn)
		assert.Equal(t, orig.Password, cfg.Password, dsn)
	}
}

// TestUnreachableServer runs itself in a child process whose $HASHSTORE_TEST_PG names a closed
// port, and checks that DB skips there, or fails when $HASHSTORE_REQUIRE_PG=1.
func TestUnreachableServer(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		DB(t)
		t.Log("PGTEST_CHILD reached the database")
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	dsn := "host=127.0.0.1 port=" + strconv.Itoa(port) + " user=postgres password=secret123 dbname=postgres sslmode=disable"

	for _, tc := range []struct {
		require string
		fail    bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Run("require="+tc.require, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestUnreachableServer$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "PGTEST_CHILD=1", EnvDSN+"="+dsn, EnvRequire+"="+tc.require)
			out, err := cmd.CombinedOutput()
			text := string(out)
			assert.NotContains(t, text, "reached the database")
			assert.NotContains(t, text, "secret123", "the password stays out of the message")
			var msg string
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, "pgtest: no PostgreSQL at 127.0.0.1:"+strconv.Itoa(port)+" as postgres") {
					msg = line
				}
			}
			require.NotEmpty(t, msg, "one line names the server:\n%s", text)
			if tc.fail {
				assert.Error(t, err, text)
				assert.Contains(t, text, "--- FAIL: TestUnreachableServer")
				assert.Contains(t, msg, "$HASHSTORE_REQUIRE_PG=1 requires one")
			} else {
				assert.NoError(t, err, text)
				assert.Contains(t, text, "--- SKIP: TestUnreachableServer")
				assert.Contains(t, msg, "set $HASHSTORE_REQUIRE_PG=1 to fail instead")
			}
		})
	}
}
