package atomicfile

import "github.com/hashstore-go/hashstore/internal/align"

// directState is where a temp file stands with direct writes.
type directState uint8

const (
	directUndecided directState = iota // not yet past Writer.DirectAfter
	directOn                           // O_DIRECT is set on the descriptor
	directOff                          // ordinary writes until the end (unsupported, or turned off)
)

// directWrite reports whether p, written at offset off, can be written directly: its address,
// length and offset are all multiples of align.Block. A device that wants more refuses the
// write, and the temp file falls back to ordinary writes (see Temp.Write).
func directWrite(p []byte, off int64) bool {
	return align.Aligned(p) && len(p)%align.Block == 0 && off%align.Block == 0
}
