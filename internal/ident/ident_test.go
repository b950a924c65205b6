package ident

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// C275: the whitespace set is Python's, which Go's unicode.IsSpace alone misses in places.
func TestC275PythonWhitespaceSet(t *testing.T) {
	python := map[rune]bool{}
	for _, r := range []rune{'\t', '\n', '\v', '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680,
		0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
		0x2028, 0x2029, 0x202F, 0x205F, 0x3000} {
		python[r] = true
	}
	for r := rune(0); r <= 0x10FFFF; r++ {
		if IsSpace(r) != python[r] {
			t.Fatalf("IsSpace(%U) = %v, Python says %v", r, IsSpace(r), python[r])
		}
	}
	assert.Equal(t, 5, IndexSpace("hello \n"))
	assert.Equal(t, -1, IndexSpace("jtao.1700.1"))
	assert.Equal(t, 2, IndexSpace("ab\u00a0c"))
}
