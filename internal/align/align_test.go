package align

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Sizes whose size classes do not fall on Block boundaries (10000 lands in Go's 10240 class,
// so every other plain allocation of it starts 2048 bytes off) must come out aligned too.
func TestBufferIsAlignedWhateverItsSize(t *testing.T) {
	for _, n := range []int{1, 100, 4095, 4096, 10000, 12345, 256 << 10} {
		for range 16 {
			b := Buffer(n)
			assert.True(t, Aligned(b), "size %d", n)
			assert.Len(t, b, n)
			assert.Equal(t, n, cap(b), "size %d: appending must not run into the padding", n)
		}
	}
}

func TestAligned(t *testing.T) {
	b := Buffer(2 * Block)
	assert.True(t, Aligned(b))
	assert.True(t, Aligned(b[Block:]))
	assert.False(t, Aligned(b[1:]))
	assert.False(t, Aligned(b[:0]), "empty")
	assert.False(t, Aligned(nil))
}
