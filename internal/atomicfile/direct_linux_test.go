package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/hashstore-go/hashstore/internal/align"
	"github.com/hashstore-go/hashstore/internal/safeopen"
)

// directDir returns a directory on a filesystem that takes direct writes (the system temp
// directory, or failing that the package directory), skipping the test where there is none.
func directDir(t *testing.T) string {
	t.Helper()
	for _, parent := range []string{"", "."} {
		dir, err := os.MkdirTemp(parent, "direct-test-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		f, err := os.Create(filepath.Join(dir, "probe"))
		require.NoError(t, err)
		ok := directSupported(f)
		f.Close()
		if ok {
			abs, err := filepath.Abs(dir)
			require.NoError(t, err)
			return abs
		}
	}
	t.Skip("no ext4, XFS or btrfs directory here to test direct writes on")
	return ""
}

// aligned returns n bytes of pattern in an align.Buffer.
func aligned(n int, seed byte) []byte {
	b := align.Buffer(n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// isDirect reports whether O_DIRECT is set on the temp file's descriptor right now.
func isDirect(t *testing.T, tmp *Temp) bool {
	t.Helper()
	osf, ok := safeopen.OSFile(tmp.f)
	require.True(t, ok)
	var flags int
	require.NoError(t, control(osf, func(fd int) error {
		var err error
		flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		return err
	}))
	return flags&unix.O_DIRECT != 0
}

func TestDirectWritesStartPastThresholdAndEndAtTheTail(t *testing.T) {
	dir := directDir(t)
	for name, fsys := range map[string]afero.Fs{
		"os":       afero.NewOsFs(),
		"basepath": afero.NewBasePathFs(afero.NewOsFs(), dir),
	} {
		t.Run(name, func(t *testing.T) {
			root := dir
			if name == "basepath" {
				root = "/"
			}
			root = filepath.Join(root, name)
			w := &Writer{Fs: fsys, Sync: true, FileMode: 0o664, DirMode: 0o755, DirectAfter: 2 * align.Block}
			require.NoError(t, w.MkdirAll(filepath.Join(root, "tmp")))
			tmp, err := w.CreateTemp(filepath.Join(root, "tmp"))
			require.NoError(t, err)
			defer tmp.Discard()

			var want bytes.Buffer
			write := func(p []byte) {
				t.Helper()
				n, err := tmp.Write(p)
				require.NoError(t, err)
				require.Equal(t, len(p), n)
				want.Write(p)
			}
			write(aligned(2*align.Block, 1))
			assert.False(t, isDirect(t, tmp), "below DirectAfter the page cache is used")
			write(aligned(3*align.Block, 2))
			assert.True(t, isDirect(t, tmp), "past DirectAfter aligned writes go direct")
			write(aligned(align.Block, 3))
			assert.True(t, isDirect(t, tmp))
			write([]byte("a short, unaligned tail"))
			assert.False(t, isDirect(t, tmp), "the tail is written through the page cache")

			final := filepath.Join(root, "objects", "x")
			require.NoError(t, tmp.Commit(final))
			got, err := afero.ReadFile(fsys, final)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want.Bytes(), got), "content differs after direct writes")
		})
	}
}

func TestDirectWritesOffForGoodAfterAnUnalignedBuffer(t *testing.T) {
	dir := directDir(t)
	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755, DirectAfter: align.Block}
	tmp, err := w.CreateTemp(dir)
	require.NoError(t, err)
	defer tmp.Discard()

	first := aligned(align.Block, 4)
	odd := aligned(align.Block+1, 5)[1:] // right length, wrong address
	last := aligned(align.Block, 6)
	for _, p := range [][]byte{first, odd, last} {
		_, err := tmp.Write(p)
		require.NoError(t, err)
		assert.False(t, isDirect(t, tmp))
	}
	final := filepath.Join(dir, "final")
	require.NoError(t, tmp.Commit(final))
	got, err := os.ReadFile(final)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(append(append(append([]byte{}, first...), odd...), last...), got))
}

func TestDirectWritesNeverOnTmpfs(t *testing.T) {
	dir, err := os.MkdirTemp("/dev/shm", "direct-test-")
	if err != nil {
		t.Skip("no /dev/shm here")
	}
	defer os.RemoveAll(dir)
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(dir, &st))
	if st.Type != unix.TMPFS_MAGIC {
		t.Skip("/dev/shm is not tmpfs here")
	}
	w := &Writer{Fs: afero.NewOsFs(), FileMode: 0o664, DirMode: 0o755, DirectAfter: align.Block}
	tmp, err := w.CreateTemp(dir)
	require.NoError(t, err)
	defer tmp.Discard()
	for range 3 {
		_, err := tmp.Write(aligned(align.Block, 7))
		require.NoError(t, err)
		assert.False(t, isDirect(t, tmp), "tmpfs has no device to write to directly")
	}
}
