package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// The jtao.1700.1 vector (testdata/VECTORS.md).
const (
	jtaoPID     = "jtao.1700.1"
	jtaoCID     = "94f9b6c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a"
	jtaoMD5     = "f4ea2d07db950873462a064937197b0f"
	jtaoSize    = 8724
	jtaoPIDRef  = "refs/pids/a8/24/19/25740d5dcd719596639e780e0a090c9d55a5d0372b0eaf55ed711d4edf"
	jtaoObject  = "objects/94/f9/b6/c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a"
	jtaoCIDRef  = "refs/cids/94/f9/b6/c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a"
	jtaoSysmeta = "metadata/a8/24/19/25740d5dcd719596639e780e0a090c9d55a5d0372b0eaf55ed711d4edf/" +
		"f587743a35524714c396791efb6b5136db110ff5465b52fd1d28825122406448"
)

// jtaoDigests are the five default digests of jtao.1700.1.
var jtaoDigests = map[hashstore.Algorithm]string{
	"MD5":     jtaoMD5,
	"SHA-1":   "3d25436c4490b08a2646e283dada5c60e5c0539d",
	"SHA-256": jtaoCID,
	"SHA-384": "a204678330fcdc04980c9327d4e5daf01ab7541e8a351d49a7e9c5005439dce749ada39c4c35f573dd7d307cca11bea8",
	"SHA-512": "bf9e7f4d4e66bd082817d87659d1d57c2220c376cd032ed97cadd481cf40d78dd479cbed14d34d98bae8cebc603b40c633d088751f07155a94468aa59e2ad109",
}

var (
	jtaoFile    = filepath.Join("testdata", "jtao.1700.1")
	jtaoSysFile = filepath.Join("testdata", "jtao.1700.1.xml")
)

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// run calls Main in-process with args and stdin (nil: empty).
func run(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := Main(args, stdin, &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// ok runs the command and requires exit status 0.
func ok(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	r := run(t, stdin, args...)
	require.Equal(t, ExitOK, r.code, "hashstore %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r
}

// fails runs the command with --json and requires exit status code and the error kind; it
// returns the whole JSON document printed on stdout.
func fails(t *testing.T, code int, kind string, stdin io.Reader, args ...string) map[string]any {
	t.Helper()
	r := run(t, stdin, append([]string{"--json"}, args...)...)
	require.Equal(t, code, r.code, "hashstore %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	require.True(t, strings.HasSuffix(r.stdout, "\n"), "stdout ends with a newline: %q", r.stdout)
	require.Equal(t, 1, strings.Count(r.stdout, "\n"), "one line of JSON: %q", r.stdout)
	doc := decode[map[string]any](t, r.stdout)
	e, isMap := doc["error"].(map[string]any)
	require.True(t, isMap, "error member in %s", r.stdout)
	require.Equal(t, kind, e["kind"], "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	msg, _ := e["message"].(string)
	require.NotEmpty(t, msg)
	require.Len(t, e, 2, "error has kind and message only")
	require.True(t, strings.HasPrefix(r.stderr, msg+"\n"), "stderr %q starts with the message %q", r.stderr, msg)
	return doc
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(s), &v), "JSON: %q", s)
	return v
}

// newStore creates a default store in a fresh temp dir and returns its root.
func newStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	ok(t, nil, "--store", dir, "-q", "init")
	return dir
}

// storeJtao stores the jtao.1700.1 vector under pid.
func storeJtao(t *testing.T, dir, pid string) hashstore.ObjectMetadata {
	t.Helper()
	r := ok(t, nil, "--store", dir, "store", "--pid", pid, jtaoFile)
	return decode[hashstore.ObjectMetadata](t, r.stdout)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func requireMissing(t *testing.T, path string) {
	t.Helper()
	_, err := os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "%s should not exist", path)
}

func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "%s should be empty", dir)
}
