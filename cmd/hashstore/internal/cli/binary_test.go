package cli

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
)

// TestBinary builds the real program and runs it as operators do, to prove that main wires
// Main to the process: arguments, streams, exit statuses and signals.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "hashstore")
	build := exec.Command("go", "build", "-o", bin, "github.com/hashstore-go/hashstore/cmd/hashstore")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	dir := filepath.Join(tmp, "store")
	hs := func(stdin io.Reader, args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), StoreEnv+"="+dir)
		cmd.Stdin = stdin
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

	code, stdout, stderr := hs(nil, "init", "--json", "-q")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, true, decode[map[string]any](t, stdout)["created"])

	data := readFile(t, jtaoFile)
	code, stdout, stderr = hs(bytes.NewReader(data), "store", "--pid", jtaoPID, "--checksum", jtaoMD5, "--checksum-algorithm", "MD5", "-")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, hashstore.ObjectMetadata{PID: jtaoPID, CID: jtaoCID, Size: jtaoSize, HexDigests: jtaoDigests},
		decode[hashstore.ObjectMetadata](t, stdout))

	code, stdout, stderr = hs(nil, "get", "--pid", jtaoPID, "--verify")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, string(data), stdout)

	code, stdout, stderr = hs(nil, "get", "--pid", "no.such.pid", "--json")
	require.Equal(t, 1, code)
	require.Equal(t, `{"error":{"kind":"not_found","message":"hashstore: retrieve object \"no.such.pid\": not found: no pid refs file"}}`+"\n", stdout)
	require.Contains(t, stderr, "no.such.pid")

	code, _, stderr = hs(nil, "get", "--pid", jtaoPID, "--no-such-flag")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "unknown flag: --no-such-flag")

	t.Run("interrupt", func(t *testing.T) {
		// store - from a pipe that never ends: SIGINT must stop it, exit 1, leave no temp file.
		cmd := exec.Command(bin, "--store", dir, "store", "--pid", "interrupted", "-")
		pw, err := cmd.StdinPipe()
		require.NoError(t, err)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		defer pw.Close()
		_, err = pw.Write(bytes.Repeat([]byte("x"), 3<<20)) // more than one chunk: a temp file exists
		require.NoError(t, err)
		tmpDir := filepath.Join(dir, "objects", "tmp")
		require.Eventually(t, func() bool {
			entries, _ := os.ReadDir(tmpDir)
			return len(entries) > 0
		}, 10*time.Second, 10*time.Millisecond, "the store writes a temp file")
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		err = cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		require.Equal(t, 1, ee.ExitCode(), stderr.String())
		require.True(t, strings.Contains(stderr.String(), `store object "interrupted"`), stderr.String())
		requireEmptyDir(t, tmpDir)
		code, _, _ := hs(nil, "find", "--pid", "interrupted")
		require.Equal(t, 1, code)
	})
}
