package crashfs

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	flushedRecords = "rec1\nrec2\n"
	laterRecords   = "rec3\nrec4\n"
)

// journal appends two records after two flushed ones, without flushing them.
func journal(t *testing.T, f *FS) {
	put(t, f, "/journal", flushedRecords, true)
	syncDir(t, f, "/")
	h, err := f.OpenFile("/journal", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = h.Write([]byte(laterRecords))
	require.NoError(t, err)
}

func TestTornWritesKeepFlushedPrefixAndTearTheRest(t *testing.T) {
	torn := 0
	for _, p := range policies(seeds) {
		f := New(WithTornWrites(4))
		journal(t, f)
		f.Crash(p)
		got := content(t, f, "/journal")
		require.True(t, strings.HasPrefix(got, flushedRecords), "%s: flushed records lost: %q", p, got)
		assert.LessOrEqual(t, len(got), len(flushedRecords+laterRecords), p.String())
		if got != flushedRecords && got != flushedRecords+laterRecords {
			torn++
			// Past the flushed records, each byte is the new one or a zero.
			for i := len(flushedRecords); i < len(got); i++ {
				assert.Contains(t, []byte{0, (flushedRecords + laterRecords)[i]}, got[i], "%s: byte %d of %q", p, i, got)
			}
		}
	}
	assert.Positive(t, torn, "some crash tears the unflushed records")
}

func TestTornWritesMixBlocksOfARewrite(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range policies(seeds) {
		f := New(WithTornWrites(4))
		put(t, f, "/f", "AAAAAAAA", true)
		syncDir(t, f, "/")
		h, err := f.OpenFile("/f", os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = h.WriteAt([]byte("BBBBBBBB"), 0)
		require.NoError(t, err)
		f.Crash(p)
		seen[content(t, f, "/f")] = true
	}
	assert.ElementsMatch(t, []string{"AAAAAAAA", "AAAABBBB", "BBBBAAAA", "BBBBBBBB"}, keys(seen),
		"whole blocks, old or new")
}

func TestWithoutTornWritesNothingIsTorn(t *testing.T) {
	for _, p := range policies(seeds) {
		f := New()
		journal(t, f)
		f.Crash(p)
		assert.Contains(t, []string{flushedRecords, flushedRecords + laterRecords}, content(t, f, "/journal"), p.String())
	}
}
