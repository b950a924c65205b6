package md2

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hexSum(data []byte) string {
	h := New()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// TestRFC1319Suite checks the test suite of RFC 1319 appendix A.5.
func TestRFC1319Suite(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "8350e5a3e24c153df2275c9f80692773"},
		{"a", "32ec01ec4a6dac72c0ab96fb34c0b5d1"},
		{"abc", "da853b0d3f88d99b30283a69e6ded6bb"},
		{"message digest", "ab4f496bfb2a530b219ff33031fe06b0"},
		{"abcdefghijklmnopqrstuvwxyz", "4e8ddff3650292ab5a4108c3aa47940b"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "da33def2a42df13975352846c30338cd"},
		{strings.Repeat("1234567890", 8), "d5976f79d83d3a0dc9806c3c66f3efd8"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			assert.Equal(t, c.want, hexSum([]byte(c.in)))
		})
	}
}

// TestDataONEObjects checks the MD2 values the DataONE reference stores assert for their test
// objects, which are much longer than the RFC inputs and so exercise many blocks.
func TestDataONEObjects(t *testing.T) {
	cases := []struct{ file, want string }{
		{"doi_10.18739_A2901ZH2M", "b33c730ac5e36b2b886a9cd14552f42e"},
		{"jtao.1700.1", "9c25df1c8ba1d2e57bb3fd4785878b85"},
		{"urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a", "9f2b06b300f661ce4398006c41d8aa88"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			require.NoError(t, err)
			assert.Equal(t, c.want, hexSum(data))
		})
	}
}

// TestIncrementalWrites feeds the same input in pieces that straddle block boundaries in every
// way and expects the one-shot digest each time.
func TestIncrementalWrites(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i*7 + i/13)
	}
	want := hexSum(data)
	for _, step := range []int{1, 3, 5, 7, 15, 16, 17, 31, 33, 100, 999} {
		h := New()
		for p := data; len(p) > 0; {
			k := min(step, len(p))
			n, err := h.Write(p[:k])
			require.NoError(t, err)
			require.Equal(t, k, n)
			p = p[k:]
		}
		assert.Equal(t, want, hex.EncodeToString(h.Sum(nil)), "step %d", step)
	}
}

// TestSumKeepsState checks that Sum appends to its argument and that writing after Sum
// continues the same message.
func TestSumKeepsState(t *testing.T) {
	h := New()
	h.Write([]byte("message "))
	prefix := []byte("prefix")
	first := h.Sum(prefix)
	require.True(t, bytes.HasPrefix(first, []byte("prefix")))
	assert.Equal(t, "prefix", string(prefix), "Sum must not write into b's existing bytes")
	assert.Equal(t, hexSum([]byte("message ")), hex.EncodeToString(first[len(prefix):]))
	assert.Equal(t, first, h.Sum(prefix), "a second Sum must give the same digest")

	h.Write([]byte("digest"))
	assert.Equal(t, "ab4f496bfb2a530b219ff33031fe06b0", hex.EncodeToString(h.Sum(nil)))
}

// TestReset checks that Reset forgets everything written, including a partial block.
func TestReset(t *testing.T) {
	h := New()
	h.Write([]byte("some bytes that leave a partial block"))
	h.Reset()
	h.Write([]byte("abc"))
	assert.Equal(t, "da853b0d3f88d99b30283a69e6ded6bb", hex.EncodeToString(h.Sum(nil)))
}

// TestSizes checks the reported sizes, which callers use to allocate and to parse digests.
func TestSizes(t *testing.T) {
	h := New()
	assert.Equal(t, 16, h.Size())
	assert.Equal(t, 16, h.BlockSize())
	assert.Len(t, h.Sum(nil), Size)
}

// TestPiSubstIsPermutation guards the substitution table against a mistyped entry: the RFC
// table is a permutation of 0..255.
func TestPiSubstIsPermutation(t *testing.T) {
	var seen [256]bool
	for _, v := range piSubst {
		seen[v] = true
	}
	for i, ok := range seen {
		assert.True(t, ok, "value %d missing from piSubst", i)
	}
}

// BenchmarkWrite gives MD2's throughput, which matters because a store configured to keep an
// MD2 checksum is paced by it.
func BenchmarkWrite(b *testing.B) {
	data := make([]byte, 64<<10)
	h := New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		h.Write(data)
	}
}
