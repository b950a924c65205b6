package refs

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/internal/ident"
)

const cid = "94f9b6c88f1f458e410c30c351c6384ea42ac1b5ee1f8430d3e365e43b78a38a"

// C130, C139: a pid refs file is the cid, no newline.
func TestC130PIDRefsHasNoNewline(t *testing.T) {
	assert.Equal(t, []byte(cid), FormatPID(cid))
}

func TestParsePID(t *testing.T) {
	for _, in := range []string{cid, cid + "\n", cid + "\r\n", "  " + cid + " \n"} {
		got, err := ParsePID([]byte(in))
		require.NoError(t, err, "%q", in)
		assert.Equal(t, cid, got)
	}
	for _, in := range []string{"", "\n", "  ", cid + "\n" + cid} {
		_, err := ParsePID([]byte(in))
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
}

// C131, C138: the first pid is written as "pid\n" (not Java's bare "pid").
func TestC131FirstLineEndsInNewline(t *testing.T) {
	out, changed := Add(nil, "jtao.1700.1")
	assert.True(t, changed)
	assert.Equal(t, "jtao.1700.1\n", string(out))
}

// C132, C287: adding to a Java file without a final newline never glues two pids together.
func TestC132AddToJavaFileWithoutNewline(t *testing.T) {
	out, changed := Add([]byte("jtao.1700.1"), "dou.test.2")
	assert.True(t, changed)
	assert.Equal(t, "jtao.1700.1\ndou.test.2\n", string(out))
	assert.Equal(t, []string{"jtao.1700.1", "dou.test.2"}, PIDs(out))
}

// C140, C141, C142: adds keep every pid once, one per line.
func TestC141AddManyAndDuplicates(t *testing.T) {
	data := []byte("p0\n")
	for _, p := range []string{"p1", "p2", "p3", "p4", "p5"} {
		var changed bool
		data, changed = Add(data, p)
		assert.True(t, changed)
	}
	assert.Equal(t, []string{"p0", "p1", "p2", "p3", "p4", "p5"}, PIDs(data))
	again, changed := Add(data, "p3")
	assert.False(t, changed, "C142: already present")
	assert.Equal(t, data, again)
}

// C148: membership with CRLF, blank lines, whitespace and a missing final newline.
func TestC148ContainsIsTolerant(t *testing.T) {
	data := []byte("\r\n  a \r\n\nb\rc")
	for _, p := range []string{"a", "b", "c"} {
		assert.True(t, Contains(data, p), p)
	}
	for _, p := range []string{"", "ab", "a ", "d"} {
		assert.False(t, Contains(data, p), "%q", p)
	}
	assert.Equal(t, []string{"a", "b", "c"}, PIDs(data))
}

// C144, C145, C146, C147, C288: removal keeps the other lines, each ending in "\n".
func TestC144Remove(t *testing.T) {
	out, changed := Remove([]byte("a\nb\r\nc"), "b")
	assert.True(t, changed)
	assert.Equal(t, "a\nc\n", string(out))

	out, changed = Remove([]byte("a\na\n"), "a")
	assert.True(t, changed)
	assert.Empty(t, out, "C145: removing every occurrence leaves an empty file")

	in := []byte("a\n")
	out, changed = Remove(in, "zz")
	assert.False(t, changed, "C146: absent pid")
	assert.Equal(t, in, out)

	out, changed = Remove(nil, "a")
	assert.False(t, changed, "C147: empty file")
	assert.Empty(t, out)
}

// FuzzRefsRoundTrip: whatever a cid refs file holds, Add then Remove of a fresh pid gives back
// the same pid list, Format/PIDs round-trip, and nothing ever glues two pids.
func FuzzRefsRoundTrip(f *testing.F) {
	f.Add([]byte("jtao.1700.1"), "dou.test.2")
	f.Add([]byte("a\r\nb\n\n c \r"), "d")
	f.Add([]byte(""), "x")
	f.Fuzz(func(t *testing.T, data []byte, pid string) {
		before := PIDs(data)
		assert.Equal(t, before, PIDs(Format(before)))
		for _, p := range before {
			require.True(t, Contains(data, p))
		}
		if pid == "" || !utf8.ValidString(pid) || containsSpace(pid) || Contains(data, pid) {
			return
		}
		added, changed := Add(data, pid)
		require.True(t, changed)
		require.Equal(t, append(append([]string{}, before...), pid), PIDs(added))
		removed, changed := Remove(added, pid)
		require.True(t, changed)
		require.Equal(t, before, PIDs(removed))
	})
}

func containsSpace(s string) bool {
	for _, r := range s {
		if ident.IsSpace(r) || r == '\r' || r == '\n' {
			return true
		}
	}
	return false
}
