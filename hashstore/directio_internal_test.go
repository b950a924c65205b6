package hashstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithDirectIOSetsTheWritersThreshold(t *testing.T) {
	assert.Equal(t, int64(DirectIOAfter), newSettings(nil).directAfter, "on by default")
	assert.Zero(t, newSettings([]Option{WithDirectIO(false)}).directAfter)
	assert.Equal(t, int64(DirectIOAfter), newSettings([]Option{WithDirectIO(false), WithDirectIO(true)}).directAfter)

	s, err := New(filepath.Join(t.TempDir(), "s"), DefaultConfig(), WithDirectIO(false))
	require.NoError(t, err)
	assert.Zero(t, s.files.DirectAfter)
	s, err = New(filepath.Join(t.TempDir(), "s"), DefaultConfig())
	require.NoError(t, err)
	assert.Equal(t, int64(DirectIOAfter), s.files.DirectAfter)
}

// Objects written partly through the page cache and partly directly (a threshold of two blocks
// here, so a 1 MiB object crosses it) read back byte for byte, with and without fsync, and
// whatever the length of the tail.
func TestStoreObjectWithDirectWritesReadsBack(t *testing.T) {
	ctx := context.Background()
	for _, sync := range []bool{false, true} {
		s, err := New(filepath.Join(t.TempDir(), "s"), DefaultConfig(), WithSync(sync),
			func(st *settings) { st.directAfter = 8192 })
		require.NoError(t, err)
		for i, size := range []int{1 << 20, 1<<20 + 1, 3<<20 - 4095, 256<<10 + 8192} {
			data := make([]byte, size)
			_, _ = rand.NewChaCha8([32]byte{byte(i)}).Read(data)
			pid := "direct-" + string(rune('a'+i))
			meta, err := s.StoreObject(ctx, bytes.NewReader(data), WithPID(pid))
			require.NoError(t, err)
			sum := sha256.Sum256(data)
			assert.Equal(t, hex.EncodeToString(sum[:]), meta.CID)

			r, err := s.RetrieveObject(ctx, pid, WithVerify())
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			require.NoError(t, r.Close())
			assert.True(t, bytes.Equal(data, got), "size %d: content differs", size)
		}
	}
}
