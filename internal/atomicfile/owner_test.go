package atomicfile

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/faultfs"
)

func TestInUseInThisProcess(t *testing.T) {
	for name, fsys := range map[string]afero.Fs{
		"mem":     afero.NewMemMapFs(),
		"os":      afero.NewOsFs(),
		"faultfs": faultfs.New(afero.NewOsFs()),
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tmp")
			w := &Writer{Fs: fsys, FileMode: 0o664, DirMode: 0o755}
			require.NoError(t, w.MkdirAll(dir))
			tf, err := w.CreateTemp(dir)
			require.NoError(t, err)
			later := time.Now().Add(time.Hour) // past any grace period
			assert.True(t, InUse(fsys, tf.Name(), time.Minute, later), "being written")
			name := tf.Name()
			tf.Discard()
			assert.False(t, InUse(fsys, name, time.Minute, later), "discarded")

			// A leftover file nobody writes is abandoned once older than the grace period.
			left := filepath.Join(dir, TempPrefix+"leftover")
			require.NoError(t, afero.WriteFile(fsys, left, []byte("x"), 0o664))
			assert.True(t, InUse(fsys, left, time.Minute, time.Now()), "too young to judge")
			assert.False(t, InUse(fsys, left, time.Minute, later), "old and unclaimed")
		})
	}
}

// TestInUseAcrossProcesses: a child process creates a temp file and keeps writing; it is in use
// (by flock) even far past the grace period; once the child is killed it is abandoned.
func TestInUseAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTempWriter$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_HELPER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	name, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	name = name[:len(name)-1]

	fsys := afero.NewOsFs()
	later := time.Now().Add(time.Hour)
	assert.True(t, InUse(fsys, name, time.Minute, later), "the child holds its flock")

	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	_, err = os.Stat(name)
	require.NoError(t, err, "the killed writer's temp file is left behind")
	assert.False(t, InUse(fsys, name, time.Minute, later), "its flock died with it")
}

// TestHelperTempWriter is the child of TestInUseAcrossProcesses and
// TestRemoveStaleTempsKeepsAnotherProcesssTemp (which sets ATOMICFILE_HELPER_BESIDE).
func TestHelperTempWriter(t *testing.T) {
	dir := os.Getenv("ATOMICFILE_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755}
	create := func() (*Temp, error) { return w.CreateTemp(dir) }
	if final := os.Getenv("ATOMICFILE_HELPER_BESIDE"); final != "" {
		create = func() (*Temp, error) { return w.CreateTempBeside(final) }
	}
	tf, err := create()
	require.NoError(t, err)
	os.Stdout.WriteString(tf.Name() + "\n")
	for {
		tf.Write([]byte("data"))
		time.Sleep(10 * time.Millisecond)
	}
}
