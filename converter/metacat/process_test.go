package metacat

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/pgtest"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// TestMain removes the command built for the process tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the hashstore command once per test process.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		var err error
		if binDir, err = os.MkdirTemp("", "hashstore-metacat-test"); err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(binDir, "hashstore")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/hashstore-go/hashstore/cmd/hashstore").CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	require.NoError(t, binErr)
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// hs runs the command with env added to the environment; it returns the exit code, stdout
// and stderr.
func hs(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, isExit := err.(*exec.ExitError); isExit {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// convertArgs is a convert --metacat of the repository into store, with its outputs in dir.
func (r *repo) convertArgs(store, dir string, more ...string) []string {
	return append([]string{"--store", store, "--no-sync", "-q", "convert", "--metacat", r.dsn, "--documents-dir", r.docs,
		"--data-dir", r.data, "--metacat-timezone", "UTC", "--workers", "2", "--journal", filepath.Join(dir, "metacat.journal"),
		"--report-dir", filepath.Join(dir, "reports"), "--checksums-out", filepath.Join(dir, "checksums.csv")}, more...)
}

// reportsByClass maps each report of dir to its content, by class (the time in the name left
// out, since it is when each journal started).
func reportsByClass(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, content := range dirFiles(t, dir) {
		class, _, _ := strings.Cut(name, "_")
		out[class] = content
	}
	return out
}

// TestKillAndResume kills a real conversion process twice in the middle of its pass (SIGKILL:
// no cleanup) and runs it again: the store, the journal, the reports and the checksums CSV
// end up as those of a pass that was never interrupted.
func TestKillAndResume(t *testing.T) {
	r := newRepo(t, 4000)
	r.addLocalDocs(t, 2)
	r.exec(t, `UPDATE systemmetadata SET checksum = 'bad' WHERE guid = $1`, pid(11))
	r.exec(t, `UPDATE systemmetadata SET size = 'x' WHERE guid = $1`, pid(12))

	cleanDir, dir := t.TempDir(), t.TempDir()
	clean, store := filepath.Join(cleanDir, "store"), filepath.Join(dir, "store")
	for _, s := range []string{clean, store} {
		code, _, stderr := hs(t, nil, "--store", s, "-q", "init")
		require.Equal(t, 0, code, stderr)
	}
	code, _, stderr := hs(t, nil, r.convertArgs(clean, cleanDir)...)
	require.Equal(t, 1, code, stderr)

	journal := filepath.Join(dir, "metacat.journal")
	kills := 0
	for _, atLeast := range []int{2, 1500} {
		cmd := exec.Command(binary(t), r.convertArgs(store, dir)...)
		require.NoError(t, cmd.Start())
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			b, _ := os.ReadFile(journal)
			if bytes.Count(b, []byte("\n")) >= atLeast {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
			kills++
		}
	}
	require.Equal(t, 2, kills, "both runs were killed before they finished")
	b, err := os.ReadFile(journal)
	require.NoError(t, err)
	require.NotContains(t, string(b[:bytes.IndexByte(b, '\n')]), `"records"`, "the journal was never compacted")

	code, _, stderr = hs(t, nil, r.convertArgs(store, dir)...)
	require.Equal(t, 1, code, stderr)
	assert.Equal(t, storeFiles(t, clean), storeFiles(t, store))
	assert.Equal(t, journalRecords(t, filepath.Join(cleanDir, "metacat.journal"))[1:], journalRecords(t, journal)[1:])
	assert.Equal(t, reportsByClass(t, filepath.Join(cleanDir, "reports")), reportsByClass(t, filepath.Join(dir, "reports")))
	assert.Equal(t, dirFiles(t, cleanDir)["checksums.csv"], dirFiles(t, dir)["checksums.csv"])
	assert.Len(t, reportsByClass(t, filepath.Join(dir, "reports")), 4, "nonMatchingChecksum, invalidSysmeta, noIdentifierRow, noSystemMetadata")
}

// TestCommandLine checks what the command refuses and says: flags that need --metacat or each
// other, a sweep without a complete pass, a second pass that is not a sweep, an unreachable
// database, --checksums-to-db on a database before Metacat 3.1 (refused before anything is
// stored), and a shard taken from $JOB_COMPLETION_INDEX.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	code, _, stderr := hs(t, nil, "--store", store, "-q", "init")
	require.Equal(t, 0, code, stderr)
	r := &repo{dsn: pgtest.SampleDB(t), docs: filepath.Join(pgtest.SampleDir(), "documents"), data: filepath.Join(pgtest.SampleDir(), "data")}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"convert", "--sweep", "--manifest", "m.csv"}, "--sweep needs --metacat"},
		{[]string{"convert", "--metacat", r.dsn, "--manifest", "m.csv"}, "exclude each other"},
		{r.convertArgs(store, dir, "--delete-gone")[3:], "--delete-gone needs --sweep"},
		{r.convertArgs(store, dir, "--apply-checksum-fixes")[3:], "--apply-checksum-fixes needs --on-checksum-mismatch correct"},
		{r.convertArgs(store, dir, "--on-checksum-mismatch", "fix")[3:], `"fix": want report or correct`},
		{r.convertArgs(store, dir, "--metacat-timezone", "Mars/Olympus")[3:], "--metacat-timezone"},
		{r.convertArgs(store, dir, "--shard-count", "2")[3:], "JOB_COMPLETION_INDEX"},
		{r.convertArgs(store, dir, "--sweep")[3:], "holds no complete pass"},
	} {
		code, _, stderr := hs(t, nil, append([]string{"--store", store}, c.args...)...)
		assert.Equal(t, 2, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}

	code, _, stderr = hs(t, nil, "--store", store, "convert", "--metacat", "host=127.0.0.1 port=1 user=postgres dbname=nowhere connect_timeout=5")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "postgres://postgres@127.0.0.1:1/nowhere: cannot connect")

	pre := &repo{dsn: pgtest.DB(t, pgtest.SchemaPath(), pgtest.SamplePath(), pgtest.Pre31Path()), docs: r.docs, data: r.data}
	preDir := t.TempDir()
	code, _, stderr = hs(t, nil, pre.convertArgs(store, preDir, "--checksums-to-db")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--checksums-to-db: the database has no checksums table (Metacat's 3.1 upgrade has not run on it) (schema version 3.0.0)")
	objects, err := filepath.Glob(filepath.Join(store, "objects", "??"))
	require.NoError(t, err)
	assert.Empty(t, objects, "nothing stored")
	_, err = os.Stat(filepath.Join(preDir, "metacat.journal"))
	assert.True(t, os.IsNotExist(err), "no journal either")

	shardDir := t.TempDir()
	code, stdout, stderr := hs(t, []string{"JOB_COMPLETION_INDEX=1"}, append(r.convertArgs(store, shardDir, "--shard-count", "2"), "--summary", filepath.Join(shardDir, "summary.json"))...)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "(shard 1/2)")
	_, err = os.Stat(filepath.Join(shardDir, "metacat.shard-1-of-2.journal"))
	assert.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(shardDir, "summary.shard-1-of-2.json"))
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`"t0": "\d{4}-\d\d-\d\dT`), string(sum), "the summary carries T0")

	// An empty DSN takes the connection from libpq's variables.
	cfg, err := pgx.ParseConfig(r.dsn)
	require.NoError(t, err)
	env := []string{"PGHOST=" + cfg.Host, "PGPORT=" + strconv.Itoa(int(cfg.Port)), "PGUSER=" + cfg.User, "PGDATABASE=" + cfg.Database}
	envDir := t.TempDir()
	args := r.convertArgs(store, envDir)
	args[slices.Index(args, r.dsn)] = ""
	code, stdout, stderr = hs(t, env, args...)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "33 objects, 23 succeeded, 10 failed")

	code, _, stderr = hs(t, []string{"JOB_COMPLETION_INDEX=1"}, r.convertArgs(store, shardDir, "--shard-count", "2")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "already holds a complete pass")
	code, stdout, stderr = hs(t, []string{"JOB_COMPLETION_INDEX=1"}, r.convertArgs(store, shardDir, "--shard-count", "2", "--sweep", "--checksums-to-db")...)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "swept since")
	var rows int64
	require.NoError(t, connect(t, r.dsn).QueryRow(context.Background(), `SELECT count(*) FROM checksums`).Scan(&rows))
	assert.Positive(t, rows, "the sweep loaded the shard's checksums")
}
