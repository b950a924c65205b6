package cli

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/atomicfile"
)

// The semantics of -o FILE (get and metadata get): FILE appears whole or not at all, through a
// temp file of its own beside it, and nothing that stands at a name beside FILE is followed
// or overwritten.

// outputCommands are the two commands that write to -o FILE, with what they write for the
// jtao.1700.1 vector.
func outputCommands(t *testing.T, dir string) []struct {
	name string
	args []string
	want []byte
} {
	storeJtao(t, dir, jtaoPID)
	ok(t, nil, "--store", dir, "metadata", "put", "--pid", jtaoPID, jtaoSysFile)
	return []struct {
		name string
		args []string
		want []byte
	}{
		{"get", []string{"--store", dir, "get", "--pid", jtaoPID}, readFile(t, jtaoFile)},
		{"metadata get", []string{"--store", dir, "metadata", "get", "--pid", jtaoPID}, readFile(t, jtaoSysFile)},
	}
}

// leftovers lists the temp files the commands would leave beside FILE.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// FILE's old fixed temp name, FILE.tmp, is no longer used: a link or a file there is left
// alone. A link at FILE itself is replaced by the file, never written through, as mv would.
func TestOutputNeverFollowsWhatStandsBesideFile(t *testing.T) {
	for _, c := range outputCommands(t, newStore(t)) {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			victim := filepath.Join(dir, "victim")
			require.NoError(t, os.WriteFile(victim, []byte("victim\n"), 0o644))
			require.NoError(t, os.Symlink(victim, out+".tmp"))
			ok(t, nil, append(c.args, "-o", out)...)
			assert.Equal(t, c.want, readFile(t, out))
			assert.Equal(t, "victim\n", string(readFile(t, victim)))

			require.NoError(t, os.Remove(out))
			require.NoError(t, os.Symlink(victim, out))
			ok(t, nil, append(c.args, "-o", out)...)
			fi, err := os.Lstat(out)
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular(), "the link at FILE is replaced")
			assert.Equal(t, c.want, readFile(t, out))
			assert.Equal(t, "victim\n", string(readFile(t, victim)))
			assert.Empty(t, leftovers(t, dir))
		})
	}
}

// A failed command leaves FILE as it was and no temp file: a corrupt object with --verify,
// a pid that does not exist, and a FILE that is a directory.
func TestOutputFailureLeavesFileAsItWas(t *testing.T) {
	dir := newStore(t)
	outputCommands(t, dir)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "out")
	require.NoError(t, os.WriteFile(out, []byte("before\n"), 0o644))

	fails(t, 1, "not_found", nil, "--store", dir, "get", "--pid", "no.such.pid", "-o", out)
	fails(t, 1, "not_found", nil, "--store", dir, "metadata", "get", "--pid", "no.such.pid", "-o", out)
	require.NoError(t, os.WriteFile(filepath.Join(dir, jtaoObject), bytes.Repeat([]byte("x"), jtaoSize), 0o644))
	fails(t, 1, "corrupt", nil, "--store", dir, "get", "--pid", jtaoPID, "--verify", "-o", out)
	assert.Equal(t, "before\n", string(readFile(t, out)))
	assert.Empty(t, leftovers(t, outDir))

	sub := filepath.Join(outDir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	doc := fails(t, 1, "invalid_argument", nil, "--store", dir, "metadata", "get", "--pid", jtaoPID, "-o", sub)
	assert.Contains(t, doc["error"].(map[string]any)["message"], "is a directory")
	requireEmptyDir(t, sub)
}

// FILE is created as the shell would create it: mode 0666 less the umask.
func TestOutputMode(t *testing.T) {
	umask, known := atomicfile.Umask()
	if !known {
		t.Skip("the umask cannot be read here")
	}
	for _, c := range outputCommands(t, newStore(t)) {
		out := filepath.Join(t.TempDir(), "out")
		ok(t, nil, append(c.args, "-o", out)...)
		fi, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o666)&^umask, fi.Mode().Perm(), c.name)
	}
}

// Of many commands writing one FILE at once, each through a temp file of its own, FILE ends
// as the complete output of one of them, and no temp file is left.
func TestOutputConcurrentWritersLeaveOneCompleteFile(t *testing.T) {
	dir := newStore(t)
	cmds := outputCommands(t, dir)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "out")
	var wg sync.WaitGroup
	codes := make([]int, 16)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cmds[i%2]
			var stdout, stderr bytes.Buffer
			codes[i] = Run(context.Background(), append(c.args, "-o", out), strings.NewReader(""), &stdout, &stderr)
		}()
	}
	wg.Wait()
	for i, code := range codes {
		assert.Equal(t, 0, code, "writer %d", i)
	}
	got := readFile(t, out)
	assert.True(t, bytes.Equal(got, cmds[0].want) || bytes.Equal(got, cmds[1].want), "FILE is one whole output (%d bytes)", len(got))
	assert.Empty(t, leftovers(t, outDir))
}
