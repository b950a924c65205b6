// Package align hands out memory aligned for direct I/O and tells aligned memory apart.
//
// Writes that bypass the page cache (O_DIRECT) need their buffer's address, their length and
// the file offset to be multiples of the device's logical block. The digest engine allocates
// its chunks here so that the temp-file writer in internal/atomicfile can write them as they
// come; both agree on Block through this package.
package align

import "unsafe"

// Block is the alignment handed out and checked: 4096 covers devices with 512-byte and 4 KiB
// logical blocks.
const Block = 4096

// Buffer returns n bytes starting at a multiple of Block, with capacity n. Go's allocator
// places large blocks on page boundaries in practice but promises nothing, and smaller ones
// land wherever their size class puts them, so a block one alignment larger is cut to fit.
func Buffer(n int) []byte {
	raw := make([]byte, n+Block)
	skip := (Block - int(address(raw)%Block)) % Block
	return raw[skip : skip+n : skip+n]
}

// Aligned reports whether p starts at a multiple of Block. An empty slice is not aligned.
func Aligned(p []byte) bool {
	return len(p) > 0 && address(p)%Block == 0
}

func address(p []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(p))) }
